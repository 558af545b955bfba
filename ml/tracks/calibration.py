"""The calibration of every measured AU: what moves, in which direction, and how far at intensity E.

All displacements are in inter-ocular distances (IOD: the distance between the two eye centres of the
subject's neutral face, about 63 mm on an adult), so the scale does not depend on crop size or camera
distance. ``SCALE_MM`` is the movement of a strong, fully formed action (FACS intensity E) from FACS
descriptions of each action and typical adult facial anatomy; intensity = movement / movement at E,
clipped to [0, 1]. A micro-expression (a movement of 1-2 mm) therefore stays near 0.1-0.3.

Directions are unit vectors ``(out, up)`` in the face's own frame: ``out`` points away from the midline
on the side being measured, ``up`` towards the forehead.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AU_NAMES",
    "BILATERAL_ONLY",
    "BLINK_MAX_S",
    "BROW_CARRIES_LID",
    "CHEEK_CARRIES_LID",
    "CLOSURE_AT_E",
    "FLOW_AUS",
    "FLOW_NOISE_MM",
    "INNER_BROW_AUS",
    "INNER_BROW_REGIONS",
    "INWARD",
    "IOD_MM",
    "LIP_CORNER_AUS",
    "NOISE_MM",
    "NOT_CORNER_AUS",
    "OUTWARD",
    "RAISED",
    "REST_DEADZONE",
    "SCALE_MM",
    "SIDED",
    "scale_iod",
]

#: Eye-centre distance of an adult face, mm (the unit every scale below is converted with).
IOD_MM = 63.0

#: Movement at intensity E, mm (the jaw drop: lowering of the chin).
SCALE_MM: dict[str, float] = {
    "AU1": 8.0,  # inner brow raised
    "AU2": 9.0,  # outer brow raised
    "AU4": 6.0,  # brows lowered and drawn together
    "AU5": 3.0,  # upper lid raised
    "AU6": 5.0,  # cheek raised (infraorbital triangle)
    "AU7": 3.0,  # lower lid raised and tightened
    "AU9": 4.0,  # wings of the nose pulled up
    "AU10": 4.0,  # upper lip raised (beyond what the lip corners carry)
    "AU12": 10.0,  # lip corner pulled up and back
    "AU14": 4.0,  # lip corner drawn in (dimpler)
    "AU15": 5.0,  # lip corner pulled down
    "AU17": 5.0,  # chin boss pushed up
    "AU20": 8.0,  # lip corner stretched sideways
    "AU23": 4.0,  # lip corners drawn towards the midline by the tightened lips (each side)
    "AU24": 4.0,  # lips pressed together: the lip red (about 8 mm, upper and lower lip) thinned by half
    "AU25": 5.0,  # lips apart: the lower lip drawn down off the teeth, beyond what the jaw carries
    "AU26": 15.0,  # chin lowered by the jaw (away from the eyes)
}

#: Movement that measurement noise reaches without an action, mm of each AU's scale: the 99.9th percentile
#: over the development clips' frames where no AU acts (head drift, head turns of 3-6 degrees with no
#: action, lighting drift, sensor noise and blinks included). Region flow stays under 0.3 mm (the lid
#: margin, read in a small window, under 0.1); the cheek (AU6) follows the lids in a blink; landmark
#: geometry (lips, jaw) jitters most: the chin sits at the crop's edge. Events count movement beyond it,
#: and beyond what the take's own neutral frames show (:mod:`ml.tracks.events`).
#: The cheek's (AU6) was re-measured once blinks were bridged over (the largest of the development faces'
#: 0.44, 0.35 and 0.11 mm; 0.55 before): development micro-expressions' AU6 PCC 0.79 -> 0.84 at 200 fps.
NOISE_MM: dict[str, float] = {
    "AU1": 0.22,
    "AU2": 0.26,
    "AU4": 0.17,
    "AU5": 0.07,
    "AU6": 0.44,
    "AU7": 0.11,
    "AU9": 0.14,
    "AU10": 0.06,
    "AU12": 0.18,
    "AU14": 0.12,
    "AU15": 0.34,
    "AU17": 0.21,
    "AU20": 0.13,
    "AU23": 0.16,
    "AU24": 0.49,
    "AU25": 0.39,
    "AU26": 1.33,
}
#: The noise of an AU the table does not list, mm.
FLOW_NOISE_MM = 0.3
#: Share of each AU's measurement noise (:data:`NOISE_MM`) taken off its intensity:
#: a face at rest reads 0 instead of a flicker of noise, so the rig stays still, and a movement above
#: it keeps its size less that small offset (0.01-0.04 of intensity E). Half the noise: set on the
#: development clips (mean PCC 0.74 with none, 0.76 with a quarter, 0.78 with a half, 0.78 with all).
REST_DEADZONE = 0.5

#: Eyelid closure (1 - opening / neutral opening) at intensity E: fully closed.
CLOSURE_AT_E = 0.9
#: A closure this fast or faster is a blink (AU45); a longer one is the eyes closing (AU43).
BLINK_MAX_S = 0.4


def scale_iod(au: str) -> float:
    """Movement at intensity E of ``au`` in inter-ocular distances."""
    return SCALE_MM[au] / IOD_MM


@dataclass(frozen=True)
class FlowAU:
    """An AU read from the mean optical flow of one region per side, projected on its direction.

    Where another action moves the region too, ``carrier`` names that action's regions (right, left):
    the AU is the movement beyond ``carried`` times the carrier's (its rise, where it rises).
    """

    right: str
    left: str
    direction: tuple[float, float]
    carrier: tuple[str, str] | None = None
    carried: float = 0.0

    def region(self, side: str) -> str:
        """The region read on the subject's side ``"L"`` or ``"R"``."""
        return self.left if side == "L" else self.right


#: Share of the cheek's rise (AU6) that the lower lid rises with it: the raised cheek bunches the skin
#: under the eye and pushes the lid margin up, about half as far (the lid sits at the top of the cheek's
#: bulge). The lid's rise beyond this share is its own tightening, AU7; without it every smile reads as
#: a squint. Set on the development faces.
CHEEK_CARRIES_LID = 0.5

#: Share of the inner brow's rise that the upper lid margin rises with it: the lid skin between them
#: stretches, and the margin's small flow window reaches towards the brow. The margin's rise beyond this
#: share is the lid's own raise, AU5; without it every brow raise (sadness, AU1) reads a little AU5. Set
#: on the development faces (AU5 PCC 0.95 with none, 0.99 from 0.3 to 0.5).
BROW_CARRIES_LID = 0.3

#: AUs read from the flow of a region, projected on their direction of movement.
FLOW_AUS: dict[str, FlowAU] = {
    "AU2": FlowAU("outer_brow_right", "outer_brow_left", (0.0, 1.0)),
    "AU5": FlowAU(
        "upper_lid_margin_right",
        "upper_lid_margin_left",
        (0.0, 1.0),
        ("inner_brow_right", "inner_brow_left"),
        BROW_CARRIES_LID,
    ),
    "AU6": FlowAU("cheek_right", "cheek_left", (0.0, 1.0)),
    "AU7": FlowAU(
        "lower_eyelid_right",
        "lower_eyelid_left",
        (0.0, 1.0),
        ("cheek_right", "cheek_left"),
        CHEEK_CARRIES_LID,
    ),
}

#: The inner brow's movement is shared out between AU1 and AU4 like the lip corner's (below): AU1 (frontalis,
#: pars medialis) raises it straight up; AU4 (corrugator, depressor supercilii, procerus) pulls it down
#: and towards the midline, about as much in as down. Sadness raises and knits the inner brows at once
#: (1+4): the brow moves up *and* in, which is both AUs, not a smaller AU1. AU1 spans 0-12 degrees
#: inwards of straight up. The brow is an edge, and the flow of a raised brow whose inner end slants
#: reads partly across the edge (the aperture problem): up to 45 degrees inwards on one brow of a
#: photograph, 3-23 degrees on the development faces, seldom alike on both sides. Rather than a sector
#: wide enough for the worst brow (35 degrees, which read the knit of sadness and fear at a fifth of its
#: size: development AU4 PCC 0.62), AU4 is the smaller of the two sides' readings
#: (:func:`ml.tracks.measure.split_inner_brows`): the corrugators knit both brows, an aperture error
#: is one brow's (development AU4 0.90, mean PCC 0.779 -> 0.795). A brow moving out and down is neither
#: (``OUTWARD``).
OUTWARD = "outward"
INNER_BROW_REGIONS = ("inner_brow_right", "inner_brow_left")
INNER_BROW_AUS: tuple[tuple[str, tuple[float, float]], ...] = (
    ("AU1", (0.0, 1.0)),
    ("AU1", (-0.208, 0.978)),
    ("AU4", (-0.651, -0.759)),
    (OUTWARD, (1.0, 0.0)),
)

#: The lip corner's movement is shared out between these AUs by direction ``(out, up)``: a movement
#: between two neighbouring directions is the non-negative sum of those two, and an AU's amount is the
#: length of the sum of its parts. AU12 spans 25-80 degrees: the corner's pull towards the cheekbone
#: looks anywhere from mostly outward to mostly upward with face shape and camera height. AU20 (risorius
#: and platysma) stretches the corner sideways and a little down; AU15 pulls it down. AU14 (FACS: the
#: buccinator tightens the corner and draws it back into the cheek, sometimes a little up) has no
#: direction here: seen from the front it is a small, level-to-rising outward pull, a quarter of a
#: smile's, at 10-30 degrees on the development faces where a stretch reads at -4 to -10 and a smile
#: at 30-40, so a sector of its own read the stretch of fear as a dimpler on one face (AU14 0.34 at E)
#: and the dimpler itself hardly at all; it is read from a corner pulled on one side
#: (:func:`ml.tracks.measure.one_sided_dimplers`). A corner drawn towards the midline is none of these
#: but the lips tightening (AU23, read from that movement in :mod:`ml.tracks.measure`): ``INWARD``
#: takes that share.
#: A corner lifted straight up is none of them either: the upper lip raiser (AU10) lifts the whole upper
#: lip, its ends with it (on the development faces, AU10 at E lifts the corners 1.4-3.4 mm, straight up
#: or a little inwards, where a smile's corner moves 6.5-8 mm outwards as it rises); ``RAISED`` takes
#: that share, so an upper lip raised in disgust is not also read as a smile (AU12 0.16-0.34 at E
#: while the corner sector reached straight up).
INWARD = "inward"
RAISED = "raised"
LIP_CORNER_AUS: tuple[tuple[str, tuple[float, float]], ...] = (
    ("AU12", (0.906, 0.423)),
    ("AU12", (0.174, 0.985)),
    (RAISED, (0.0, 1.0)),
    ("AU20", (0.989, -0.148)),
    ("AU15", (0.302, -0.953)),
    (INWARD, (-1.0, 0.0)),
)
#: The parts of the lip corner's movement that are no AU of the corner's own.
NOT_CORNER_AUS: tuple[str, ...] = (INWARD, RAISED)

#: AUs measured per side (``AU12L``/``AU12R`` beside ``AU12``).
SIDED: tuple[str, ...] = ("AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU12", "AU14", "AU15", "AU20", "AU45")
#: AUs measured on the midline only.
BILATERAL_ONLY: tuple[str, ...] = ("AU9", "AU10", "AU17", "AU23", "AU24", "AU25", "AU26", "AU43")

#: Every column of a measured track: the bilateral AUs in FACS order, then the sides.
AU_NAMES: tuple[str, ...] = (
    *sorted((*SIDED, *BILATERAL_ONLY), key=lambda name: int(name[2:])),
    *(f"{au}{side}" for au in SIDED for side in ("L", "R")),
)
