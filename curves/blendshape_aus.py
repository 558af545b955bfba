"""ARKit blendshapes -> FACS Action Units: the one mapping for every blendshape source.

Face capture apps (Live Link Face, ARKit, the MediaPipe face landmarker bundled with ``ml``) report the
52 ARKit blendshapes in [0, 1]. Each AU here reads the blendshapes that show it, each with a gain that
brings a fully formed action (FACS intensity E) to about 1. Unilateral AUs have one column per side
(``AU12L`` from ``mouthSmileLeft``; "left" is the subject's, as in ARKit); the bilateral column is the
larger side, so a one-sided smile still reads as a smile.

ARKit has no lip tightener (AU23): the lips rolling in (``mouthRollLower``/``mouthRollUpper``) is the
closest visible change. Lips parting (AU25) and the jaw drop (AU26) both read ``jawOpen``: the lips part
long before the jaw is fully dropped, hence the larger gain on AU25.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["BLENDSHAPE_AUS", "blendshape_au_values"]

#: AU column -> (blendshape, gain) terms; the AU is the mean of ``gain * value`` over its terms, in [0, 1].
BLENDSHAPE_AUS: dict[str, tuple[tuple[str, float], ...]] = {
    "AU1L": (("browInnerUp", 1.0),),
    "AU1R": (("browInnerUp", 1.0),),
    "AU2L": (("browOuterUpLeft", 1.0),),
    "AU2R": (("browOuterUpRight", 1.0),),
    "AU4L": (("browDownLeft", 1.0),),
    "AU4R": (("browDownRight", 1.0),),
    "AU5L": (("eyeWideLeft", 1.0),),
    "AU5R": (("eyeWideRight", 1.0),),
    "AU6L": (("cheekSquintLeft", 1.0),),
    "AU6R": (("cheekSquintRight", 1.0),),
    "AU7L": (("eyeSquintLeft", 1.0),),
    "AU7R": (("eyeSquintRight", 1.0),),
    "AU9": (("noseSneerLeft", 1.0), ("noseSneerRight", 1.0)),
    "AU10L": (("mouthUpperUpLeft", 1.0),),
    "AU10R": (("mouthUpperUpRight", 1.0),),
    "AU12L": (("mouthSmileLeft", 1.0),),
    "AU12R": (("mouthSmileRight", 1.0),),
    "AU14L": (("mouthDimpleLeft", 1.0),),
    "AU14R": (("mouthDimpleRight", 1.0),),
    "AU15L": (("mouthFrownLeft", 1.0),),
    "AU15R": (("mouthFrownRight", 1.0),),
    "AU17": (("mouthShrugLower", 1.0),),
    "AU20L": (("mouthStretchLeft", 1.0),),
    "AU20R": (("mouthStretchRight", 1.0),),
    "AU23": (("mouthRollLower", 1.0), ("mouthRollUpper", 1.0)),
    "AU24": (("mouthPressLeft", 1.0), ("mouthPressRight", 1.0)),
    "AU25": (("jawOpen", 4.0),),
    "AU26": (("jawOpen", 1.5),),
    "AU45L": (("eyeBlinkLeft", 1.0),),
    "AU45R": (("eyeBlinkRight", 1.0),),
}


def _bilateral(column: str) -> str:
    return column[:-1] if column[-1] in "LR" else column


def blendshape_au_values(values: np.ndarray, names: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """AU names and ``(N, A)`` values in [0, 1] from ``(N, len(names))`` blendshape values.

    The names are the sided columns of :data:`BLENDSHAPE_AUS` followed by each AU's bilateral column
    (the larger side). NaN rows (no face) stay NaN.

    Raises:
        ValueError: ``values`` is not 2-D with one column per name, or a needed blendshape is missing.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise ValueError(
            f"blendshape values must be (frames, {len(names)}) for the {len(names)} names given, "
            f"got shape {arr.shape}"
        )
    index = {name: i for i, name in enumerate(names)}
    needed = sorted({shape for terms in BLENDSHAPE_AUS.values() for shape, _ in terms} - set(index))
    if needed:
        raise ValueError(f"blendshape columns missing: {', '.join(needed)}; ARKit's 52 names are expected")
    sided: dict[str, np.ndarray] = {}
    for column, terms in BLENDSHAPE_AUS.items():
        total = sum(gain * arr[:, index[shape]] for shape, gain in terms) / len(terms)
        sided[column] = np.clip(total, 0.0, 1.0)
    bilateral: dict[str, np.ndarray] = {}
    for column, track in sided.items():
        name = _bilateral(column)
        bilateral[name] = track if name not in bilateral else np.fmax(bilateral[name], track)
    out_names = tuple(sided) + tuple(name for name in bilateral if name not in sided)
    columns = {**bilateral, **sided}
    out = np.stack([columns[name] for name in out_names], axis=1)
    return out_names, out
