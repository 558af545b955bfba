"""File formats: OpenFace/py-feat import, CurveTable and Live Link Face CSVs, JSON, atomic writes."""

import csv
import io

import numpy as np
import pytest

from curves.curveset import CurveKeys, CurveSet
from curves.io import (
    LIVE_LINK_COLUMNS,
    curve_table_csv,
    live_link_csv,
    read_openface_csv,
    write_curve_table_csv,
    write_live_link_csv,
)
from curves.pipeline import detect_format, load_tracks
from curves.richcurve import evaluate

OF_R = ["01", "02", "04", "05", "06", "07", "09", "10", "12", "14", "15", "17", "20", "23", "25", "26", "45"]
OF_C = [*OF_R[:-1], "28", "45"]


def _openface_csv(path, n=12, fps=30.0, success=None):
    header = [
        "frame",
        "face_id",
        "timestamp",
        "confidence",
        "success",
        "gaze_0_x",
        "gaze_0_y",
        "gaze_0_z",
        "pose_Tx",
        "pose_Rx",
    ]
    header += [f"AU{a}_r" for a in OF_R] + [f"AU{a}_c" for a in OF_C]
    lines = [", ".join(header)]
    for i in range(n):
        ok = 1 if success is None else success[i]
        r = [f"{(i % 6) * 0.5 + (k % 3) * 0.1:.2f}" for k in range(len(OF_R))]
        c = ["1.00" if (i + k) % 2 else "0.00" for k in range(len(OF_C))]
        row = [str(i + 1), "0", f"{i / fps:.3f}", "0.98", str(ok), "0.1", "0.2", "-0.9", "12.5", "0.05"]
        row += r + c
        lines.append(", ".join(row))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_openface_columns_scale_and_fps(tmp_path):
    path = _openface_csv(tmp_path / "of.csv")
    assert detect_format(path) == "openface"
    me = read_openface_csv(path)
    expected = [f"AU{int(a)}" for a in OF_R[:-1]] + ["AU28", "AU45"]
    assert list(me.au_names) == expected
    assert me.fps == pytest.approx(30.0, rel=1e-3)
    # frame 3 (i = 2): AU01_r = 1.0 + 0.0 -> 0.2; AU02_r = 1.0 + 0.1 -> 0.22; AU28 from AU28_c (presence).
    assert me.track("AU1")[2] == pytest.approx(1.0 / 5)
    assert me.track("AU2")[2] == pytest.approx(1.1 / 5)
    k28 = OF_C.index("28")
    assert me.track("AU28")[2] == (1.0 if (2 + k28) % 2 else 0.0)
    assert me.n_frames == 12 and me.model == "openface"


def test_openface_untracked_frames_are_interpolated(tmp_path):
    success = [1] * 12
    success[4] = 0
    me = read_openface_csv(_openface_csv(tmp_path / "of.csv", success=success))
    a1 = me.track("AU1")
    assert a1[4] == pytest.approx((a1[3] + a1[5]) / 2)


def test_openface_bad_cells_name_the_line(tmp_path):
    path = _openface_csv(tmp_path / "of.csv")
    lines = path.read_text().splitlines()
    cells = lines[3].split(", ")
    cells[10] = "oops"
    lines[3] = ", ".join(cells)
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=r"of.csv, line 4: column AU01_r is not a number"):
        read_openface_csv(path)
    lines[3] = "1, 2, 3"
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=r"line 4: 3 cells"):
        read_openface_csv(path)


def test_openface_without_time_needs_fps(tmp_path):
    path = tmp_path / "of.csv"
    path.write_text("AU01_r, AU12_r\n0.5, 1.0\n1.0, 2.0\n0.5, 1.0\n0.0, 0.0\n")
    with pytest.raises(ValueError, match="--fps"):
        read_openface_csv(path)
    assert read_openface_csv(path, fps=25.0).fps == 25.0


def test_pyfeat_import(tmp_path):
    path = tmp_path / "feat.csv"
    rows = ["frame,FaceRectX,AU01,AU04,AU12,anger,happiness,neutral,approx_time"]
    for i in range(8):
        rows.append(f"{i},10,{0.1 * i:.2f},0.2,{0.05 * i:.2f},0.1,0.6,0.3,{i / 25:.2f}")
    path.write_text("\n".join(rows) + "\n")
    assert detect_format(path) == "pyfeat"
    me = load_tracks(path)
    assert list(me.au_names) == ["AU1", "AU4", "AU12"]
    assert me.fps == pytest.approx(25.0)
    assert me.track("AU1")[5] == pytest.approx(0.5)
    assert me.emotion == "happiness"


def _cs():
    a = CurveKeys("mouthSmileLeft", [0.0, 0.1, 0.3], [0.0, 0.6, 0.1], max_error=0.004, rms_error=0.002)
    b = CurveKeys("jawOpen", [0.0, 0.15, 0.3], [0.0, 0.2, 0.0])
    return CurveSet(fps=20.0, n_frames=7, curves=(a, b), settings={"rig": "arkit"})


def test_curve_table_csv_format_and_unreal_import():
    cs = _cs()
    rows = list(csv.reader(io.StringIO(curve_table_csv(cs))))
    assert rows[0] == ["---", "0", "0.1", "0.15", "0.3"]
    assert [r[0] for r in rows[1:]] == ["mouthSmileLeft", "jawOpen"]
    assert all(len(r) == 5 and all(c != "" for c in r) for r in rows)
    times = np.array([float(x) for x in rows[0][1:]])
    frames = np.arange(cs.n_frames) / cs.fps
    for r, c in zip(rows[1:], cs.curves, strict=True):
        vals = np.array([float(x) for x in r[1:]])
        # each key of the curve is a column with its own value
        for t, v in zip(c.times, c.values, strict=True):
            assert vals[np.argmin(np.abs(times - t))] == pytest.approx(v, abs=1e-6)
        # Unreal keys every column (auto tangents); it stays close to the intended curve
        ours = evaluate(c.times, c.values, frames)
        unreal = evaluate(times, vals, frames)
        assert np.max(np.abs(ours - unreal)) < 0.05
    frames_rows = list(csv.reader(io.StringIO(curve_table_csv(cs, times="frames"))))
    assert len(frames_rows[0]) == cs.n_frames + 1


def test_live_link_face_csv():
    cs = _cs()
    rows = list(csv.reader(io.StringIO(live_link_csv(cs))))
    assert rows[0] == list(LIVE_LINK_COLUMNS)
    assert len(rows[0]) == 2 + 52 + 9 and rows[0][:3] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft"]
    assert len(rows) == 1 + cs.n_frames
    assert rows[1][1] == "61"
    assert rows[3][0] == "00:00:00:02.000"
    col = rows[0].index("MouthSmileLeft")
    assert float(rows[3][col]) == pytest.approx(0.6)  # frame 2 is at 0.1 s, a key
    bad = CurveSet(fps=20.0, n_frames=7, curves=(CurveKeys("CTRL_expressions_jawOpen", [0.0], [0.0]),))
    with pytest.raises(ValueError, match="CTRL_expressions_jawOpen"):
        live_link_csv(bad)


def test_writers_are_atomic_and_refuse_to_overwrite(tmp_path):
    cs = _cs()
    for writer, name in (
        (lambda cs, path, overwrite=False: cs.save(path, overwrite=overwrite), "a.json"),
        (write_curve_table_csv, "a.csv"),
        (write_live_link_csv, "llf.csv"),
    ):
        path = writer(cs, tmp_path / name)
        before = path.read_bytes()
        with pytest.raises(FileExistsError, match="overwrite"):
            writer(cs, path)
        assert path.read_bytes() == before
        writer(cs, path, overwrite=True)
    back = CurveSet.load(tmp_path / "a.json")
    assert back.names == cs.names
    np.testing.assert_allclose(back.curve("mouthSmileLeft").values, [0.0, 0.6, 0.1])
    bad = CurveSet(fps=20.0, n_frames=7, curves=(CurveKeys("notArkit", [0.0], [0.0]),))
    with pytest.raises(ValueError, match="notArkit"):
        write_live_link_csv(bad, tmp_path / "bad.csv")
    assert not (tmp_path / "bad.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.json", "llf.csv"]


def test_unknown_track_format(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("time,smile\n0,1\n")
    with pytest.raises(ValueError, match="not a MicroExpression JSON"):
        load_tracks(path)
    with pytest.raises(FileNotFoundError):
        load_tracks(tmp_path / "missing.json")
