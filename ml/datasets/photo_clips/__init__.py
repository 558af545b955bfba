"""Real face photographs animated with known action-unit motion: clips whose every frame has truth.

    face = measure_neutral("astronaut", load_photo("astronaut"), Landmarker())
    clip = render_clip(face, make_scenario(seed=3, family="micro", duration_s=8.0), fps=30)
    clip.frames          # (N, H, W, 3) uint8 RGB
    clip.truth.events    # onset/apex/offset frames, peak, micro/macro, emotion, AUs

Photographs (:mod:`.photos`) come from installed packages; the action units move the photograph's own
landmark mesh (:mod:`.actions`, one table of motions); scenarios (:mod:`.scenarios`) script events,
blinks, head motion and lighting; :mod:`.render` draws frames and writes a video with ``truth.json``.
"""

from ml.datasets.photo_clips.actions import MOTIONS, TRUTH_AUS, displacement, face_frame
from ml.datasets.photo_clips.photos import PHOTOS, NeutralFace, load_photo, measure_neutral, photo_names
from ml.datasets.photo_clips.render import (
    ClipTruth,
    RenderedClip,
    clip_truth,
    face_height,
    in_shot,
    iter_frames,
    pose_expression,
    render_clip,
    write_clip,
)
from ml.datasets.photo_clips.scenarios import (
    EMOTION_PROTOTYPES,
    FAMILIES,
    HELD_OUT_SEED_START,
    Scenario,
    make_scenario,
)

__all__ = [
    "EMOTION_PROTOTYPES",
    "FAMILIES",
    "HELD_OUT_SEED_START",
    "MOTIONS",
    "PHOTOS",
    "TRUTH_AUS",
    "ClipTruth",
    "NeutralFace",
    "RenderedClip",
    "Scenario",
    "clip_truth",
    "displacement",
    "face_frame",
    "face_height",
    "in_shot",
    "iter_frames",
    "load_photo",
    "make_scenario",
    "measure_neutral",
    "photo_names",
    "pose_expression",
    "render_clip",
    "write_clip",
]
