"""BlazeFace short-range face detection: letterboxed 128 px input, SSD anchors, weighted NMS.

The anchor layout and box encoding are those of MediaPipe's short-range face detector: four feature
layers with strides 8, 16, 16, 16 (layers of equal stride share one grid), two anchors per layer and cell,
unit-size anchors centred on the cells, and offsets in units of the 128 px input.

The short-range model finds faces that fill about a fifth of its input or more: on a whole 640x360 frame,
faces about half the frame's height. :meth:`BlazeFace.closer` also reads overlapping square tiles of the
frame (the frame's height, and half of it), so a face of a sixth of the frame's height, as in a medium
shot, is found as well; it costs a detector run per tile, so callers use it when the whole frame showed
no face.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ml.stages.landmarks.geometry import FaceRoi, roi_around
from ml.stages.landmarks.runtime import TfliteModel

INPUT_SIZE = 128
STRIDES = (8, 16, 16, 16)
ANCHORS_PER_LAYER = 2
NUM_KEYPOINTS = 6
SCORE_CLIP = 100.0
ROI_SCALE = 1.5
#: Sides of the square tiles :meth:`BlazeFace.closer` reads, as fractions of the frame's shorter side;
#: neighbouring tiles overlap by half a tile, so a face up to half a tile wide lies whole in one of them.
TILE_SIDES = (1.0, 0.5)
#: The smallest tile read, px: below it the face is too small for the landmark model.
MIN_TILE = 96
#: Least score of a face found in a tile: a tile shows clothing and hair larger than the whole frame
#: does, and the short-range model scores some of it up to 0.7 (an astronaut's suit and helmet ring at
#: 0.5-0.7, her face at 0.9-0.97 with a sixth to a third of a 640x360 frame's height).
TILE_MIN_SCORE = 0.75

# Keypoint order of the detector: the subject's right eye, left eye, nose tip, mouth centre,
# right ear tragion, left ear tragion (the subject's right eye is on the left of a frontal image).
RIGHT_EYE, LEFT_EYE = 0, 1


@dataclass(frozen=True)
class FaceDetection:
    """One detected face in frame pixels: ``box`` (x0, y0, x1, y1), ``keypoints`` (6, 2), ``score``."""

    box: np.ndarray
    keypoints: np.ndarray
    score: float

    @property
    def center(self) -> np.ndarray:
        return (self.box[:2] + self.box[2:]) / 2.0

    @property
    def size(self) -> float:
        """Geometric mean of the box's width and height, px."""
        w, h = self.box[2:] - self.box[:2]
        return float(np.sqrt(max(w, 0.0) * max(h, 0.0)))

    def roi(self) -> FaceRoi:
        """The rotated square the landmark model reads for this face (box x1.5, eyes level)."""
        corners = self.box.reshape(2, 2)
        return roi_around(corners, self.keypoints[RIGHT_EYE], self.keypoints[LEFT_EYE], ROI_SCALE)


def ssd_anchor_centres() -> np.ndarray:
    """(896, 2) anchor centres in [0, 1] input units, in the detector's output order."""
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(STRIDES):
        stride = STRIDES[layer]
        shared = sum(1 for s in STRIDES[layer:] if s == stride)
        cells = INPUT_SIZE // stride
        grid = (np.arange(cells) + 0.5) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        per_cell = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(per_cell, shared * ANCHORS_PER_LAYER, axis=0))
        layer += shared
    return np.concatenate(centres).astype(np.float32)


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (4,) x0, y0, x1, y1 box with each of (N, 4) boxes."""
    lo = np.maximum(box[:2], boxes[:, :2])
    hi = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / np.maximum(area + areas - inter, 1e-12)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou_threshold: float
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Merge overlapping candidates: each cluster becomes the score-weighted mean of its members.

    A cluster is the best remaining candidate plus every remaining one overlapping it by more than
    ``iou_threshold``; the merged face keeps the best member's score.
    """
    order = np.argsort(-scores)
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    remaining = np.arange(len(scores))
    merged: list[tuple[np.ndarray, np.ndarray, float]] = []
    while remaining.size:
        best = remaining[0]
        overlap = box_iou(boxes[best], boxes[remaining]) > iou_threshold
        members = remaining[overlap]
        weights = scores[members] / scores[members].sum()
        merged.append(
            (
                np.tensordot(weights, boxes[members], axes=1),
                np.tensordot(weights, keypoints[members], axes=1),
                float(scores[best]),
            )
        )
        remaining = remaining[~overlap]
    return merged


def letterbox(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit ``rgb`` into the 128 px square input (aspect kept, zero border), scaled to [-1, 1].

    Returns the (1, 128, 128, 3) float32 tensor, the (x, y) scale and the (x, y) padding, so that a
    corner-based input point ``q`` lies at corner-based frame point ``(q - pad) / scale``.
    """
    h, w = rgb.shape[:2]
    scale = INPUT_SIZE / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA)
    x0, y0 = (INPUT_SIZE - new_w) // 2, (INPUT_SIZE - new_h) // 2
    canvas = np.full((INPUT_SIZE, INPUT_SIZE, 3), -1.0, dtype=np.float32)
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = resized.astype(np.float32) / 127.5 - 1.0
    pad = np.array([float(x0), float(y0)])
    return canvas[None], np.array([new_w / w, new_h / h]), pad


class BlazeFace:
    """The bundle's short-range face detector: on the whole frame (a face of about half the frame's
    height or more), or also on its tiles (:meth:`closer`)."""

    def __init__(
        self,
        model: TfliteModel,
        *,
        min_score: float = 0.5,
        iou_threshold: float = 0.3,
    ) -> None:
        self.model = model
        self.min_score = min_score
        self.iou_threshold = iou_threshold
        self.anchors = ssd_anchor_centres()

    def __call__(self, rgb: np.ndarray) -> list[FaceDetection]:
        """Faces in an RGB uint8 (H, W, 3) frame, most confident first."""
        return [FaceDetection(box, points, score) for box, points, score in self._candidates(rgb)]

    def closer(self, rgb: np.ndarray) -> list[FaceDetection]:
        """Faces in the whole frame and in its tiles (:data:`TILE_SIDES`), merged, most confident first."""
        found = list(self._candidates(rgb))
        height, width = rgb.shape[:2]
        for fraction in TILE_SIDES:
            side = round(fraction * min(height, width))
            if side < MIN_TILE or (side == height and side == width):
                continue  # too small to hold a usable face, or the whole frame again
            for y0 in tile_starts(height, side):
                for x0 in tile_starts(width, side):
                    tile = rgb[y0 : y0 + side, x0 : x0 + side]
                    shift = np.array([x0, y0], dtype=np.float64)
                    for box, points, score in self._candidates(tile, TILE_MIN_SCORE):
                        found.append((box + np.tile(shift, 2), points + shift, score))
        if not found:
            return []
        boxes = np.stack([box for box, _, _ in found])
        points = np.stack([p for _, p, _ in found])
        scores = np.array([score for _, _, score in found])
        merged = weighted_nms(boxes, points, scores, self.iou_threshold)
        return [FaceDetection(box, p, score) for box, p, score in merged]

    def _candidates(
        self, rgb: np.ndarray, min_score: float | None = None
    ) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """(box, keypoints, score) of each face in ``rgb`` scoring ``min_score`` (default: the
        detector's) or more, in its pixel-centre coordinates."""
        tensor, scale, pad = letterbox(rgb)
        raw_boxes, raw_scores = self.model.run(tensor)
        logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = scores >= (self.min_score if min_score is None else max(min_score, self.min_score))
        if not keep.any():
            return []
        raw = raw_boxes.reshape(-1, 4 + 2 * NUM_KEYPOINTS)[keep] / INPUT_SIZE
        anchors = self.anchors[keep]
        centre = raw[:, :2] + anchors
        half = raw[:, 2:4] / 2.0
        boxes = np.hstack([centre - half, centre + half])
        keypoints = raw[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + anchors[:, None, :]
        faces = []
        for box, points, score in weighted_nms(boxes, keypoints, scores[keep], self.iou_threshold):
            # Corner-based input units -> pixel-centre frame coordinates.
            frame_box = (box.reshape(2, 2) * INPUT_SIZE - pad) / scale - 0.5
            frame_points = (points * INPUT_SIZE - pad) / scale - 0.5
            faces.append((frame_box.reshape(4), frame_points, score))
        return faces


def tile_starts(length: int, side: int) -> list[int]:
    """Starts of tiles ``side`` long covering ``length``, half a tile apart, the last flush with the end."""
    if side >= length:
        return [0]
    starts = list(range(0, length - side, max(1, side // 2)))
    return [*starts, length - side]
