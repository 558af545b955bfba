"""What measuring a clip gives: per-frame AU intensity tracks, and the expression events in them.

An event is :class:`curves.microexpression.ExpressionEvent`, the contract the curves and the editor read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curves.microexpression import ExpressionEvent

__all__ = ["AUTracks", "ExpressionEvent"]


@dataclass(frozen=True)
class AUTracks:
    """Per-frame AU intensities of one face.

    ``values[t, a]`` is the intensity of AU ``names[a]`` at frame ``t`` in [0, 1], relative to the
    subject's neutral frames ``neutral = (start, stop)`` (stop exclusive): 0 is the neutral face, 1 a
    strong, fully formed action (FACS intensity E). NaN where no face was found. Unilateral AUs have a
    column per side (``AU12L``, ``AU12R``: the subject's left and right) beside the bilateral one
    (``AU12``, the larger side).

    ``blinks`` are the (start, stop) frame spans read as blinks (AU45); ``source`` says what measured
    the values (``"face"``: optical flow and landmark geometry; ``"blendshapes"``: the blendshape
    model alone). ``head_turn`` is, per frame, how far the head is turned or tilted from its pose in
    the neutral frames (degrees of yaw and pitch together; NaN without a face), where known: what is
    left of a turn in the measurement grows with it.
    """

    names: tuple[str, ...]
    values: np.ndarray
    neutral: tuple[int, int]
    present: np.ndarray
    blinks: tuple[tuple[int, int], ...] = ()
    source: str = "face"
    head_turn: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.present), len(self.names)):
            raise ValueError(
                f"AU values must be (frames, AUs) = ({len(self.present)}, {len(self.names)}), "
                f"got {self.values.shape}"
            )
        if self.head_turn is not None and self.head_turn.shape != (len(self.present),):
            raise ValueError(f"head_turn must be ({len(self.present)},), got {self.head_turn.shape}")

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    def track(self, name: str) -> np.ndarray:
        """The ``(N,)`` track of one AU column."""
        if name not in self.names:
            raise KeyError(f"No AU track {name!r}; tracks: {', '.join(self.names)}")
        return self.values[:, self.names.index(name)]

    @property
    def bilateral_names(self) -> tuple[str, ...]:
        """The columns without a side suffix (one per AU)."""
        return tuple(name for name in self.names if name[-1] not in "LR")
