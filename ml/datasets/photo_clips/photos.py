"""Real face photographs shipped by installed packages, with their source, licence and benchmark role.

Photographs are loaded from the package that ships them at run time; none is copied into this
repository. ``development`` faces are for tuning, ``held_out`` faces only for the reported figures.

| name         | package      | what                             | licence                 | role        |
|--------------|--------------|----------------------------------|-------------------------|-------------|
| astronaut    | scikit-image | Eileen Collins, NASA, 512x512    | public domain (NASA)    | development |
| luispedro    | mahotas      | Luis Pedro Coelho, 300x377       | MIT (mahotas)           | development |
| grace_hopper | matplotlib   | Grace Hopper, US Navy, 512x600   | public domain (US Navy) | held_out    |

The two development faces differ where measurement is hardest: the astronaut smiles a little with her
lips apart and teeth showing, lit from the front; Luis Pedro Coelho's lips are closed, his face is turned
about a quarter to the side and lit from one side, and he has stubble.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from ml.stages.landmarks import FaceLandmarks, Landmarker

Role = Literal["development", "held_out"]


@dataclass(frozen=True)
class PhotoSource:
    """Where a face photograph comes from and what it may be used for."""

    name: str
    package: str
    description: str
    licence: str
    role: Role
    load: Callable[[], np.ndarray]

    @property
    def available(self) -> bool:
        """Whether the package that ships the photograph is installed."""
        return importlib.util.find_spec(self.package) is not None


def _astronaut() -> np.ndarray:
    import skimage.data  # optional: scikit-image is a development dependency

    return np.ascontiguousarray(skimage.data.astronaut()[..., :3])


def _grace_hopper() -> np.ndarray:
    from matplotlib import cbook  # matplotlib is a runtime dependency, but slow to import

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise OSError(f"Could not read the Grace Hopper photograph at {path}; reinstall matplotlib")
    return np.ascontiguousarray(bgr[..., ::-1])


def _luispedro() -> np.ndarray:
    spec = importlib.util.find_spec("mahotas")  # read from its folder: no need to import the package
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        bgr = cv2.imread(str(Path(folder) / "demos" / "data" / "luispedro.jpg"), cv2.IMREAD_COLOR)
        if bgr is not None:
            return np.ascontiguousarray(bgr[..., ::-1])
    raise OSError(f"Could not read mahotas/demos/data/luispedro.jpg under {folders}; reinstall mahotas")


PHOTOS: dict[str, PhotoSource] = {
    source.name: source
    for source in (
        PhotoSource(
            "astronaut",
            "skimage",
            "Eileen Collins, NASA portrait, skimage.data.astronaut()",
            "public domain (NASA)",
            "development",
            _astronaut,
        ),
        PhotoSource(
            "luispedro",
            "mahotas",
            "Luis Pedro Coelho, mahotas' author, mahotas/demos/data/luispedro.jpg",
            "MIT (shipped in the mahotas package)",
            "development",
            _luispedro,
        ),
        PhotoSource(
            "grace_hopper",
            "matplotlib",
            "Grace Hopper, US Navy portrait, matplotlib sample_data/grace_hopper.jpg",
            "public domain (US Navy)",
            "held_out",
            _grace_hopper,
        ),
    )
}


def photo_names(role: Role | None = None) -> tuple[str, ...]:
    """Registered photographs (optionally of one role) whose package is installed."""
    return tuple(s.name for s in PHOTOS.values() if s.available and (role is None or s.role == role))


def load_photo(name: str) -> np.ndarray:
    """The photograph ``name`` as (H, W, 3) uint8 RGB."""
    if name not in PHOTOS:
        raise KeyError(f"Unknown face photograph {name!r}; registered: {', '.join(PHOTOS)}")
    source = PHOTOS[name]
    if not source.available:
        raise ModuleNotFoundError(
            f"Face photograph {name!r} is shipped by the package {source.package!r}, which is not "
            f"installed; install it (pip install {source.package}) or use one of: "
            f"{', '.join(photo_names()) or 'none'}"
        )
    return source.load()


@dataclass(frozen=True)
class NeutralFace:
    """A photograph and its face measured once: the mesh every animated frame is warped along.

    ``points`` (478, 3) are the landmarker's points in photo pixels; ``axes`` (2, 2) rows are the
    face's unit x axis (from the subject's right eye to the left eye, image right on a frontal face)
    and unit y axis (towards the chin); ``iod`` is the distance between the eye centres in pixels.
    """

    name: str
    rgb: np.ndarray
    points: np.ndarray
    axes: np.ndarray
    iod: float


RIGHT_EYE = (33, 133)  # the subject's right eye corners
LEFT_EYE = (263, 362)


def measure_neutral(name: str, rgb: np.ndarray, landmarker: Landmarker) -> NeutralFace:
    """Find the face in the photograph and fix its mesh, axes and scale."""
    detections = landmarker.detect_faces(rgb)
    if not detections:
        raise ValueError(f"No face found in the photograph {name!r}; use a frontal, well-lit portrait")
    face: FaceLandmarks = landmarker.landmarks(rgb, detections[0])
    face = landmarker.landmarks(rgb, face)  # second pass from its own landmarks: a tighter region
    points = face.points.astype(np.float64)
    right = points[list(RIGHT_EYE), :2].mean(axis=0)
    left = points[list(LEFT_EYE), :2].mean(axis=0)
    x_axis = (left - right) / np.linalg.norm(left - right)
    y_axis = np.array([-x_axis[1], x_axis[0]])
    return NeutralFace(
        name=name,
        rgb=rgb,
        points=points,
        axes=np.stack([x_axis, y_axis]),
        iod=float(np.linalg.norm(left - right)),
    )
