"""The one schema every dataset loader maps onto.

Downstream code (splits, training, evaluation) sees only :class:`ClipRecord` lists, never a vendor sheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ClipRecord"]


@dataclass(frozen=True)
class ClipRecord:
    """One labelled micro-expression clip.

    Attributes:
        dataset: corpus key (``"casme2"``, ``"samm"``, ``"smic"``, ``"mmew"``, ``"casme3"``,
            ``"synthetic"``...).
        subject: subject id as a string, unique within the dataset (``"sub01"``, ``"006"``).
        clip: clip id within the subject (``"EP02_01f"``).
        emotion: lowercase emotion label as coded (``"happiness"``, ``"others"``, ``"negative"``...).
        aus: canonical AU names (:mod:`curves.au`), sides kept (``("AU4", "AU10R")``).
        onset, apex, offset: frame *numbers* in the dataset's own numbering (CASME II ``img46.jpg`` is
            46), or None where the sheet has none (SMIC apex, CASME II's ``/``).
        fps: frame rate of the recording.
        path: folder of frames or video file of the clip; None if the loader was not given a media root.
        extra: anything else from the sheet (objective class, intensity letters, notes, composite label).
    """

    dataset: str
    subject: str
    clip: str
    emotion: str
    aus: tuple[str, ...] = ()
    onset: int | None = None
    apex: int | None = None
    offset: int | None = None
    fps: float = 200.0
    path: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A unique id across datasets: ``"casme2/sub01/EP02_01f"``."""
        return f"{self.dataset}/{self.subject}/{self.clip}"

    @property
    def bilateral_aus(self) -> tuple[str, ...]:
        """AU names with sides folded (``AU10R`` -> ``AU10``), duplicates removed, order kept."""
        out: list[str] = []
        for name in self.aus:
            base = name.rstrip("LR") if name[-1] in "LR" else name
            if base not in out:
                out.append(base)
        return tuple(out)
