"""FACS Action Unit codes: one canonical spelling used everywhere in the project.

Canonical names are ``"AU<n>"`` for a bilateral unit (``"AU12"``) and ``"AU<n>L"`` / ``"AU<n>R"`` for a
unilateral one (``"AU12R"``: right lip-corner puller only). Coding sheets spell them many ways
(CASME II ``4+R10``, ``L1+L2``; SAMM ``7B``, ``R14A``, ``AU12``); :func:`parse_au_list` reads those.
Intensity letters (A-E) are kept in :attr:`AUCode.intensity` but do not change the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_AUS", "AUCode", "canonical_au", "parse_au", "parse_au_list"]

#: The 11 AUs the default model predicts: those coded on at least 13 clips of CASME II.
DEFAULT_AUS: tuple[str, ...] = (
    "AU1",
    "AU2",
    "AU4",
    "AU6",
    "AU7",
    "AU9",
    "AU10",
    "AU12",
    "AU14",
    "AU15",
    "AU17",
)

_AU_RE = re.compile(
    r"^\s*(?P<pre>[LRBT])?\s*(?:AU)?\s*(?P<num>\d{1,2})\s*(?P<post>[LR])?\s*(?P<inten>[A-E])?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class AUCode:
    """One action unit: FACS number, side (``""``, ``"L"`` or ``"R"``) and optional intensity A-E."""

    number: int
    side: str = ""
    intensity: str = ""

    @property
    def name(self) -> str:
        """Canonical name, e.g. ``"AU4"``, ``"AU12R"``."""
        return f"AU{self.number}{self.side}"

    @property
    def bilateral_name(self) -> str:
        """Name with the side folded away, e.g. ``"AU12"`` for ``"AU12R"``."""
        return f"AU{self.number}"


def parse_au(text: str) -> AUCode:
    """Parse one AU token (``"4"``, ``"R10"``, ``"L1"``, ``"7B"``, ``"AU12"``, ``"AU12R"``).

    ``B``/``T`` prefixes (SAMM's "bottom"/"top" for some AUs) are accepted and folded into the
    bilateral code.

    Raises:
        ValueError: the token is not an AU code.
    """
    match = _AU_RE.match(str(text))
    if match is None:
        raise ValueError(f"{text!r} is not an Action Unit code (expected forms like 4, AU12, R10, L1, 7B)")
    number = int(match["num"])
    if not 1 <= number <= 99:
        raise ValueError(f"{text!r}: AU number {number} is out of range 1-99")
    pre = (match["pre"] or "").upper()
    post = (match["post"] or "").upper()
    side = pre if pre in ("L", "R") else post
    return AUCode(number=number, side=side, intensity=(match["inten"] or "").upper())


def canonical_au(text: str) -> str:
    """Canonical name of one AU token: ``canonical_au("R12") == "AU12R"``."""
    return parse_au(text).name


def parse_au_list(text: object, *, strict: bool = False) -> tuple[list[AUCode], list[str]]:
    """Parse a coding-sheet AU string such as ``"4+R10"``, ``"L1+L2"``, ``"12, 7B"`` or ``"none"``.

    Args:
        text: the cell value (str, int or float; empty/None/"none"/"/" mean no AU).
        strict: raise on an unreadable token instead of returning it as skipped.

    Returns:
        ``(codes, skipped)``: the AU codes in order of appearance (duplicates removed) and the tokens that
        were not AU codes (free text such as SAMM's comments), so callers can report them.
    """
    if text is None:
        return [], []
    if isinstance(text, float):
        if text != text:  # NaN cell
            return [], []
        text = str(int(text)) if text.is_integer() else str(text)
    raw = str(text).strip()
    if raw.lower() in ("", "none", "/", "-", "n/a", "na", "?"):
        return [], []
    tokens = re.split(r"\s*(?:\+|,|;|/|\bor\b|\band\b|\s)\s*", raw, flags=re.IGNORECASE)
    codes: list[AUCode] = []
    skipped: list[str] = []
    for token in tokens:
        token = token.strip().strip("()[]")
        if not token:
            continue
        try:
            code = parse_au(token)
        except ValueError:
            if strict:
                raise
            skipped.append(token)
            continue
        if code not in codes:
            codes.append(code)
    return codes, skipped
