"""One labelled clip: timing, intensities and distractors drawn from the seed, then rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ml.datasets.schema import ClipRecord
from ml.datasets.synthetic.action_units import AU_NAMES
from ml.datasets.synthetic.face import CROP_IOD, face_layout, subject_look
from ml.datasets.synthetic.labels import sample_labels
from ml.datasets.synthetic.render import render_frames
from ml.rules import check_fps

__all__ = ["DEFAULT_SIZE", "SyntheticClip", "clip_layout", "demo_clip", "generate_clip"]


#: Frame size ``(width, height)`` when none is given.
DEFAULT_SIZE: tuple[int, int] = (320, 240)


@dataclass(frozen=True)
class SyntheticClip:
    """One generated clip and its ground truth.

    Attributes:
        frames: ``(N, H, W, 3)`` uint8 RGB.
        fps: frames per second.
        record: the label (dataset ``"synthetic"``; onset/apex/offset as frame numbers).
        activations: ``(N, A)`` float32 in [0, 1], per-frame activation of each AU of ``au_names``.
        au_names: AU column names of ``activations``.
        frame_numbers: ``(N,)`` int64, the written file numbers (``img1.jpg`` is 1).
        meta: generation details (intensities, distractors, face landmarks in pixels).
    """

    frames: np.ndarray
    fps: float
    record: ClipRecord
    activations: np.ndarray
    au_names: tuple[str, ...]
    frame_numbers: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def index_of(self, frame_number: int) -> int:
        """0-based index of a frame number."""
        return int(frame_number) - int(self.frame_numbers[0])


def _envelope(n: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """Activation 0 before onset, raised-cosine rise to 1 at apex, fall to 0 at offset (0-based indices)."""
    t = np.arange(n, dtype=np.float64)
    env = np.zeros(n)
    rise = (t >= onset) & (t <= apex)
    env[rise] = 0.5 - 0.5 * np.cos(np.pi * (t[rise] - onset) / max(1, apex - onset))
    fall = (t > apex) & (t <= offset)
    env[fall] = 0.5 + 0.5 * np.cos(np.pi * (t[fall] - apex) / max(1, offset - apex))
    return env


def _smooth_walk(rng: np.random.Generator, n: int, fps: float, amplitude: float) -> np.ndarray:
    """A smooth zero-start trajectory of ``n`` samples: a sum of slow sinusoids."""
    t = np.arange(n) / fps
    out = np.zeros(n)
    for _ in range(3):
        f = rng.uniform(0.3, 2.5)
        phase = rng.uniform(0, 2 * np.pi)
        out += rng.uniform(0.3, 1.0) * (np.sin(2 * np.pi * f * t + phase) - np.sin(phase))
    peak = np.abs(out).max()
    return out / peak * amplitude if peak > 0 else out


def _parse_size(size: tuple[int, int] | None) -> tuple[int, int]:
    if size is None:
        return DEFAULT_SIZE
    w, h = (int(size[0]), int(size[1]))
    if w < 96 or h < 96 or w > 4096 or h > 4096:
        raise ValueError(f"frame size {w}x{h} is out of range (96..4096 pixels per side)")
    return w, h


def clip_layout(
    seed: int, index: int = 0, *, subject: int | None = None, size: tuple[int, int] | None = None
) -> dict[str, tuple[float, float]]:
    """Named face landmarks (pixels) of the clip :func:`generate_clip` makes with the same arguments."""
    clip = generate_clip(seed, index, subject=subject, size=size, num_frames_hint=1)
    return dict(clip.meta["landmarks"])


def generate_clip(
    seed: int,
    index: int = 0,
    *,
    subject: int | None = None,
    emotion: str | None = None,
    size: tuple[int, int] | None = None,
    fps: float = 200.0,
    aus: tuple[str, ...] | None = None,
    intensity: float | None = None,
    distractors: bool = True,
    num_frames_hint: int | None = None,
) -> SyntheticClip:
    """Generate one labelled micro-expression clip; deterministic in its arguments.

    Args:
        seed: dataset seed (subjects' faces depend on it).
        index: clip index within the dataset (drives the label and timing draws).
        subject: 1-based subject; None draws one of 26 from ``(seed, index)``.
        emotion: force the emotion (one of :data:`EMOTIONS`); None samples CASME II's distribution.
        size: ``(width, height)`` of the frames, default 320x240.
        fps: frame rate; timing is sampled in seconds, so frame counts scale with fps.
        aus: force the AU set (names from :data:`AU_NAMES`); None samples CASME II's combinations.
        intensity: force every AU's peak activation in (0, 1]; None samples 0.6..1.0 per AU.
        distractors: add head motion, blinks, flicker and sensor noise.
        num_frames_hint: internal; render only this many frames (layout queries).

    Returns:
        The :class:`SyntheticClip`.
    """
    check_fps(fps)
    width, height = _parse_size(size)
    rng = np.random.default_rng([seed, 2, index])
    if subject is None:
        subject = int(rng.integers(1, 27))
    if subject < 1:
        raise ValueError(f"subject numbers start at 1, got {subject}")
    label_emotion, label_aus = sample_labels(rng, emotion)
    if aus is not None:
        unknown = [a for a in aus if a not in AU_NAMES]
        if unknown:
            raise ValueError(f"cannot render {unknown}; the generator animates {', '.join(AU_NAMES)}")
        label_aus = tuple(a for a in AU_NAMES if a in aus)
    look = subject_look(seed, subject)
    lay = face_layout(look, (width, height), rng)

    # timing, sampled in seconds at CASME II's scale: onset-to-offset 0.14..0.49 s, apex 30..70 % through
    rate = fps / 200.0
    duration = round(float(np.clip(rng.normal(64, 18), 28, 98)) * rate)
    duration = max(4, min(duration, int(0.49 * fps)))
    pre = max(2, round(rng.integers(10, 37) * rate))
    post = max(2, round(rng.integers(10, 37) * rate))
    onset = pre
    apex = onset + max(1, round(rng.uniform(0.3, 0.7) * duration))
    offset = onset + duration
    n = offset + post + 1
    env = _envelope(n, onset, apex, offset)
    intens = {
        a: (float(intensity) if intensity is not None else float(rng.uniform(0.6, 1.0))) for a in label_aus
    }
    if intensity is not None and not 0 < intensity <= 1:
        raise ValueError(f"intensity must be in (0, 1], got {intensity}")
    activations = np.zeros((n, len(AU_NAMES)), np.float32)
    for a in label_aus:
        activations[:, AU_NAMES.index(a)] = intens[a] * env

    # distractors
    drng = np.random.default_rng([seed, 3, index])
    px = lay.iod / CROP_IOD
    if distractors:
        shift_x = _smooth_walk(drng, n, fps, drng.uniform(0.3, 1.5) * px)
        shift_y = _smooth_walk(drng, n, fps, drng.uniform(0.3, 1.2) * px)
        rot = _smooth_walk(drng, n, fps, np.deg2rad(drng.uniform(0.0, 0.6)))
        zoom = 1.0 + _smooth_walk(drng, n, fps, drng.uniform(0.0, 0.004))
        blink = np.zeros(n)
        if drng.random() < 0.35:
            length = max(3, round(drng.uniform(0.1, 0.2) * fps))
            start = int(drng.integers(0, max(1, n - length)))
            span = np.arange(length)
            lid = np.clip(np.sin(np.pi * span / (length - 1)), 0, 1) ** 0.8
            blink[start : start + length] = lid[: n - start]
        flicker_amp = drng.uniform(0.003, 0.015)
        flicker = 1.0 + flicker_amp * np.sin(
            2 * np.pi * drng.uniform(2, 15) * np.arange(n) / fps + drng.uniform(0, 2 * np.pi)
        )
        noise_sigma = float(drng.uniform(0.6, 1.6))
    else:
        shift_x = shift_y = rot = np.zeros(n)
        zoom = np.ones(n)
        blink = np.zeros(n)
        flicker = np.ones(n)
        noise_sigma = 0.0

    n_render = n if num_frames_hint is None else min(n, num_frames_hint)
    frames = render_frames(
        look,
        lay,
        (width, height),
        label_aus,
        activations[:n_render],
        blink[:n_render],
        shift_x,
        shift_y,
        rot,
        zoom,
        flicker,
        noise_sigma,
        np.random.default_rng([seed, 4, index]),
    )

    frame_numbers = np.arange(1, n_render + 1, dtype=np.int64)
    record = ClipRecord(
        dataset="synthetic",
        subject=f"sub{subject:02d}",
        clip=f"EP{index + 1:02d}_01",
        emotion=label_emotion,
        aus=label_aus,
        onset=onset + 1,
        apex=apex + 1,
        offset=offset + 1,
        fps=float(fps),
        path=None,
        extra={"seed": seed, "index": index, "intensity": intens},
    )
    meta = {
        "landmarks": lay.landmarks(),
        "iod": lay.iod,
        "pixels_per_crop_pixel": px,
        "intensity": intens,
        "blink_frames": [int(i) + 1 for i in np.flatnonzero(blink > 0.01)],
        "noise_sigma": noise_sigma,
        "size": (width, height),
    }
    return SyntheticClip(
        frames=frames,
        fps=float(fps),
        record=record,
        activations=activations[:n_render],
        au_names=AU_NAMES,
        frame_numbers=frame_numbers,
        meta=meta,
    )


def demo_clip(seed: int = 0, *, size: tuple[int, int] | None = None) -> SyntheticClip:
    """A clear happiness micro-expression (AU6 + AU12 at full intensity) for demos."""
    return generate_clip(
        seed, 0, subject=1, emotion="happiness", aus=("AU6", "AU12"), intensity=1.0, size=size
    )
