"""The face pipeline on a real photograph (scikit-image's public-domain NASA portrait), moved like a
hand-held 640x360 phone clip: the face is found on every frame and the crops hold still."""

from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
skimage_data = pytest.importorskip("skimage.data")

from ml.stages.face import align_clip  # noqa: E402
from ml.stages.video import Clip  # noqa: E402


def _phone_like_clip(n: int = 24) -> tuple[Clip, np.ndarray]:
    img = skimage_data.astronaut()  # 512x512 RGB, face centred near (224, 113)
    frames = []
    shifts = []
    for i in range(n):
        dx, dy = 6 * np.sin(i / 4), 4 * np.cos(i / 5)
        m = cv2.getRotationMatrix2D((224, 113), 2.0 * np.sin(i / 6), 1.0 + 0.03 * np.sin(i / 5))
        m[:, 2] += (320 - 224 + dx, 150 - 113 + dy)
        frames.append(cv2.warpAffine(img, m, (640, 360), borderMode=cv2.BORDER_REFLECT))
        shifts.append((dx, dy))
    clip = Clip(
        frames=np.stack(frames),
        fps=30.0,
        source=Path("astronaut.mp4"),
        frame_numbers=np.arange(n, dtype=np.int64),
    )
    return clip, np.asarray(shifts)


def test_real_face_found_on_every_frame_and_stabilised():
    clip, _ = _phone_like_clip()
    track = align_clip(clip)
    assert track.crops.shape == (len(clip.frames), 112, 112, 3)
    assert track.missing_frames == []
    # the head moved by up to ~7 px, rotated 2 degrees and zoomed 3 %; after stabilisation the crops of
    # this rigid photo should differ from the first far less than a fixed box around the face does
    crops = track.crops.astype(np.float32)
    crop_change = np.abs(crops[1:] - crops[:1]).mean()
    fixed = np.stack([cv2.resize(f[60:250, 225:415], (112, 112)) for f in clip.frames]).astype(np.float32)
    fixed_change = np.abs(fixed[1:] - fixed[:1]).mean()
    assert crop_change < 0.2 * fixed_change
