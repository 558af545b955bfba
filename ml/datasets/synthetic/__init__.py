"""Seeded synthetic micro-expression clips, labelled like CASME II, in memory or written in its layout.

Each subject is a rendered face with its own shape, proportions, skin tone, texture, hair and lighting.
A clip starts and ends on a neutral face; between onset and offset a set of Action Units deforms the face
locally (FACS direction and region, a few pixels at the 112 px crop scale), peaking at the apex. Timing is
at 200 fps with onset-to-offset under 0.5 s. Emotions and AU sets are drawn from CASME II's own coding
(2014 sheet), hard-coded below. Distractors make the task honest: small head motion, blinks, illumination
flicker and sensor noise.

Rendering: the neutral face is drawn once per clip; every frame is that image with the blink composited
into the eye regions, AU wrinkle shading applied, then one backward warp (``cv2.remap``) that combines the
AU displacement fields (scaled by the per-frame activations) with the head's similarity motion, then
flicker and noise. Everything is drawn from ``numpy.random.default_rng`` streams keyed by the seed, the
subject and the clip index, so a seed fully determines the bytes written.

On disk (CASME II layout, read by the same loader as the real corpus)::

    <out>/CASME2-coding-synthetic.xlsx            # Sheet1, the CASME II 2014 sheet's columns
    <out>/CASME2_RAW_selected/sub01/EP01_01/img1.jpg ... imgN.jpg
    <out>/synthetic_labels.json                   # per clip "sub01/EP01_01": au_names, activations, fps...

Modules: :mod:`~ml.datasets.synthetic.labels` (what CASME II codes), :mod:`~ml.datasets.synthetic.face`
(drawing a subject's face), :mod:`~ml.datasets.synthetic.action_units` (AU deformation),
:mod:`~ml.datasets.synthetic.render` (a clip's frames), :mod:`~ml.datasets.synthetic.clip` (one labelled
clip, and the demo clip), :mod:`~ml.datasets.synthetic.dataset` (writing and reading the dataset).
"""

from ml.datasets.synthetic.action_units import AU_NAMES
from ml.datasets.synthetic.clip import SyntheticClip, clip_layout, demo_clip, generate_clip
from ml.datasets.synthetic.dataset import (
    SHEET_HEADER,
    SHEET_NAME,
    iter_dataset,
    load_synthetic_activations,
    write_dataset,
)
from ml.datasets.synthetic.labels import (
    CASME2_AU_COMBOS,
    CASME2_EMOTION_COUNTS,
    CASME2_SUBJECT_CLIP_COUNTS,
    EMOTIONS,
)

__all__ = [
    "AU_NAMES",
    "CASME2_AU_COMBOS",
    "CASME2_EMOTION_COUNTS",
    "CASME2_SUBJECT_CLIP_COUNTS",
    "EMOTIONS",
    "SHEET_HEADER",
    "SHEET_NAME",
    "SyntheticClip",
    "clip_layout",
    "demo_clip",
    "generate_clip",
    "iter_dataset",
    "load_synthetic_activations",
    "write_dataset",
]
