"""Per-frame AU intensities measured on the face, and the expression events in a take.

tracks = measure_au_intensities(crops, landmarks, blendshapes, pose, present, fps)
events = spot_events(tracks, fps, present)
baseline = blendshapes_to_aus(blendshapes, present)
"""

from ml.tracks.blendshapes import blendshapes_to_aus
from ml.tracks.events import spot_events
from ml.tracks.measure import measure_au_intensities
from ml.tracks.types import AUTracks, ExpressionEvent

__all__ = ["AUTracks", "ExpressionEvent", "blendshapes_to_aus", "measure_au_intensities", "spot_events"]
