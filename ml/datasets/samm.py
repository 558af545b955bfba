"""SAMM coding sheet (``SAMM_Micro_FACS_Codes_v2.xlsx``).

Sheet format: worksheet ``MICRO_ONLY`` (falls back to the first worksheet), 13 preamble rows (title,
citation notes, a symbol key), header on Excel row 14::

    Subject | Filename | Inducement Code | Onset Frame | Apex Frame | Offset Frame | Duration | Micro |
    Action Units | Estimated Emotion | Objective Classes | Notes

The header row is found by content, not by position, so a sheet with more or fewer preamble rows loads too.

Quirks handled (the sheet's own symbol key: ``/`` = or; ``L2``/``R2`` unilateral; ``A2`` asymmetric):

- Subjects are text ``"006"`` (an int ``6`` if re-saved): records keep the three-digit form, the folder name.
- AU intensity letters A-E (``7B``, ``12A``) are dropped from the AU name and kept in
  ``extra["au_intensity"]``.
- ``A`` prefix (asymmetric, present on both sides): the bilateral AU; listed in ``extra["au_asymmetric"]``.
- ``ref(7B)``: an AU coded as a reference movement; kept in :attr:`ClipRecord.aus` (the movement is on the
  face) and listed in ``extra["au_reference"]``.
- Alternatives ``L12 or L14``, ``(R6 or R12)+R15``, ``R14A or 17A or 24A``: the coder was unsure which AU it
  was, so none of the alternatives is put in :attr:`ClipRecord.aus`; they are listed in
  ``extra["au_uncertain"]`` (the rest of the string, ``R15`` above, is kept).
- ``A/L12`` (asymmetric or left-only: the side is unsure): the bilateral AU, listed as asymmetric.
- ``10A/B``, ``4A/B``: an intensity alternative; the first letter is kept.
- Free text (``soft focus``) is not an AU: its words are in ``extra["au_skipped"]``; the original cell is in
  ``extra["au_raw"]``.
- Emotions are lowercased (``anger``, ``contempt``, ``disgust``, ``fear``, ``happiness``, ``other``,
  ``sadness``, ``surprise``).
- Frame numbers are absolute within the long recording (``006_05562.jpg`` is 5562). 200 fps.

Media layouts accepted under the media root: ``SAMM/<subject>/<Filename>/`` or ``<subject>/<Filename>/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ml.datasets._common import (
    SheetError,
    apply_missing_policy,
    cell_int,
    cell_str,
    check_on_missing,
    column,
    find_header,
    first_existing,
    parse_aus,
    read_xlsx_rows,
    require_rows,
    subject_number,
)
from ml.datasets.schema import ClipRecord

__all__ = ["SAMM_FPS", "load_samm", "parse_samm_aus"]

SAMM_FPS = 200.0

_REF = re.compile(r"ref\s*\(([^)]*)\)", re.IGNORECASE)
_ASYM = re.compile(r"(?<![A-Za-z])A(?=\d)")
_ASYM_OR_SIDE = re.compile(r"(?<![A-Za-z])A\s*/\s*[LR](?=\d)")
_INTENSITY_ALT = re.compile(r"(\d)([A-E])\s*/\s*[A-E](?![A-Za-z0-9])")
_GROUP = re.compile(r"\(([^()]*)\)")


def parse_samm_aus(text: object) -> tuple[tuple[str, ...], dict[str, object]]:
    """Parse a SAMM ``Action Units`` cell (see the module docstring for the rules).

    Args:
        text: the cell value.

    Returns:
        ``(aus, extra)``: canonical AU names with sides kept, and the details to store in
        :attr:`ClipRecord.extra` (``au_raw``, and when present ``au_intensity``, ``au_asymmetric``,
        ``au_reference``, ``au_uncertain``, ``au_skipped``).
    """
    raw = cell_str(text)
    extra: dict[str, object] = {"au_raw": raw}
    if not raw:
        return (), extra
    work = raw
    references: list[str] = []
    for match in _REF.finditer(work):
        names, _, _ = parse_aus(_ASYM.sub("", match.group(1)))
        references.extend(names)
    work = _REF.sub(lambda m: m.group(1), work)
    work = _ASYM_OR_SIDE.sub("A", work)  # "A/L12": asymmetric or left 12 -> side unsure -> asymmetric
    asymmetric_tokens = _ASYM.findall(work)
    asym_names: list[str] = []
    if asymmetric_tokens:
        for match in re.finditer(r"(?<![A-Za-z])A(\d+)", work):
            asym_names.append(f"AU{int(match.group(1))}")
        work = _ASYM.sub("", work)
    work = _INTENSITY_ALT.sub(r"\1\2", work)
    uncertain: list[str] = []
    kept_terms: list[str] = []
    # Split on '+' outside parentheses; a term holding "or" is an alternative set.
    for term in _split_plus(work):
        inner = _GROUP.sub(lambda m: m.group(1), term)
        if re.search(r"\bor\b", inner, re.IGNORECASE):
            names, _, _ = parse_aus(re.sub(r"\bor\b", "+", inner, flags=re.IGNORECASE))
            uncertain.extend(names)
        else:
            kept_terms.append(inner)
    aus, skipped, intensity = parse_aus("+".join(kept_terms))
    if intensity:
        extra["au_intensity"] = intensity
    if asym_names:
        extra["au_asymmetric"] = tuple(dict.fromkeys(asym_names))
    if references:
        extra["au_reference"] = tuple(dict.fromkeys(references))
    if uncertain:
        extra["au_uncertain"] = tuple(dict.fromkeys(uncertain))
    if skipped:
        extra["au_skipped"] = tuple(skipped)
    return aus, extra


def _split_plus(text: str) -> list[str]:
    """Split on ``+`` at parenthesis depth 0."""
    terms: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "+" and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [term.strip() for term in terms if term.strip()]


def load_samm(
    sheet: str | Path,
    media_root: str | Path | None = None,
    *,
    on_missing: str = "error",
) -> list[ClipRecord]:
    """Read the SAMM coding sheet into records.

    Args:
        sheet: ``SAMM_Micro_FACS_Codes_v2.xlsx`` (or a sheet in the same format).
        media_root: folder holding ``SAMM/<subject>/<clip>/`` or ``<subject>/<clip>/``; None = no paths.
        on_missing: ``"error"`` or ``"skip"`` for clips whose frame folder is absent.

    Raises:
        FileNotFoundError: the sheet, or (``on_missing="error"``) a frame folder, is missing.
        SheetError: not a SAMM sheet, or a malformed cell (named with its row).
    """
    check_on_missing(on_missing)
    sheet = Path(sheet)
    try:
        rows = read_xlsx_rows(sheet, "MICRO_ONLY")
    except SheetError:
        rows = read_xlsx_rows(sheet)
    header_row, columns = find_header(
        rows,
        ["Subject", "Filename", "Onset Frame", "Offset Frame", "Action Units", "Estimated Emotion"],
        sheet,
    )
    c_apex = column(columns, "Apex Frame")
    optional = {
        "inducement_code": column(columns, "Inducement Code"),
        "duration": column(columns, "Duration"),
        "micro": column(columns, "Micro"),
        "objective_class": column(columns, "Objective Classes", "Objective Class"),
        "notes": column(columns, "Notes"),
    }
    frames_root: Path | None = None
    if media_root is not None:
        media_root = Path(media_root)
        frames_root = first_existing([media_root / "SAMM", media_root / "samm"]) or media_root

    records: list[ClipRecord] = []
    width = max(columns.values()) + 1
    for index, row in enumerate(rows[header_row + 1 :], start=header_row + 2):
        cells = list(row) + [None] * (width - len(row))
        subject_text = cell_str(cells[columns["subject"]])
        clip = cell_str(cells[columns["filename"]])
        if not subject_text and not clip:
            continue
        where = f"{sheet} row {index}"
        if not subject_text or not clip:
            raise SheetError(
                f"{where}: Subject and Filename must both be filled (got {subject_text!r}, {clip!r})"
            )
        subject = f"{subject_number(subject_text, where=where):03d}"
        aus, extra = parse_samm_aus(cells[columns["actionunits"]])
        extra = {"sheet": sheet.name, "row": index, **extra}
        for key, col in optional.items():
            if col is not None and cell_str(cells[col]):
                value = cells[col]
                extra[key] = value.strip() if isinstance(value, str) else value
        records.append(
            ClipRecord(
                dataset="samm",
                subject=subject,
                clip=clip,
                emotion=cell_str(cells[columns["estimatedemotion"]]).lower(),
                aus=aus,
                onset=cell_int(cells[columns["onsetframe"]], what="Onset Frame", where=where),
                apex=cell_int(cells[c_apex], what="Apex Frame", where=where) if c_apex is not None else None,
                offset=cell_int(cells[columns["offsetframe"]], what="Offset Frame", where=where),
                fps=SAMM_FPS,
                path=frames_root / subject / clip if frames_root is not None else None,
                extra=extra,
            )
        )
    require_rows(records, sheet)
    return apply_missing_policy(records, on_missing, source=sheet)
