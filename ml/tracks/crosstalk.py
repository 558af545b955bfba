"""What a head turn leaves in each region's flow and in the lip red's thickness, fitted on the take's own
frames at rest and taken off.

The landmark fit (:mod:`ml.tracks.rigid`) and the flow's own fits (:mod:`ml.tracks.flow`) take the head's
motion out with a depth surface interpolated between the landmarks. Where the face's relief differs from
that surface, a turn still moves the skin of a region, by the depth error times the turn: the same
proportion all through the take. On the development clips' frames without an action, a regression on
the true turn explains up to 0.9 of a region's remaining flow (the jaw, the cheeks, the lower lids, the
outer brow of a face turned from the camera).

Here each region's flow ``(dx, dy)`` is regressed, by least squares with a constant, on the head's turn
as the landmarks see it: the parallax of the head-motion map, ``A^-1 b`` (how far a point at unit depth
moves in the neutral face's frame), measured from the neutral frames. The fit uses only the frames at rest
in the region's part of the face (:data:`FACE_PARTS`): a first reading of the take marks a part busy
where any of its AUs moves by :data:`~ml.tracks.events.LOW_MM` beyond its noise and the turn's leak (where
an event would go on), widened by :data:`BUSY_MARGIN_S` for the action's faint start and end, and around
blinks. A held expression is therefore not taken for a turn, while a turn, which moves every part a
little, stays among the frames the fit learns from. A fit over all frames instead (even on the true turn)
takes held expressions for head motion by chance correlation with the slow drift of the head: on the
development clips macro-expressions fell from 0.88 to 0.72.

Development mean PCC (56 clips of the two development faces), without this / as here: all 0.893 / 0.902;
micro-expressions at 30 fps 0.797 / 0.828, at 200 fps 0.898 / 0.909; macro-expressions at 30 fps 0.883 /
0.906, at 200 fps 0.958 / 0.961. The turned face gains most (0.847 / 0.874), the frontal one holds (0.953
/ 0.954). The same fit on the frames the truth has at rest reads 0.83 at micro 30 fps, and on the true
turn 0.85: what is left is the turn the landmarks misread and the frames at rest the first reading
misses (a disgust read too weakly to mark its part busy).

A face whose relief the surface misses by much keeps part of its turn: on Luis Pedro Coelho's portrait a
turn of 5-6 degrees reads as a brow raise (AU2 up to 0.21), beyond the turn's allowance in the events'
noise (``TURN_LEAK_MM``), so those frames are busy and the fit does not learn from them. Counting every
frame turned by more than 4 degrees as at rest cleared it (development micro-expressions at 30 fps 0.826
-> 0.845), but an expression held while the head is turned is then fitted as the turn and taken off (a
smile at half strength during a 6 degree turn: AU12 0.46 -> 0.01); trimming the frames the first fit
leaves unexplained did not save it, and real takes turn while they smile, so busy frames stay out.

The lip press (AU24) is read from the lip red's thickness in the landmarks, and the lips stand out of the
depth surface too: on Biden's portrait (a lip red under 5 mm) a turn of 2-3 degrees thinned it by as
much as a light press. The thickness is fitted on the turn the same way, on the frames the mouth and jaw
are at rest (:func:`remove_lip_red_turn_crosstalk`): on Biden's 32 development clips spotting F1 went
from 0.79 to 0.83 (false events 26 -> 17), PCC 0.858 either way; the other two faces' clips read the same
(0.902 / 0.92).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_dilation

from ml.tracks.events import LOW_MM, movement_beyond_noise
from ml.tracks.flow import REGION_NAMES
from ml.tracks.types import AUTracks

__all__ = [
    "BUSY_MARGIN_S",
    "FACE_PARTS",
    "MIN_REST_FRAMES",
    "remove_lip_red_turn_crosstalk",
    "remove_turn_crosstalk",
    "turn_parallax",
]

#: Each part of the face: the AUs that move its skin, and its regions (:data:`ml.tracks.flow.REGION_NAMES`,
#: each in exactly one part). The cheek rises with a smile (AU12) and the upper lip with the nose's
#: wrinkling (AU9 carries AU10), so those AUs mark two parts.
FACE_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "brows and upper lids": (
        ("AU1", "AU2", "AU4", "AU5"),
        (
            "inner_brow_right",
            "inner_brow_left",
            "outer_brow_right",
            "outer_brow_left",
            "glabella",
            "upper_eyelid_right",
            "upper_eyelid_left",
            "upper_lid_margin_right",
            "upper_lid_margin_left",
        ),
    ),
    "lower lids, cheeks and nose": (
        ("AU6", "AU7", "AU9", "AU10", "AU12"),
        (
            "lower_eyelid_right",
            "lower_eyelid_left",
            "cheek_right",
            "cheek_left",
            "nasolabial_right",
            "nasolabial_left",
            "nose_wrinkle",
            "nose_wing_right",
            "nose_wing_left",
        ),
    ),
    "mouth and jaw": (
        ("AU10", "AU12", "AU14", "AU15", "AU17", "AU20", "AU23", "AU24", "AU25", "AU26"),
        (
            "lip_corner_right",
            "lip_corner_left",
            "upper_lip",
            "lower_lip",
            "chin",
            "jaw",
            "lip_corner_above_right",
            "lip_corner_above_left",
            "chin_against_head",
        ),
    ),
}
#: Time around a busy frame also left out of the fit, seconds: an action's faint start and end.
BUSY_MARGIN_S = 0.1
#: Fewest frames at rest a part's fit needs (its three terms per flow component, with room to spare);
#: with fewer, the part's flow is left as measured.
MIN_REST_FRAMES = 12


def turn_parallax(maps: np.ndarray) -> np.ndarray:
    """``(N, 2)`` the head's turn as the ``(N, 2, 4)`` head-motion maps see it: ``A^-1 b``, the movement, in
    the neutral face's frame, of a point at unit depth (NaN where a map is NaN)."""
    a = maps[:, :, :2]
    b = maps[:, :, 2]
    found = np.isfinite(maps).all(axis=(1, 2))
    inverse = np.linalg.inv(np.where(found[:, None, None], a, np.eye(2)))
    out = np.einsum("nij,nj->ni", inverse, np.where(found[:, None], b, 0.0))
    out[~found] = np.nan
    return out


def _rest_frames(first: AUTracks, aus: tuple[str, ...], found: np.ndarray, fps: float) -> np.ndarray:
    """``(N,)`` frames with a reading where none of ``aus`` moves (widened by BUSY_MARGIN_S), and no blink."""
    blinking = np.zeros(first.n_frames, bool)
    for start, stop in first.blinks:
        blinking[start : stop + 1] = True
    reach = round(BUSY_MARGIN_S * fps)
    moving = np.nan_to_num(movement_beyond_noise(first, aus), nan=0.0) > LOW_MM
    return found & ~binary_dilation(moving.any(axis=1) | blinking, structure=np.ones(2 * reach + 1, bool))


def _less_turn(values: np.ndarray, turn: np.ndarray, rest: np.ndarray, found: np.ndarray) -> np.ndarray:
    """``(N, K)`` ``values`` less their least-squares fit on the ``(N, 2)`` ``turn`` (with a constant) over
    the ``rest`` frames, on the ``found`` frames; as they are with fewer than MIN_REST_FRAMES at rest."""
    if rest.sum() < MIN_REST_FRAMES:
        return values
    design = np.column_stack([turn, np.ones(len(turn))])
    slope = np.linalg.lstsq(design[rest], values[rest], rcond=None)[0][:2]
    out = values.copy()
    out[found] = values[found] - turn[found] @ slope
    return out


def _turn_since_neutral(maps: np.ndarray, neutral: list[int]) -> np.ndarray:
    turn = turn_parallax(maps)
    return turn - np.nanmean(turn[neutral], axis=0)


def remove_turn_crosstalk(
    displacement: np.ndarray, maps: np.ndarray, neutral: list[int], first: AUTracks, fps: float
) -> np.ndarray:
    """``(N, R, 2)`` region movement less what is linear in the head's turn (see the module doc).

    Args:
        displacement: ``(N, R, 2)`` region movement, rows of :data:`~ml.tracks.flow.REGION_NAMES`.
        maps: ``(N, 2, 4)`` head-motion maps from the neutral face.
        neutral: the neutral span's frames with a face (the turn is measured from them).
        first: the take's AU tracks read from ``displacement`` as it is.
        fps: frames per second.
    """
    turn = _turn_since_neutral(maps, neutral)
    found = np.isfinite(displacement).all(axis=(1, 2)) & np.isfinite(turn).all(axis=1)
    out = displacement.copy()
    for aus, regions in FACE_PARTS.values():
        rows = [REGION_NAMES.index(name) for name in regions]
        flow = displacement[:, rows].reshape(len(displacement), -1)
        rest = _rest_frames(first, aus, found, fps)
        out[:, rows] = _less_turn(flow, turn, rest, found).reshape(-1, len(rows), 2)
    return out


def remove_lip_red_turn_crosstalk(
    lip_red: np.ndarray, maps: np.ndarray, neutral: list[int], first: AUTracks, fps: float
) -> np.ndarray:
    """``(N,)`` the lip red's thickness (landmarks in the neutral frame) less what is linear in the head's
    turn, fitted on the frames the mouth and jaw are at rest; arguments as :func:`remove_turn_crosstalk`.

    The lips stand out of the depth surface the head-motion fit puts back, so a turn changes the lip
    red's apparent thickness, and a lip press (AU24) is read from that thickness alone.
    """
    turn = _turn_since_neutral(maps, neutral)
    found = np.isfinite(lip_red) & np.isfinite(turn).all(axis=1)
    rest = _rest_frames(first, FACE_PARTS["mouth and jaw"][0], found, fps)
    return _less_turn(lip_red[:, None], turn, rest, found)[:, 0]
