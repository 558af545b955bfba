"""``microexpr synth`` and ``microexpr faces`` through ml.cli.main: outputs, and bad input that leaves
nothing behind."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from ml.cli import main


def test_synth_writes_a_casme2_shaped_dataset(tmp_path, capsys):
    out = tmp_path / "synth"
    rc = main(
        ["synth", "--subjects", "2", "--clips", "2", "--seed", "3", "--size", "160x120", "--out", str(out)]
    )
    assert rc == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "CASME2-coding-synthetic.xlsx",
        "CASME2_RAW_selected",
        "synthetic_labels.json",
    ]
    assert sorted(p.name for p in (out / "CASME2_RAW_selected").iterdir()) == ["sub01", "sub02"]
    img = cv2.imread(str(out / "CASME2_RAW_selected" / "sub01" / "EP01_01" / "img1.jpg"))
    assert img.shape == (120, 160, 3)
    # a second run into the same folder is refused and changes nothing
    before = (out / "synthetic_labels.json").read_bytes()
    assert main(["synth", "--clips", "1", "--subjects", "1", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "synthetic_labels.json").read_bytes() == before


def test_synth_rejects_a_bad_size(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["synth", "--size", "big", "--out", str(tmp_path / "x")])
    assert "320x240" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_faces_on_a_video(demo, demo_video, tmp_path, capsys):
    out = tmp_path / "faces"
    assert main(["faces", str(demo_video), "--out", str(out)]) == 0
    report = json.loads((out / "faces.json").read_text())
    n = demo.frames.shape[0]
    assert report["frames"] == n and report["fps"] == pytest.approx(200.0)
    assert report["missing_frames"] == []
    crops = sorted((out / "crops").iterdir())
    assert len(crops) == n and crops[0].name == "frame_000000.png"
    assert cv2.imread(str(crops[0])).shape == (112, 112, 3)
    sheet = cv2.imread(str(out / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[1] == 8 * 160
    frames = report["per_frame"]
    assert len(frames) == n and all(f["present"] for f in frames)
    first = frames[0]
    assert len(first["landmarks_crop"]) == 478 and len(first["landmarks_source"]) == 478
    assert len(first["blendshapes"]) == len(report["blendshape_names"]) == 52
    assert set(first["pose"]) == {"yaw", "pitch", "roll"}
    assert report["analysed_spans"] == [[0, n]] and report["faceless_spans"] == []


def test_faces_on_a_frame_folder(tmp_path):
    from ml.datasets.synthetic import generate_clip

    sc = generate_clip(2, 0, subject=2)
    folder = tmp_path / "EP01_01"
    folder.mkdir()
    for k, frame in zip(sc.frame_numbers, sc.frames, strict=True):
        cv2.imwrite(str(folder / f"img{k + 45}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    out = tmp_path / "faces"
    assert main(["faces", str(folder), "--fps", "200", "--out", str(out)]) == 0
    report = json.loads((out / "faces.json").read_text())
    assert report["first_frame_number"] == 46 and report["frames"] == sc.frames.shape[0]
    assert (out / "crops" / "frame_000046.png").is_file()


def _bad_inputs(tmp_path, noise_video):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    non_images = tmp_path / "documents"
    non_images.mkdir()
    (non_images / "notes.txt").write_text("not a frame")
    empty = tmp_path / "empty_folder"
    empty.mkdir()
    return {
        "missing": (tmp_path / "missing_clip.mp4", "missing_clip.mp4: no such file"),
        "corrupt": (corrupt, "corrupt.mp4"),
        "no face": (noise_video, "no face found in .*noise.avi"),
        "non-images": (non_images, "documents: the folder holds no image files"),
        "empty": (empty, "empty_folder: the folder is empty"),
    }


@pytest.mark.parametrize("case", ["missing", "corrupt", "no face", "non-images", "empty"])
def test_faces_bad_input_is_a_clear_error_and_writes_nothing(case, tmp_path, noise_video, capsys):
    import re

    path, message = _bad_inputs(tmp_path, noise_video)[case]
    out = tmp_path / "out"
    rc = main(["faces", str(path), "--fps", "30", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc != 0
    assert re.search(message, err), err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no temporary folder left


def test_faces_folder_without_fps(tmp_path, capsys):
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "img1.jpg"), np.zeros((32, 32, 3), np.uint8))
    assert main(["faces", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "pass --fps" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_faces_lists_the_frames_where_the_face_left(tmp_path, capsys):
    import skimage.data

    from ml.stages.video import write_video

    astronaut = skimage.data.astronaut()
    coffee = cv2.resize(skimage.data.coffee(), (320, 240), interpolation=cv2.INTER_AREA)
    m = np.array([[0.6, 0, 160 - 222 * 0.6], [0, 0.6, 110 - 130 * 0.6]])
    face = cv2.warpAffine(astronaut, m, (320, 240), borderMode=cv2.BORDER_REFLECT)
    path = write_video(np.stack([face] * 20 + [coffee] * 12), 30.0, tmp_path / "leaves.avi")
    out = tmp_path / "faces"
    assert main(["faces", str(path), "--out", str(out)]) == 0
    report = json.loads((out / "faces.json").read_text())
    assert report["faceless_spans"] == [[20, 32]]
    assert report["missing_frames"] == list(range(20, 32))
    assert report["analysed_spans"] == [[0, 20]]
    gone = report["per_frame"][25]
    assert gone["present"] is False and "landmarks_crop" not in gone and "pose" not in gone
    assert "no face on 12 frames" in capsys.readouterr().out
