"""Shared fixtures for the clip, face, temporal and synthetic-data tests (small and fast)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def demo():
    """A clear happiness clip (AU6 + AU12), 320x240 at 200 fps, with distractors."""
    from ml.datasets.synthetic import demo_clip

    return demo_clip(0)


@pytest.fixture(scope="session")
def demo_video(demo, tmp_path_factory) -> Path:
    """The demo clip written as an MJPG .avi at 200 fps."""
    from ml.video import write_video

    return write_video(demo.frames, demo.fps, tmp_path_factory.mktemp("video") / "demo.avi")


@pytest.fixture(scope="session")
def noise_video(tmp_path_factory) -> Path:
    """A 30-frame video of coloured noise: no face anywhere."""
    from ml.video import write_video

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (30, 240, 320, 3), dtype=np.uint8)
    return write_video(frames, 30.0, tmp_path_factory.mktemp("noise") / "noise.avi")


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
