"""ml.datasets.synthetic: faces a Haar detector finds, FACS-correct AU motion, CASME II statistics,
timing, and byte-identical datasets."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import openpyxl
import pytest

from ml.datasets import synthetic as syn

ROOT = Path(__file__).resolve().parents[3]


def test_combos_match_casme2_statistics():
    # CASME II 2014 sheet facts: emotion counts, and the clips whose AUs are all outside the 11 modelled
    # ones (others 8, surprise 1) that the generator leaves out.
    readme_counts = {"others": 99, "disgust": 63, "happiness": 32, "repression": 27, "surprise": 25}
    left_out = {"others": 8, "surprise": 1}
    for emotion, combos in syn.CASME2_AU_COMBOS.items():
        assert sum(c for _, c in combos) + left_out.get(emotion, 0) == readme_counts[emotion]
    cooc = json.loads((ROOT / "ml" / "data" / "casme2_au_cooccurrence.json").read_text())
    names = cooc["aus"]
    counts = np.zeros((len(names), len(names)), int)
    for combos in syn.CASME2_AU_COMBOS.values():
        for aus, c in combos:
            for x in aus:
                for y in aus:
                    counts[names.index(x), names.index(y)] += c
    np.testing.assert_array_equal(counts, np.asarray(cooc["counts"]))
    assert sum(syn.CASME2_SUBJECT_CLIP_COUNTS) == 246 and len(syn.CASME2_SUBJECT_CLIP_COUNTS) == 26


def test_haar_finds_the_faces_of_many_subjects():
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    found = 0
    subjects = range(1, 27, 2)
    for s in subjects:
        clip = syn.generate_clip(5, s, subject=s, num_frames_hint=1)
        gray = cv2.cvtColor(clip.frames[0], cv2.COLOR_RGB2GRAY)
        faces = cascade.detectMultiScale(gray, 1.1, 4, minSize=(60, 60))
        if len(faces):
            x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
            ex, ey = clip.meta["landmarks"]["eye_l"]
            found += int(x <= ex <= x + w and y <= ey <= y + h)  # the box holds the face, not the background
    assert found == len(subjects)


def test_subjects_look_different():
    looks = []
    for s in range(1, 9):
        clip = syn.generate_clip(5, 0, subject=s, num_frames_hint=1)
        lm = clip.meta["landmarks"]
        cx, cy = lm["nose_tip"]
        cheek = clip.frames[0, int(cy) - 4 : int(cy) + 4, int(cx) + 20 : int(cx) + 28].reshape(-1, 3).mean(0)
        ratio = (lm["lip_corner_r"][0] - lm["lip_corner_l"][0]) / clip.meta["iod"]
        looks.append((cheek, ratio))
    colours = np.array([c for c, _ in looks])
    ratios = np.array([r for _, r in looks])
    assert np.ptp(colours.mean(axis=1)) > 40  # skin tones from light to dark
    assert np.ptp(ratios) > 0.08  # proportions differ


def _flow_at(clip, names, radius=3):
    from ml.stages.temporal import optical_flow

    apex = clip.index_of(clip.record.apex)
    flow = optical_flow(clip.frames[0], clip.frames[apex], "farneback") / clip.meta["pixels_per_crop_pixel"]
    out = {}
    for name in names:
        x, y = (round(v) for v in clip.meta["landmarks"][name])
        out[name] = flow[y - radius : y + radius + 1, x - radius : x + radius + 1].reshape(-1, 2).mean(0)
    return out


def _au_clip(au, subject=3):
    return syn.generate_clip(2, 1, subject=subject, aus=(au,), intensity=1.0, distractors=False)


def test_au4_lowers_and_draws_brows_together():
    f = _flow_at(_au_clip("AU4"), ["brow_inner_l", "brow_inner_r"])
    # image-left brow moves right (toward the midline), image-right brow moves left; both move down
    assert f["brow_inner_l"][0] > 0.4 and f["brow_inner_r"][0] < -0.4
    assert f["brow_inner_l"][1] > 0.8 and f["brow_inner_r"][1] > 0.8
    assert max(np.hypot(*f["brow_inner_l"]), np.hypot(*f["brow_inner_r"])) < 5  # micro amplitude


def test_au12_pulls_lip_corners_up_and_out():
    f = _flow_at(_au_clip("AU12"), ["lip_corner_l", "lip_corner_r", "brow_inner_l"])
    assert f["lip_corner_l"][0] < -0.5 and f["lip_corner_r"][0] > 0.5  # outward
    assert f["lip_corner_l"][1] < -0.8 and f["lip_corner_r"][1] < -0.8  # up
    assert np.hypot(*f["brow_inner_l"]) < 0.2  # the brows stay put


@pytest.mark.parametrize(
    ("au", "landmark", "direction"),
    [
        ("AU1", "brow_inner_r", (0, -1)),
        ("AU2", "brow_outer_r", (0, -1)),
        ("AU15", "lip_corner_r", (0, 1)),
        ("AU14", "lip_corner_r", (-1, 0)),
        ("AU17", "chin", (0, -1)),
    ],
)
def test_au_moves_its_region_the_facs_way(au, landmark, direction):
    f = _flow_at(_au_clip(au), [landmark])[landmark]
    assert float(np.dot(f, direction)) > 0.4, f


def test_timing_and_activations():
    for index in range(6):
        clip = syn.generate_clip(9, index)
        rec = clip.record
        n = clip.frames.shape[0]
        assert clip.frames.dtype == np.uint8 and clip.frames.shape[1:] == (240, 320, 3)
        assert clip.frame_numbers.tolist() == list(range(1, n + 1))
        assert 1 < rec.onset < rec.apex < rec.offset < n  # neutral frames before and after
        assert (rec.offset - rec.onset) / clip.fps < 0.5
        assert rec.emotion in syn.EMOTIONS and rec.aus and rec.fps == 200.0
        acts = clip.activations
        assert acts.shape == (n, len(syn.AU_NAMES)) and acts.min() >= 0 and acts.max() <= 1
        for k, au in enumerate(syn.AU_NAMES):
            column = acts[:, k]
            if au in rec.aus:
                assert int(np.argmax(column)) == clip.index_of(rec.apex)
                assert column[: clip.index_of(rec.onset) + 1].max() == 0
                assert column[clip.index_of(rec.offset) :].max() == 0
            else:
                assert column.max() == 0


def test_deterministic_in_memory():
    a = syn.generate_clip(3, 4, size=(160, 120))
    b = syn.generate_clip(3, 4, size=(160, 120))
    c = syn.generate_clip(4, 4, size=(160, 120))
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.activations, b.activations)
    assert a.record == b.record
    assert not np.array_equal(a.frames[0], c.frames[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown emotion 'anger'"):
        syn.generate_clip(0, emotion="anger")
    with pytest.raises(ValueError, match="cannot render"):
        syn.generate_clip(0, aus=("AU20",))
    with pytest.raises(ValueError, match="out of range"):
        syn.generate_clip(0, size=(20, 20))
    for fps in (0.0, -200.0, float("nan"), "fast"):
        with pytest.raises(ValueError, match="fps must be a positive number of frames per second"):
            syn.generate_clip(0, fps=fps)


def test_write_dataset_layout_and_same_bytes(tmp_path):
    kw = {"subjects": 2, "clips": 3, "seed": 1, "size": (160, 120)}
    first = syn.write_dataset(tmp_path / "a", **kw)
    second = syn.write_dataset(tmp_path / "b", **kw)
    files_a, files_b = tree_bytes(first), tree_bytes(second)
    assert files_a == files_b  # same seed, same bytes (sheet included)
    clips = list(syn.iter_dataset(**kw))
    keys = [f"{c.record.subject}/{c.record.clip}" for c in clips]
    assert keys == ["sub01/EP01_01", "sub01/EP02_01", "sub02/EP01_01"]
    for c in clips:
        folder = first / "CASME2_RAW_selected" / c.record.subject / c.record.clip
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted(f"img{k}.jpg" for k in range(1, c.frames.shape[0] + 1))

    ws = openpyxl.load_workbook(first / "CASME2-coding-synthetic.xlsx").worksheets[0]
    assert ws.title == "Sheet1"
    header = [cell.value for cell in ws[1]]
    # the CASME II 2014 sheet's header cells, blanks included
    assert header == [
        "Subject",
        "Filename",
        None,
        "OnsetFrame",
        "ApexFrame",
        "OffsetFrame",
        None,
        "Action Units",
        "Estimated Emotion",
    ]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    for row, c in zip(rows, clips, strict=True):
        assert row[0] == c.record.subject[3:] and row[1] == c.record.clip
        assert (row[3], row[4], row[5]) == (c.record.onset, c.record.apex, c.record.offset)
        aus = [f"AU{t}" for t in str(row[7]).split("+")]
        assert tuple(aus) == c.record.aus and row[8] == c.record.emotion

    acts = syn.load_synthetic_activations(first)
    assert set(acts) == set(keys)
    for c, key in zip(clips, keys, strict=True):
        np.testing.assert_allclose(acts[key], c.activations, atol=1e-4)


def test_write_dataset_refuses_a_non_empty_folder(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="already exists and is not empty"):
        syn.write_dataset(out, subjects=1, clips=1, size=(128, 96))
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no temporary folder left


def test_load_activations_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"synthetic_labels\.json"):
        syn.load_synthetic_activations(tmp_path)
    (tmp_path / "synthetic_labels.json").write_text("{}")
    with pytest.raises(ValueError, match="not a synthetic labels file"):
        syn.load_synthetic_activations(tmp_path)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
