"""Every reader of a user's file, fed random bytes and random truncations of a valid file, returns a result
or raises the project's own error type (``ml.errors.UserError`` for ``ml``, ``ValueError`` for ``curves``),
never another exception.

The inputs are seeded, so every failure reproduces: the message names the seed and the case.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from safetensors.torch import load_file, save_file

from curves.curveset import CurveSet
from curves.emotion import DEFAULT_PROFILES_PATH, load_profiles
from curves.microexpression import MicroExpression
from curves.pipeline import load_tracks, make_curvesets
from curves.rigmap import load_rig_table, rig_table_path
from ml.checkpoint import load_checkpoint, save_checkpoint
from ml.errors import ClipReadError, UserError
from ml.models import create_model
from ml.stages.video import read_clip, write_video

SEEDS = range(3)


def _foreign(exc: BaseException, ours: tuple[type[BaseException], ...]) -> bool:
    """True when ``exc`` is not one of ours (a decoding error is a ValueError, yet no message for people)."""
    return isinstance(exc, UnicodeDecodeError) or not isinstance(exc, ours)


def _cases(valid: bytes, rng: np.random.Generator, n: int) -> list[tuple[str, bytes]]:
    """Random bytes, random truncations of ``valid``, and ``valid`` with random bytes overwritten."""
    out: list[tuple[str, bytes]] = [("empty", b"")]
    for i in range(n):
        size = int(rng.integers(1, 2048))
        out.append((f"random bytes {i}", rng.integers(0, 256, size, dtype=np.uint8).tobytes()))
        cut = int(rng.integers(1, max(2, len(valid))))
        out.append((f"truncated at {cut}", valid[:cut]))
        damaged = bytearray(valid)
        for pos in rng.integers(0, len(valid), max(1, len(valid) // 200)):
            damaged[int(pos)] = int(rng.integers(0, 256))
        out.append((f"damaged {i}", bytes(damaged)))
    return out


def _check_reader(
    tmp_path: Path,
    name: str,
    valid: bytes,
    read: Callable[[Path], object],
    ours: tuple[type[BaseException], ...],
    *,
    n: int = 4,
) -> None:
    failures = []
    for seed in SEEDS:
        for case, data in _cases(valid, np.random.default_rng(seed), n):
            path = tmp_path / f"{seed}" / name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            try:
                read(path)
            except BaseException as exc:  # the property under test: only our own errors escape
                if _foreign(exc, ours):
                    failures.append(f"seed {seed}, {case}: {type(exc).__name__}: {exc}"[:300])
    assert not failures, "\n".join(failures)


# --- curves: MicroExpression JSON, OpenFace / py-feat CSV, emotion YAML, rig CSV ---------------------


def _micro_expression_json() -> bytes:
    t = np.linspace(0, 1, 30)
    me = MicroExpression.from_tracks({"AU1": np.sin(np.pi * t) * 0.8, "AU12": t * 0.5}, 30.0)
    return me.to_json(indent=1).encode()


def _openface_csv() -> bytes:
    lines = ["frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU45_r, AU28_c"]
    for i in range(30):
        lines.append(f"{i + 1}, 0, {i / 30:.3f}, 0.98, 1, {i % 5}.0, {(i * 7) % 5}.5, 0.00, {i % 2}")
    return ("\n".join(lines) + "\n").encode()


def _pyfeat_csv() -> bytes:
    lines = ["frame,AU01,AU04,AU12,happiness,neutral,approx_time"]
    for i in range(30):
        lines.append(f"{i},{(i % 10) / 10:.1f},0.2,{(i % 7) / 7:.3f},0.6,0.4,{i / 25:.2f}")
    return ("\n".join(lines) + "\n").encode()


def test_micro_expression_json_reader(tmp_path):
    _check_reader(tmp_path, "me.json", _micro_expression_json(), MicroExpression.load, (ValueError,))


def test_curveset_json_reader(tmp_path):
    me = MicroExpression.from_json(_micro_expression_json().decode())
    valid = make_curvesets(me, rig="arkit")[0].to_json().encode()
    _check_reader(tmp_path, "curveset.json", valid, CurveSet.load, (ValueError,))


@pytest.mark.parametrize(("name", "make"), [("openface.csv", _openface_csv), ("pyfeat.csv", _pyfeat_csv)])
def test_au_track_csv_readers(tmp_path, name, make, caplog):
    caplog.set_level(logging.ERROR)
    _check_reader(tmp_path, name, make(), lambda p: load_tracks(p), (ValueError,))
    _check_reader(tmp_path, name, make(), lambda p: load_tracks(p, fps=30.0), (ValueError,))


def test_emotion_profile_reader(tmp_path):
    _check_reader(tmp_path, "profiles.yaml", DEFAULT_PROFILES_PATH.read_bytes(), load_profiles, (ValueError,))


def test_rig_csv_reader_on_truncated_text(tmp_path):
    valid = rig_table_path("metahuman").read_bytes()
    rng = np.random.default_rng(0)
    failures = []
    for i in range(20):
        path = tmp_path / f"rig{i}.csv"
        path.write_bytes(valid[: int(rng.integers(1, len(valid)))])
        try:
            load_rig_table(path)
        except BaseException as exc:
            if _foreign(exc, (ValueError,)):
                failures.append(f"truncation {i}: {type(exc).__name__}: {exc}"[:300])
    assert not failures, "\n".join(failures)


def test_rig_csv_reader_on_random_bytes(tmp_path):
    _check_reader(
        tmp_path, "rig.csv", rig_table_path("metahuman").read_bytes(), load_rig_table, (ValueError,)
    )


@pytest.mark.parametrize("curve", ["mouth smile", "CTRL/../jaw", "", "a" * 2000])
def test_rig_curve_names_follow_unreal_rules(tmp_path, curve):
    rig = tmp_path / "rig.csv"
    rig.write_text(f"Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes\nr1,AU12,{curve},1,L,0,1,\n")
    with pytest.raises(ValueError, match=r"rig\.csv, line 2: .*(curve name|has no Curve)"):
        load_rig_table(rig)


# --- ml: video, frame folder, safetensors + sidecar ---------------------------------------------------


@pytest.fixture(scope="module")
def small_avi(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (24, 48, 64, 3), dtype=np.uint8)
    return write_video(frames, 30.0, tmp_path_factory.mktemp("video") / "clip.avi")


def test_video_reader(tmp_path, small_avi):
    _check_reader(tmp_path, "clip.avi", small_avi.read_bytes(), lambda p: read_clip(p), (UserError,), n=3)


def test_frame_folder_reader(tmp_path):
    ok, png = cv2.imencode(".png", np.full((32, 32, 3), 128, np.uint8))
    assert ok
    rng = np.random.default_rng(1)
    failures = []
    for i, (case, data) in enumerate(_cases(png.tobytes(), rng, 4)):
        folder = tmp_path / f"frames{i}"
        folder.mkdir()
        (folder / "img1.png").write_bytes(png.tobytes())
        (folder / "img2.png").write_bytes(data)
        try:
            read_clip(folder, fps=30.0)
        except BaseException as exc:
            if _foreign(exc, (UserError,)):
                failures.append(f"{case}: {type(exc).__name__}: {exc}"[:300])
    assert not failures, "\n".join(failures)


def test_a_truncated_video_is_not_read_silently(tmp_path, small_avi, caplog):
    data = small_avi.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 4])
    caplog.set_level(logging.WARNING)
    try:
        clip = read_clip(cut)
    except ClipReadError as exc:
        assert "cut.avi" in str(exc)
        return
    assert clip.num_frames == 24 or any("cut.avi" in r.getMessage() for r in caplog.records)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    model = create_model("au_gcn", width=0.125, au_names=("AU1", "AU2", "AU4"))
    return save_checkpoint(model, tmp_path_factory.mktemp("ckpt") / "w", dtype="float16")


def test_weights_reader(tmp_path, checkpoint):
    sidecar = checkpoint.with_suffix(".json").read_bytes()

    def read(path: Path) -> object:
        path.with_suffix(".json").write_bytes(sidecar)
        return load_checkpoint(path)

    _check_reader(tmp_path, "w.safetensors", checkpoint.read_bytes(), read, (UserError,), n=2)


def test_sidecar_reader(tmp_path, checkpoint):
    weights = checkpoint.read_bytes()

    def read(path: Path) -> object:
        path.with_suffix(".safetensors").write_bytes(weights)
        return load_checkpoint(path.with_suffix(".safetensors"))

    _check_reader(tmp_path, "w.json", checkpoint.with_suffix(".json").read_bytes(), read, (UserError,), n=3)


@pytest.mark.parametrize(
    "value", [-1, 0, 10**9, 1e308, "8", None, [], {"a": 1}, True, float("nan")], ids=repr
)
@pytest.mark.parametrize("key", ["members", "format_version", "cfg", "au_names", "input_size", "model"])
def test_sidecar_fields_of_any_type_are_refused_or_read(tmp_path, checkpoint, key, value):
    """A legacy checkpoint relies on its sidecar alone: every field of any type is checked."""
    weights = tmp_path / "w.safetensors"
    save_file(load_file(str(checkpoint)), str(weights), metadata={"format": "pt"})
    side = json.loads(checkpoint.with_suffix(".json").read_text())
    side[key] = value
    weights.with_suffix(".json").write_text(json.dumps(side))
    with contextlib.suppress(UserError):  # a clear refusal is fine; anything else fails the test
        load_checkpoint(weights)
