"""Which keys layering changes in a base animation's curve (pure, no ``unreal``).

A micro-expression layered at ``at`` seconds only adds to the base curve inside its window
``[at, end]`` (``curves.layering`` fades it in and out there, so the sum equals the base at both ends).
So only the base keys inside the window are replaced: they are removed, and the layered keys inside the
window are added, with a key at each end of the window holding the layered value there (which is the
base's). Every base key outside the window stays exactly as it was, its interpolation and tangent modes
included (Python cannot read those, so rewriting them would lose them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["TIME_TOLERANCE", "WindowEdit", "window_edit"]

#: Two key times closer than this are one key (``KINDA_SMALL_NUMBER``, what ``FRichCurve::FindKey`` uses).
TIME_TOLERANCE = 1e-4


@dataclass(frozen=True)
class WindowEdit:
    """The change to one base curve.

    Attributes:
        name: the curve.
        remove: times of the base keys inside the window (to remove).
        add: ``(time, value)`` keys of the window (to add), sorted.
        merged: the whole curve after the edit: base keys outside the window plus ``add``, sorted.
    """

    name: str
    remove: tuple[float, ...]
    add: tuple[tuple[float, float], ...]
    merged: tuple[tuple[float, float], ...]


def window_edit(
    name: str,
    base_keys: Iterable[tuple[float, float]],
    layered_keys: Iterable[tuple[float, float]],
    window: tuple[float, float],
    ends: tuple[float, float],
) -> WindowEdit:
    """The keys to remove and add so that ``base`` becomes the layered curve inside ``window`` only.

    Args:
        name: the curve's name.
        base_keys: the base curve's ``(time, value)`` keys.
        layered_keys: the layered curve's keys (``curves.layering`` output, over the whole base).
        window: ``(at, end)`` seconds, where the micro-expression adds to the curve.
        ends: the layered curve's values at ``at`` and ``end`` (equal to the base's there).

    >>> e = window_edit("c", [(0.0, 0.1), (0.5, 0.2), (2.0, 0.1)], [(0.0, 0.1), (1.2, 0.6), (2.0, 0.1)],
    ...                 (1.0, 1.5), (0.15, 0.12))
    >>> e.remove, e.add
    ((), ((1.0, 0.15), (1.2, 0.6), (1.5, 0.12)))
    """
    at, end = window
    if not end > at:
        raise ValueError(f"curve {name}: the layering window [{at}, {end}] is empty")

    def inside(t: float) -> bool:
        return at - TIME_TOLERANCE <= t <= end + TIME_TOLERANCE

    base = sorted((float(t), float(v)) for t, v in base_keys)
    add = [(at, float(ends[0]))]
    add += [
        (float(t), float(v))
        for t, v in sorted(layered_keys)
        if at + TIME_TOLERANCE < t < end - TIME_TOLERANCE
    ]
    add.append((end, float(ends[1])))
    kept = [k for k in base if not inside(k[0])]
    return WindowEdit(
        name=name,
        remove=tuple(t for t, _ in base if inside(t)),
        add=tuple(add),
        merged=tuple(sorted(kept + add)),
    )
