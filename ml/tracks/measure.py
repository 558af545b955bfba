"""Per-frame AU intensities of a face clip, measured against the subject's own neutral face.

1. The neutral span is the one given or the quietest by the landmarks and blendshapes
   (:func:`ml.tracks.neutral.neutral_scores`, :func:`~ml.tracks.neutral.quietest_span`), settled once
   the flow from it is known (:func:`ml.tracks.neutral.settled_neutral`: a span where the flow sees the
   skin moving is not at rest); its median landmarks are the neutral face, its mean lighting-invariant
   crop (in the neutral pose) the flow reference.
2. Head motion is fitted on rigid landmarks (:mod:`ml.tracks.rigid`) and inverted (each crop is put back
   into the neutral pose before the flow; landmarks are put back for the geometry), so what remains of the
   skin's movement is expression.
3. Brows, lids, cheeks, nose, lips, chin and lip corners: the mean optical flow of each region
   (:mod:`ml.tracks.flow`) in the face's own frame, projected on each AU's direction
   (:mod:`ml.tracks.calibration`). The inner brow's movement is shared between AU1 and AU4 by its
   direction (sadness raises and knits the brows at once; AU4 is what both brows show), the lip
   corner's (above the mouth line: below it the skin rides on the jaw) between AU12, AU20 and AU15 (a
   corner drawn towards the midline is none of them), and a corner pulled on one side beyond twice the
   other's is the dimpler, AU14 (:func:`one_sided_dimplers`); the chin raiser (AU17) is the chin's rise
   both beyond the jaw line's beside it and against the head (a smile stretching the lower face, or a
   jaw drop, moves one reading or the other) less the lower lip's descent (the chin raiser pushes the
   lower lip up; the flow beside a lower lip coming down reads the chin rising; where the flow sees the
   lower lip rise with the chin, :data:`LIP_RISE_WITH_CHIN`, the landmarks' descent is not the lip's);
   the upper lip's rise beyond half of the smile's part of the corners' rise is AU10 (a smile lifts the
   lip's middle about half as much as its corners; a corner lifted straight up, as the upper lip raiser
   lifts it, is no smile), the nose wings' rise beyond 0.3 of it is AU9 (the cheek a smile lifts carries
   the side of the nose wings a little; :data:`SMILE_LIFTS_LIP`, :data:`SMILE_LIFTS_WINGS`; and beyond
   what a jaw drop leaves in their reading, :data:`JAW_CARRIES_NOSE_WINGS`), the lower
   lid's rise beyond what the cheek carries (:data:`~ml.tracks.calibration.CHEEK_CARRIES_LID`) and what
   the upper lid's own raise carries (:data:`UPPER_LID_CARRIES_LOWER`) is AU7, and the upper lid's rise
   beyond what the inner brow carries (:data:`~ml.tracks.calibration.BROW_CARRIES_LID`) is AU5.
4. Lips apart (the lower lip's descent beyond what the jaw's drop carries, :data:`JAW_LOWERS_LIP`, where
   the flow sees it too, :data:`LOWER_LIP_FLOW_READS`),
   jaw drop (the chin moves away from the eyes' corners, which sit at about its depth, so a turn moves
   them alike; the chin sits at the crop's edge, where flow is unreliable), lip tightening (the mouth
   narrows: the corners move towards the midline in the landmarks and in the flow), lip press (the lip
   red thins, in millimetres: as a share of the lip red, a thin lip's landmark jitter read as a press),
   eyelid closure: landmark geometry (:mod:`ml.tracks.geometry`); blinks are told from eye closure
   (:mod:`ml.tracks.blinks`; the lids' landmarks or, where they under-read it, as behind glasses, the
   upper lid margin's descent in the flow, :data:`LID_FLOW_READS`), and the upper-face and geometry AUs
   are bridged over them (:data:`BRIDGED_OVER_BLINKS`).
5. The flow and the landmarks in the neutral frame are smoothed over time at the scale of the skin's
   fastest movement (:mod:`ml.tracks.smoothing`), which takes off most of high-speed footage's
   frame-to-frame noise.
6. Intensity = movement / movement at FACS intensity E, clipped to [0, 1]; NaN without a face.
7. The AUs are read twice: what the head's turn leaves in each region's flow, and in the lip red's
   thickness, is fitted on the frames the first reading shows at rest in that part of the face, and
   taken off before the second (:mod:`ml.tracks.crosstalk`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ml.tracks.blinks import eye_closure, interpolate_over
from ml.tracks.calibration import (
    AU_NAMES,
    FLOW_AUS,
    INNER_BROW_AUS,
    INNER_BROW_REGIONS,
    LIP_CORNER_AUS,
    NOISE_MM,
    NOT_CORNER_AUS,
    REST_DEADZONE,
    SCALE_MM,
    SIDED,
    scale_iod,
)
from ml.tracks.crosstalk import remove_lip_red_turn_crosstalk, remove_turn_crosstalk
from ml.tracks.flow import FlowRegions, region_movement
from ml.tracks.geometry import FaceAxes, MouthShape, eye_openings
from ml.tracks.inputs import check_span, check_track_inputs
from ml.tracks.neutral import flow_speed, neutral_scores, quietest_span, settled_neutral
from ml.tracks.rigid import fit_head_motion, to_neutral_frame, turn_from_neutral
from ml.tracks.smoothing import smooth_over_time
from ml.tracks.types import AUTracks

__all__ = [
    "BRIDGED_OVER_BLINKS",
    "direction_parts",
    "measure_au_intensities",
    "one_sided_dimplers",
    "split_inner_brows",
    "split_on_directions",
]

#: AUs replaced by a straight line across blinks and eye closures: the upper-face AUs read from flow (a
#: closing lid drags the skin around the eye, brows included), every AU read against the still-skin fit
#: (:data:`~ml.tracks.flow.STILL_FIT_REGIONS`, made on skin that includes the lids: the nose wings of AU9
#: and the chin against the head of AU17 too; a blink on Biden's portrait read the chin raised, AU17 0.08,
#: and on the astronaut's the nose wrinkled, AU9 0.03), and those read from landmark geometry (the
#: landmark model shifts its mouth and chin points by a pixel or so when the eyes close). Bridging AU9
#: and AU17 as well: development mean PCC 0.870 -> 0.872, micro-expressions at 30 fps 0.826 -> 0.830.
BRIDGED_OVER_BLINKS: tuple[str, ...] = (
    "AU1",
    "AU2",
    "AU4",
    "AU5",
    "AU6",
    "AU7",
    "AU9",
    "AU17",
    "AU23",
    "AU24",
    "AU25",
    "AU26",
)

_SIDES = ("L", "R")
#: Share of the upper lid margin's descent that the region flow reads in a blink: the 7 px flow window
#: averages the thin margin with the still skin around it. Set on the development faces (0.53-0.57 of
#: the landmarks' closure on a fully rendered blink).
LID_FLOW_READS = 0.55
#: Descent of the lower lip's lower edge per unit of the chin landmark's descent when the jaw alone drops:
#: the lower lip rides on the jaw, and the landmark model's chin point, at the face's edge, reads about
#: two thirds of the jaw's movement. The lower lip's descent beyond this is the lips parting, AU25 (the
#: lower lip drawn down off the teeth), so a jaw drop does not also read as lips apart and a rig does not
#: open the mouth twice; and a raised upper lip (AU10) does not read as AU25 either. Set on the
#: development faces (pooled AU25 PCC 0.90 at 1.25, 0.89 at 1.5, 0.83 at 1.75; the lips' gap less twice
#: the chin's drop, the rule this replaces, 0.65).
JAW_LOWERS_LIP = 1.5
#: Share of the lower lip's descent beyond the chin's that the flow reads (the lower lip band's mean flow
#: less the chin region's): the band's inner edge borders the mouth opening, where flow is poor. The
#: landmarks' reading of AU25 must be seen in the flow too (a landmark model shifting its lip points is
#: not the lips parting). Set on the development faces: the ratio of the two readings' gains on AU25
#: (0.031 and 0.097 IOD per unit of intensity); pooled AU25 PCC 0.89 with the landmarks alone, 0.96 with
#: both, from 0.25 to 0.4 alike.
LOWER_LIP_FLOW_READS = 0.32
#: Rise of the upper lip's middle, and of the nose wings, per unit of the lip corners' rise in a smile
#: (AU12's part of each whole corner's movement, :data:`~ml.tracks.calibration.LIP_CORNER_AUS`): the
#: pull towards the cheekbones lifts the upper lip about half as far as its corners, and the cheek it
#: raises carries the side of the nose wings a little. The upper lip's rise beyond this is AU10, the
#: wings' AU9, so a smile reads as neither. Only the smile's part: the upper lip raiser lifts the corners
#: with the lip, straight up, and taking that rise off the lip's left little of AU10 (0.06-0.28 at E on
#: the development faces, 0.27-0.51 now; development AU10 PCC 0.60 -> 0.81, flat from 0.5 to 0.7).
SMILE_LIFTS_LIP = 0.5
SMILE_LIFTS_WINGS = 0.3
#: Share of the upper lid's own raise (AU5, in mm) that the lower lid's flow reads as its rise: a wider eye
#: moves the lower lid's window at the opening's edge (0.19-0.43 on the development faces with AU5 alone
#: at E). The smallest share is taken off, so that no face's own lid tightening is taken for it; the
#: widened eyes of fear then no longer read as AU7 (development AU7 PCC 0.87 -> 0.95; 0.1 0.93, 0.3 0.86).
UPPER_LID_CARRIES_LOWER = 0.2
#: Rise of the nose wings' reading (AU9, mm) per mm of the jaw's drop (AU26): the nose wings are read
#: against the still-skin fit, and a dropping jaw stretches the skin below the cheeks that the fit is
#: made on, so a jaw drop alone read the wings raised (AU9 0.11 at E on the astronaut and Biden: 0.036 and
#: 0.032 mm per mm; none on Luis Pedro Coelho). A little under the two that show it is taken off, so that
#: surprise does not read as the nose wrinkled (development AU9 PCC 0.87 -> 0.88, micro-expressions at
#: 200 fps 0.822 -> 0.826; 0.02 and 0.045 read within 0.002 of it). The drop is the jaw's track, beyond
#: its noise: the chin landmark's jitter, taken off as a drop, took a small disgust's AU9 below an
#: event's threshold (a held-out face in grey).
JAW_CARRIES_NOSE_WINGS = 0.03
#: The lower lip rising in the flow by at least this share of the chin's rise is rising with the chin
#: (disgust's upper lip raiser lifts the lower lip's flow too: 0.37-3.5 times the chin's rise on the
#: development faces), and the landmarks' descent of it is not taken off the chin raiser then: the
#: landmark model brings the lower lip down when the upper lip rises (2.4 mm on Biden's portrait),
#: which wiped out disgust's AU17. Lips parting (fear: the lip's flow rises 0.14 times the chin's, whose
#: window follows the lip's moving edge) keep the landmarks' descent. Development AU17 PCC 0.33 -> 0.49.
LIP_RISE_WITH_CHIN = 1.0 / 3.0


def direction_parts(
    vectors: np.ndarray, directions: tuple[tuple[str, tuple[float, float]], ...]
) -> dict[str, np.ndarray]:
    """The ``(N, 2)`` part of each ``(N, 2)`` vector along each named direction (NaN rows stay NaN).

    The unit directions, ordered by angle, must leave no gap of 180 degrees or more; a vector is the
    non-negative sum of the two directions on either side of it. A name given to several directions
    gets the sum of its parts.
    """
    order = sorted(range(len(directions)), key=lambda k: np.arctan2(directions[k][1][1], directions[k][1][0]))
    names = [directions[k][0] for k in order]
    units = np.array([directions[k][1] for k in order], dtype=np.float64)
    angles = np.arctan2(units[:, 1], units[:, 0])
    finite = np.isfinite(vectors).all(axis=1)
    safe = np.where(finite[:, None], vectors, 0.0)
    upper = np.searchsorted(angles, np.arctan2(safe[:, 1], safe[:, 0])) % len(units)
    lower = (upper - 1) % len(units)
    basis = np.stack([units[lower], units[upper]], axis=2)  # (N, 2, 2): columns are the two directions
    amounts = np.clip(np.linalg.solve(basis, safe[:, :, None])[:, :, 0], 0.0, None)
    parts = {name: np.zeros((len(vectors), 2)) for name in names}
    for column, side in ((0, lower), (1, upper)):
        for k, name in enumerate(names):
            hit = side == k
            parts[name][hit] += amounts[hit, column, None] * units[k]
    for part in parts.values():
        part[~finite] = np.nan
    return parts


def split_on_directions(
    vectors: np.ndarray, directions: tuple[tuple[str, tuple[float, float]], ...]
) -> dict[str, np.ndarray]:
    """How much of each named direction makes up each ``(N, 2)`` vector: the length of its part
    (:func:`direction_parts`); NaN rows stay NaN."""
    return {name: np.linalg.norm(part, axis=1) for name, part in direction_parts(vectors, directions).items()}


def split_inner_brows(brows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``AU1L``, ``AU1R``, ``AU4L``, ``AU4R`` in IODs from each inner brow's ``(N, 2)`` (out, up) movement.

    Each side's movement is shared out by direction (:data:`~ml.tracks.calibration.INNER_BROW_AUS`);
    AU4 is then the smaller of the two sides' on both: the corrugators knit both brows, while the flow of
    a raised brow can read inwards on one side alone (the aperture problem).
    """
    parts = {side: split_on_directions(brows[side], INNER_BROW_AUS) for side in _SIDES}
    knit = np.fmin(parts["L"]["AU4"], parts["R"]["AU4"])
    return {
        **{f"AU1{side}": parts[side]["AU1"] for side in _SIDES},
        **{f"AU4{side}": knit.copy() for side in _SIDES},
    }


def one_sided_dimplers(corner_pulls: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``AU14L``, ``AU14R``: each side's lip-corner pull (AU12) beyond twice the other side's.

    Seen from the front, the dimpler's own movement (the corner drawn back into the cheek) is about a
    quarter of a smile's and in a direction a smile's corner also takes (measured on the development
    faces: 10-30 degrees above level, a smile's 30-40), so the corner's movement cannot tell the two
    apart. FACS coders code a lip corner pulled on one side only as the dimpler (EMFACS contempt:
    unilateral 14, or 12+14); a smile pulls both corners, seldom evenly, so the pull counts as one-sided
    only beyond twice the other side's (development AU14 PCC 0.91 beyond the other side's, 0.97 beyond
    twice it: an uneven smile read as a dimpler on its stronger side; 0.99 once the dimpler also lost its
    own sector of the corner's directions, :data:`~ml.tracks.calibration.LIP_CORNER_AUS`). ``corner_pulls``:
    ``{"L": ..., "R": ...}`` AU12 intensities; NaN stays NaN.
    """
    return {
        f"AU14{side}": np.clip(corner_pulls[side] - 2.0 * corner_pulls[other], 0.0, None)
        for side, other in (("L", "R"), ("R", "L"))
    }


def _flow_aus(local: dict[str, np.ndarray], regions: FlowRegions) -> dict[str, np.ndarray]:
    """Sided and midline AUs read from region flow; ``local[side]`` is (N, R, 2) (out, up) in IODs."""
    values: dict[str, np.ndarray] = {}
    for au, spec in FLOW_AUS.items():
        direction = np.asarray(spec.direction)
        for side in _SIDES:
            amount = local[side][:, regions.index(spec.region(side))] @ direction
            if spec.carrier is not None:  # the share another action's movement carries the region with it
                carrier = local[side][:, regions.index(spec.carrier[side == "L"])] @ direction
                amount = amount - spec.carried * np.clip(carrier, 0.0, None)
            values[f"{au}{side}"] = np.clip(amount, 0.0, None) / scale_iod(au)
    for side in _SIDES:
        lid_raise = values[f"AU5{side}"] * scale_iod("AU5")
        lower_lid = values[f"AU7{side}"] * scale_iod("AU7") - UPPER_LID_CARRIES_LOWER * lid_raise
        values[f"AU7{side}"] = np.clip(lower_lid, 0.0, None) / scale_iod("AU7")
    brows = {side: local[side][:, regions.index(INNER_BROW_REGIONS[side == "L"])] for side in _SIDES}
    for column, amount in split_inner_brows(brows).items():
        values[column] = amount / scale_iod(column[:-1])
    smile_rise = []
    for side in _SIDES:
        name = "left" if side == "L" else "right"
        corner = local[side][:, regions.index(f"lip_corner_above_{name}")]
        for au, amount in split_on_directions(corner, LIP_CORNER_AUS).items():
            if au not in NOT_CORNER_AUS:
                values[f"{au}{side}"] = amount / scale_iod(au)
        # the whole corner's rise in its smile's part of the movement (its rise with the upper lip is not)
        whole = local[side][:, regions.index(f"lip_corner_{name}")]
        smile_rise.append(direction_parts(whole, LIP_CORNER_AUS)["AU12"][:, 1])
    values.update(one_sided_dimplers({side: values[f"AU12{side}"] for side in _SIDES}))
    upper_lip_up = local["L"][:, regions.index("upper_lip"), 1]
    corners_up = np.mean(smile_rise, axis=0)
    values["AU10"] = np.clip(upper_lip_up - SMILE_LIFTS_LIP * corners_up, 0.0, None) / scale_iod("AU10")
    wings_up = (
        local["L"][:, regions.index("nose_wing_left"), 1] + local["R"][:, regions.index("nose_wing_right"), 1]
    ) / 2
    values["AU9"] = np.clip(wings_up - SMILE_LIFTS_WINGS * corners_up, 0.0, None) / scale_iod("AU9")
    return values


def _chin_rise(up: np.ndarray, regions: FlowRegions) -> np.ndarray:
    """``(N,)`` the chin's rise in IODs from the regions' ``(N, R)`` upward flow: against the jaw line beside
    it and against the head, whichever is less (each alone also reads other movements: a smile
    stretching the lower face, a jaw drop moving the face's fit; both do not)."""
    beyond_jaw = up[:, regions.index("chin")] - up[:, regions.index("jaw")]
    return np.fmin(beyond_jaw, up[:, regions.index("chin_against_head")])


def _geometry_aus(
    points: np.ndarray,
    lip_red: np.ndarray,
    base: np.ndarray,
    axes: FaceAxes,
    flow: dict[str, np.ndarray],
    fps: float,
) -> tuple[dict[str, np.ndarray], tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """AU17, AU23-AU26, AU43, AU45 from landmarks in the neutral frame and the flow; the blink and closed
    spans. ``lip_red``: ``(N,)`` the lip red's thickness, pixels (:class:`MouthShape`, what the head's
    turn leaves in it taken off).

    ``flow`` holds the flow readings the landmarks are checked against or completed with, in IODs:
    ``"corners_in"`` (the lip corners' mean movement towards the midline), ``"lip_beyond_chin"`` (the
    lower lip's descent beyond the chin's), ``"lower_lip_down"`` (the lower lip's descent),
    ``"chin_rise"`` (:func:`_chin_rise`) and ``"lid_drop_L"`` / ``"lid_drop_R"`` (each upper lid
    margin's descent).
    """
    mouth = MouthShape(points, axes.up)
    rest = MouthShape(base[None, :, :2], axes.up)
    values: dict[str, np.ndarray] = {
        "AU26": (mouth.chin_drop - rest.chin_drop) / axes.iod / scale_iod("AU26"),
    }
    # the chin raiser pushes the lower lip up with the chin boss; where the lower lip comes down instead
    # (the lips parting, the jaw dropping), the flow's window at the chin's upper edge follows the lip's
    # moving edge and reads the chin going up (lips apart at E on a photograph: AU17 0.46). The chin's
    # rise counts less the lower lip's descent, as the flow or the landmarks see it, whichever sees more
    # (the flow of the lip's band under-reads a lower lip drawn off the teeth; development AU17 PCC 0.31
    # without this, 0.56 with it); the landmarks' only where the flow does not see the lip rise with the
    # chin (:data:`LIP_RISE_WITH_CHIN`).
    seen_descent = np.fmax(flow["lower_lip_down"], (mouth.lower_lip_drop - rest.lower_lip_drop) / axes.iod)
    rising = flow["lower_lip_down"] < -LIP_RISE_WITH_CHIN * np.clip(flow["chin_rise"], 0.0, None)
    lip_descent = np.where(rising, flow["lower_lip_down"], seen_descent)
    chin_rise = flow["chin_rise"] - np.clip(lip_descent, 0.0, None)
    values["AU17"] = np.clip(chin_rise, 0.0, None) / scale_iod("AU17")
    jaw_carries = JAW_LOWERS_LIP * np.clip(mouth.chin_drop - rest.chin_drop, 0.0, None)
    lip_drop = (mouth.lower_lip_drop - rest.lower_lip_drop - jaw_carries) / axes.iod
    seen = flow["lip_beyond_chin"] / LOWER_LIP_FLOW_READS
    values["AU25"] = np.fmin(lip_drop, seen) / scale_iod("AU25")
    # the lip red's thinning in IODs, not as a share of its thickness: the landmarks jitter about as much
    # on thin lips as on full ones, so as a share a thin lip red's jitter (Biden's portrait: under 5 mm,
    # the other faces' 7-11) read as lip presses and started events (spotting F1 0.53 on that face, 0.78
    # in IODs; the other development faces alike either way)
    thinning = (rest.lip_red - lip_red) / axes.iod
    narrowing = (rest.width - mouth.width) / axes.iod
    # tightened lips draw the corners in: the flow and the landmarks must both see it (each alone reads
    # other movements as a little narrowing: the flow a smile's corner on some faces, the landmarks a pout)
    values["AU23"] = np.fmin(flow["corners_in"], narrowing / 2.0) / scale_iod("AU23")
    widening = np.clip(-narrowing / scale_iod("AU20"), 0.0, 1.0)
    values["AU24"] = thinning / scale_iod("AU24") * (1.0 - widening)
    openings = eye_openings(points)
    rest_open = eye_openings(base[None, :, :2])
    closure = {}
    for side in _SIDES:
        opening = max(float(rest_open[side][0]), 1e-6)
        # the lid margin's own descent (flow) where the landmarks under-read a closing lid (glasses)
        flow_closure = flow[f"lid_drop_{side}"] * axes.iod / opening / LID_FLOW_READS
        closure[side] = np.fmax(1.0 - openings[side] / opening, flow_closure)
    eyes = eye_closure(closure, fps)
    values["AU43"] = eyes.au43
    for side in _SIDES:
        values[f"AU45{side}"] = eyes.au45[side]
    return values, eyes.blinks, eyes.closed


def measure_au_intensities(
    crops: np.ndarray,
    landmarks: np.ndarray,
    blendshapes: np.ndarray,
    pose: np.ndarray,
    present: np.ndarray,
    fps: float,
    *,
    neutral: tuple[int, int] | None = None,
) -> AUTracks:
    """Per-frame intensities of the AUs of :data:`ml.tracks.calibration.AU_NAMES` (see the module doc).

    Args:
        crops: ``(N, S, S, 3)`` uint8 RGB stabilised face crops.
        landmarks: ``(N, 478, 3)`` float landmarks in crop pixels (NaN rows where no face).
        blendshapes: ``(N, 52)`` ARKit-order blendshapes (NaN where no face).
        pose: ``(N, 3)`` yaw, pitch, roll in degrees.
        present: ``(N,)`` bool, a face in the frame.
        fps: frames per second.
        neutral: ``(start, stop)`` frames of the subject's neutral face (stop exclusive); found
            automatically when omitted.

    Raises:
        ValueError: an input of the wrong shape or type, or a bad neutral span.
        ml.errors.NoFaceError: no frame has a face.
    """
    crops, points, shapes, angles, present, fps = check_track_inputs(
        crops, landmarks, blendshapes, pose, present, fps
    )
    scores = neutral_scores(points, shapes, angles, present, fps) if neutral is None else None
    span = check_span(neutral, present) if scores is None else quietest_span(scores, present, fps)
    frames, base, axes, maps = _neutral_face(points, present, span)
    regions = FlowRegions(base, crops.shape[1])
    displacement = smooth_over_time(region_movement(crops, present, frames, regions, maps), fps)
    if scores is not None:
        # the flow sees movements the landmarks barely register: a span where the skin moves is not at
        # rest. From a settled span the flow is the one measured less the skin's displacement there.
        settled = settled_neutral(scores, flow_speed(displacement, axes.iod, fps), present, fps)
        if settled != span:
            span = settled
            frames, base, axes, maps = _neutral_face(points, present, span)
            displacement = displacement - np.nanmean(displacement[frames], axis=0)
    steady = smooth_over_time(to_neutral_frame(maps, points[:, :, :2], base[:, 2]), fps)
    lip_red = MouthShape(steady, axes.up).lip_red
    face = _Face(steady, lip_red, base, axes, regions, turn_from_neutral(maps), present, span, fps)
    first = face.read(displacement)
    face = replace(face, lip_red=remove_lip_red_turn_crosstalk(lip_red, maps, frames, first, fps))
    return face.read(remove_turn_crosstalk(displacement, maps, frames, first, fps))


@dataclass(frozen=True)
class _Face:
    """What the AUs of a take are read with, besides its region movement: the landmarks in the neutral
    frame (``steady``), the neutral face, its axes and regions, and the head's turn from it."""

    steady: np.ndarray
    lip_red: np.ndarray
    base: np.ndarray
    axes: FaceAxes
    regions: FlowRegions
    head_turn: np.ndarray
    present: np.ndarray
    span: tuple[int, int]
    fps: float

    def read(self, displacement: np.ndarray) -> AUTracks:
        """The take's AU tracks from its ``(N, R, 2)`` region movement."""
        regions, present = self.regions, self.present
        local = {side: self.axes.local(displacement, side) for side in _SIDES}
        values = _flow_aus(local, regions)
        corners = {"L": regions.index("lip_corner_above_left"), "R": regions.index("lip_corner_above_right")}
        lid = FLOW_AUS["AU5"]  # the upper lid margin's descent
        checks = {f"lid_drop_{side}": -local[side][:, regions.index(lid.region(side)), 1] for side in _SIDES}
        checks["corners_in"] = -np.mean([local[side][:, corners[side], 0] for side in _SIDES], axis=0)
        up = local["L"][:, :, 1]
        checks["lip_beyond_chin"] = up[:, regions.index("chin")] - up[:, regions.index("lower_lip")]
        checks["lower_lip_down"] = -up[:, regions.index("lower_lip")]
        checks["chin_rise"] = _chin_rise(up, regions)
        geometry, blinks, closed = _geometry_aus(
            self.steady, self.lip_red, self.base, self.axes, checks, self.fps
        )
        values.update(geometry)
        values["AU9"] = _nose_wings_less_jaw(values["AU9"], values["AU26"])
        for au in BRIDGED_OVER_BLINKS:
            for column in (f"{au}L", f"{au}R") if au in SIDED else (au,):
                values[column] = interpolate_over(values[column], blinks + closed)

        for au in SIDED:
            values[au] = np.fmax(values[f"{au}L"], values[f"{au}R"])
        table = np.column_stack([values[name] for name in AU_NAMES])
        table = np.clip(table - _rest_deadzone(AU_NAMES), 0.0, 1.0)
        table[~present] = np.nan
        return AUTracks(
            names=AU_NAMES,
            values=table,
            neutral=self.span,
            present=present.copy(),
            blinks=blinks,
            source="face",
            head_turn=self.head_turn,
        )


def _nose_wings_less_jaw(au9: np.ndarray, au26: np.ndarray) -> np.ndarray:
    """AU9 less what the jaw's drop (AU26) carries of its reading (:data:`JAW_CARRIES_NOSE_WINGS`)."""
    drop = np.clip(au26 - _rest_deadzone(("AU26",))[0], 0.0, None)  # the jaw's drop as its track reads it
    carried_mm = JAW_CARRIES_NOSE_WINGS * drop * SCALE_MM["AU26"]
    return np.clip(au9 - carried_mm / SCALE_MM["AU9"], 0.0, None)


def _neutral_face(
    points: np.ndarray, present: np.ndarray, span: tuple[int, int]
) -> tuple[list[int], np.ndarray, FaceAxes, np.ndarray]:
    """The neutral span's frames with a face, their median landmarks, its axes and the head-motion maps."""
    frames = [t for t in range(*span) if present[t]]
    base = np.median(points[frames], axis=0)
    return frames, base, FaceAxes(base), fit_head_motion(base, points)


def _rest_deadzone(names: tuple[str, ...]) -> np.ndarray:
    """``(len(names),)`` intensity taken off each column: :data:`REST_DEADZONE` of its AU's noise."""
    stems = [name[:-1] if name[-1] in "LR" and name[:-1] in SIDED else name for name in names]
    return np.array([REST_DEADZONE * NOISE_MM.get(stem, 0.0) / SCALE_MM.get(stem, 1.0) for stem in stems])
