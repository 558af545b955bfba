"""Asset names and folders: Unreal's naming rules, and where the plugin may write (pure, no ``unreal``)."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import PurePath

from microexpr_anim.errors import AssetPathError

__all__ = [
    "FORBIDDEN_ROOTS",
    "INVALID_NAME_CHARACTERS",
    "MAX_NAME_LENGTH",
    "asset_name_for_clip",
    "check_package_path",
    "sanitize_asset_name",
    "split_object_path",
]

#: Characters Unreal refuses in object names (``INVALID_OBJECTNAME_CHARACTERS``) and long package names
#: (``INVALID_LONGPACKAGE_CHARACTERS``), plus whitespace.
INVALID_NAME_CHARACTERS = "\"' ,/.:|&!~@#(){}[]=;^%$`\\*?<>+\n\r\t"
#: Longest asset name we produce; keeps package paths well inside Windows' path limits.
MAX_NAME_LENGTH = 96
#: Roots that exist but must never receive generated assets.
FORBIDDEN_ROOTS = frozenset({"Engine", "Script", "Temp", "Memory", "Config"})

_INVALID_RE = re.compile("[" + re.escape(INVALID_NAME_CHARACTERS) + r"\x00-\x1f\x7f]+")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_\-]+$")


def sanitize_asset_name(name: str, *, fallback: str = "MicroExpr") -> str:
    """Turn any text into a valid Unreal asset name.

    Runs of forbidden characters and whitespace become one ``_``; leading/trailing ``_`` are dropped; an
    empty result becomes ``fallback``; the result is cut to :data:`MAX_NAME_LENGTH` characters.

    >>> sanitize_asset_name("sub01 / EP02_01f.mp4")
    'sub01_EP02_01f_mp4'
    """
    cleaned = _INVALID_RE.sub("_", str(name)).strip("_")
    cleaned = re.sub("_{2,}", "_", cleaned)
    if not cleaned:
        cleaned = fallback
    return cleaned[:MAX_NAME_LENGTH].rstrip("_") or fallback


def asset_name_for_clip(
    clip: str | PurePath, *, prefix: str = "AS_MicroExpr_", variant: int | None = None
) -> str:
    """Default asset name for a clip file or frame folder: ``AS_MicroExpr_<stem>[_v<k>]``."""
    path = PurePath(str(clip).rstrip("/\\"))
    stem = path.stem if path.suffix else path.name
    name = sanitize_asset_name(f"{prefix}{stem}")
    if variant is not None:
        suffix = f"_v{variant}"
        name = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return name


def check_package_path(path: str, mounted_roots: Collection[str] = ("Game",)) -> str:
    """Validate a content folder such as ``/Game/MicroExpressions`` and return it normalised.

    Args:
        path: a long package path (folder), starting with ``/``.
        mounted_roots: content roots that may receive assets (``Game`` and mounted plugin roots, without
            slashes).

    Raises:
        AssetPathError: the folder is not under ``/Game`` or a mounted plugin root, or a segment has
            characters Unreal does not allow in package paths.
    """
    text = str(path).strip().replace("\\", "/")
    if not text.startswith("/"):
        raise AssetPathError(
            f"asset folder {path!r} must be a content path such as /Game/MicroExpressions (it starts with /)"
        )
    parts = [p for p in text.split("/") if p]
    if not parts:
        raise AssetPathError(f"asset folder {path!r} names no content root; use e.g. /Game/MicroExpressions")
    root = parts[0]
    allowed = {r.strip("/") for r in mounted_roots}
    if root in FORBIDDEN_ROOTS or root not in allowed:
        raise AssetPathError(
            f"asset folder {path!r} is not under /Game or a mounted plugin content root "
            f"(allowed roots: {', '.join('/' + r for r in sorted(allowed))})"
        )
    for segment in parts:
        if segment in (".", "..") or not _SEGMENT_RE.match(segment):
            raise AssetPathError(
                f"asset folder {path!r}: segment {segment!r} may only use letters, digits, '_' and '-'"
            )
    return "/" + "/".join(parts)


def split_object_path(asset_path: str) -> tuple[str, str]:
    """Split ``/Game/A/B.B`` or ``/Game/A/B`` into ``("/Game/A", "B")``."""
    text = str(asset_path).strip()
    if "." in text.rsplit("/", 1)[-1]:
        text = text.rsplit(".", 1)[0]
    folder, _, name = text.rpartition("/")
    if not folder or not name:
        raise AssetPathError(f"{asset_path!r} is not an asset path such as /Game/Folder/AssetName")
    return folder, name
