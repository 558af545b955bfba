"""Micro-expressions from an emotion alone: FACS-plausible AU tracks with no clip.

Everything is drawn from the published coding sheets' statistics (``curves/data/au_statistics.json``,
CASME II and SAMM pooled; see its ``comment``):

* the AU set: one of the emotion's coded (emotion, AU set) combinations, weighted by its clip count;
  with probability ``novelty`` one more AU is added, drawn from the AU co-occurrence graph of all clips
  (``P(AU_j | AU_i) = N_ij / N_ii`` summed over the set's AUs), so a set can go beyond the sheets while
  staying among AUs that are coded together;
* the timing: the onset -> apex and apex -> offset durations of one coded clip (micro-expressions of at
  most 0.5 s), stretched by a log-normal factor; each AU starts a little after the expression's onset and
  peaks near its apex (AUs of one expression are not simultaneous);
* the asymmetry: an AU is made one-sided with the probability the sheets code it with a side (``R14``),
  the side drawn from the sheets' left/right counts;
* the intensity: the expression's ``i_v`` from the emotion profile's intensity range, each AU's peak a
  little below it; the profile's ``m_e`` gains are applied by :func:`curves.pipeline.build_curvesets`.

Each expression draws from its own stream ``default_rng([seed, index])``: the same seed gives the same set,
and a larger ``count`` extends a smaller one. Expressions of one set are all different: a draw that repeats
an earlier one (same AUs, sides, frame timing and intensity) has its timing and intensity drawn again, its
AU set and sides kept, so the redraws leave the AU statistics as they are.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from curves.au import parse_au
from curves.emotion import MAX_MICRO_SECONDS, EmotionProfile, load_profiles, resolve_emotion
from curves.errors import CurvesError
from curves.keys import DEFAULT_TOLERANCE
from curves.microexpression import MicroExpression
from curves.pipeline import CurveBuild, build_curvesets
from curves.rules import check_fps

__all__ = [
    "MAX_COUNT",
    "STATISTICS_PATH",
    "AUStatistics",
    "GeneratedExpression",
    "build_generated",
    "combination_report",
    "generate_expressions",
    "load_statistics",
    "synthetic_casme2_table",
]

STATISTICS_PATH = Path(__file__).with_name("data") / "au_statistics.json"
#: The most expressions one call generates.
MAX_COUNT = 10_000
#: Seconds of rest before the onset and after the offset of a generated expression.
LEAD_SECONDS = 0.1
#: Redraws allowed to make an expression differ from the earlier ones of its set.
_MAX_REDRAWS = 50


def _au_number(name: str) -> int:
    return parse_au(name).number


@dataclass(frozen=True)
class AUStatistics:
    """The coding sheets' statistics, pooled over the datasets.

    Attributes:
        combos: emotion -> ((AU set, clip count), ...), sides folded, most frequent first.
        sides: AU -> {"B": bilateral, "L": left, "R": right} clip counts.
        rise_fall_s: ``(K, 2)`` onset -> apex and apex -> offset seconds of the coded clips.
        sources: the sheets the numbers come from.
    """

    combos: Mapping[str, tuple[tuple[tuple[str, ...], int], ...]]
    sides: Mapping[str, Mapping[str, int]]
    rise_fall_s: np.ndarray
    sources: tuple[str, ...]

    @property
    def emotions(self) -> tuple[str, ...]:
        return tuple(sorted(self.combos))

    @property
    def au_names(self) -> tuple[str, ...]:
        names = {a for combos in self.combos.values() for combo, _ in combos for a in combo}
        return tuple(sorted(names, key=_au_number))

    def combos_within(
        self, emotion: str, within: Collection[str] | None = None
    ) -> tuple[tuple[tuple[str, ...], int], ...]:
        """The emotion's (AU set, count) pairs, keeping only sets with an AU in ``within`` when given."""
        combos = self.combos[emotion]
        if within is None:
            return combos
        return tuple((combo, n) for combo, n in combos if set(combo) & set(within))

    def au_set_distribution(
        self, emotion: str, within: Collection[str] | None = None
    ) -> dict[tuple[str, ...], float]:
        """Probability of each AU set of one emotion's clips (those with an AU in ``within``, when given)."""
        combos = self.combos_within(emotion, within)
        total = sum(n for _, n in combos)
        return {combo: n / total for combo, n in combos}

    def cooccurrence(self) -> tuple[tuple[str, ...], np.ndarray]:
        """AU names and ``(A, A)`` clip counts ``N_ij`` of clips coding both AUs (diagonal: AU counts)."""
        names = self.au_names
        index = {a: i for i, a in enumerate(names)}
        counts = np.zeros((len(names), len(names)), np.int64)
        for combos in self.combos.values():
            for combo, n in combos:
                idx = [index[a] for a in combo]
                counts[np.ix_(idx, idx)] += n
        return names, counts


def _read_statistics(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"AU statistics file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CurvesError(f"{path}: not a JSON file of AU statistics ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), dict):
        raise CurvesError(f"{path}: an AU statistics file has a 'datasets' object; restore the shipped one")
    return data


@lru_cache(maxsize=4)
def _load_cached(path: str) -> AUStatistics:
    data = _read_statistics(Path(path))
    combos: dict[str, Counter[tuple[str, ...]]] = {}
    sides: dict[str, Counter[str]] = {}
    timing: list[list[float]] = []
    fps = float(data.get("fps", 200.0))
    for name, ds in data["datasets"].items():
        try:
            for emotion, rows in ds["au_combos"].items():
                counter = combos.setdefault(str(emotion), Counter())
                for combo, n in rows:
                    counter[tuple(sorted(combo, key=_au_number))] += int(n)
            for au, counts in ds["au_sides"].items():
                sides.setdefault(au, Counter()).update({k: int(v) for k, v in counts.items()})
            timing.extend([float(r) / fps, float(f) / fps] for r, f in ds["rise_fall_frames"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise CurvesError(
                f"{path}: dataset {name!r} is malformed ({exc}); restore the shipped file"
            ) from None
    ordered = {
        e: tuple(sorted(c.items(), key=lambda kv: (-kv[1], [_au_number(a) for a in kv[0]])))
        for e, c in sorted(combos.items())
    }
    return AUStatistics(
        combos=ordered,
        sides={a: dict(c) for a, c in sides.items()},
        rise_fall_s=np.asarray(timing, np.float64).reshape(-1, 2),
        sources=tuple(str(ds.get("source", name)) for name, ds in data["datasets"].items()),
    )


def load_statistics(path: str | os.PathLike[str] | None = None) -> AUStatistics:
    """The pooled statistics of the shipped file (or of ``path``)."""
    return _load_cached(str(STATISTICS_PATH if path is None else Path(path)))


def synthetic_casme2_table() -> dict[str, Any]:
    """The (emotion, AU set) table of the synthetic face's 11 AUs, as stored (read by the synthetic data)."""
    table = _read_statistics(STATISTICS_PATH)["synthetic_casme2_combos"]
    return dict(table)


@dataclass(frozen=True)
class GeneratedExpression:
    """One generated micro-expression.

    Attributes:
        index: its place in the set.
        emotion: the profile's name.
        sheet_aus: the AU set drawn from the sheets (bilateral names).
        aus: the AUs animated (``sheet_aus`` plus any co-occurrence addition; a one-sided AU is ``AU14R``).
        intensity: the expression's ``i_v``.
        micro: the AU tracks.
        timing: per AU ``{onset_s, apex_s, offset_s, peak}``.
    """

    index: int
    emotion: str
    sheet_aus: tuple[str, ...]
    aus: tuple[str, ...]
    intensity: float
    micro: MicroExpression
    timing: Mapping[str, Mapping[str, float]]

    @property
    def bilateral_aus(self) -> tuple[str, ...]:
        return tuple(sorted({parse_au(a).bilateral_name for a in self.aus}, key=_au_number))

    def settings(self) -> dict[str, Any]:
        """What reproduces it: the AU list and timing (stored in the CurveSet settings)."""
        return {
            "index": self.index,
            "emotion": self.emotion,
            "sheet_aus": list(self.sheet_aus),
            "aus": list(self.aus),
            "intensity": self.intensity,
            "timing": {a: dict(t) for a, t in self.timing.items()},
            **dict(self.micro.extra.get("generated", {})),
        }


def _raised_cosine(t: np.ndarray, onset: float, apex: float, offset: float) -> np.ndarray:
    rise = np.clip((t - onset) / max(apex - onset, 1e-9), 0.0, 1.0)
    fall = np.clip((t - apex) / max(offset - apex, 1e-9), 0.0, 1.0)
    up = 0.5 - 0.5 * np.cos(np.pi * rise)
    down = 0.5 + 0.5 * np.cos(np.pi * fall)
    return np.where(t <= apex, up, down) * (t >= onset) * (t <= offset)


def _draw_set(
    rng: np.random.Generator,
    emotion: str,
    stats: AUStatistics,
    novelty: float,
    within: frozenset[str] | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    combos = stats.combos_within(emotion, within)
    weights = np.asarray([n for _, n in combos], np.float64)
    sheet = combos[int(rng.choice(len(combos), p=weights / weights.sum()))][0]
    aus = list(sheet)
    if rng.random() < novelty:
        names, counts = stats.cooccurrence()
        conditional = counts / np.maximum(np.diag(counts), 1)[None, :]  # P(row AU | column AU)
        score = conditional[:, [names.index(a) for a in sheet]].sum(axis=1)
        score[[names.index(a) for a in sheet]] = 0.0
        if within is not None:  # only AUs the rig shows
            score[[i for i, a in enumerate(names) if a not in within]] = 0.0
        if score.sum() > 0:
            aus.append(names[int(rng.choice(len(names), p=score / score.sum()))])
    return sheet, tuple(sorted(aus, key=_au_number))


def _side(rng: np.random.Generator, au: str, stats: AUStatistics) -> str:
    counts = stats.sides.get(au, {})
    left, right, both = (int(counts.get(k, 0)) for k in ("L", "R", "B"))
    if left + right == 0 or rng.random() >= (left + right) / (left + right + both):
        return ""
    return "L" if rng.random() < (left + 1) / (left + right + 2) else "R"


def _one(
    rng: np.random.Generator,
    index: int,
    profile: EmotionProfile,
    stats: AUStatistics,
    fps: float,
    novelty: float,
    intensity: float | None,
    seed: int,
    seen: set[tuple[Any, ...]],
    within: frozenset[str] | None,
) -> GeneratedExpression:
    sheet, aus = _draw_set(rng, profile.name, stats, novelty, within)
    names = [au + _side(rng, au, stats) for au in aus]
    info = {
        "seed": seed,
        "novelty": novelty,
        "statistics": list(stats.sources),
        "within": None if within is None else sorted(within, key=_au_number),
    }
    # the AU set and sides are kept; timing and intensity are redrawn until this one differs from the others
    for _ in range(_MAX_REDRAWS):
        g = _shape(rng, index, profile, stats, fps, intensity, names, sheet, info)
        if _signature(g) not in seen:
            break
    seen.add(_signature(g))
    return g


def _shape(
    rng: np.random.Generator,
    index: int,
    profile: EmotionProfile,
    stats: AUStatistics,
    fps: float,
    intensity: float | None,
    names: Sequence[str],
    sheet: tuple[str, ...],
    info: Mapping[str, Any],
) -> GeneratedExpression:
    rise, fall = stats.rise_fall_s[int(rng.integers(len(stats.rise_fall_s)))] * math.exp(rng.normal(0, 0.15))
    min_phase = 2.0 / fps
    rise, fall = max(rise, min_phase), max(fall, min_phase)
    scale = min(1.0, MAX_MICRO_SECONDS / (rise + fall))
    rise, fall = float(rise * scale), float(fall * scale)
    i_v = float(intensity) if intensity is not None else float(rng.uniform(*profile.intensity))
    onset, apex, offset = LEAD_SECONDS, LEAD_SECONDS + rise, LEAD_SECONDS + rise + fall
    n = round((offset + LEAD_SECONDS) * fps) + 1
    t = np.arange(n) / fps
    tracks: list[np.ndarray] = []
    timing: dict[str, dict[str, float]] = {}
    for name in names:
        start = onset + rng.uniform(0.0, 0.25) * rise
        peak_at = float(
            np.clip(apex + rng.normal(0.0, 0.1) * rise, start + min_phase / 2, offset - min_phase)
        )
        end = float(np.clip(offset - rng.uniform(0.0, 0.2) * fall, peak_at + min_phase / 2, offset))
        peak = i_v * float(rng.uniform(0.8, 1.0))
        tracks.append(peak * _raised_cosine(t, start, peak_at, end))
        timing[name] = {"onset_s": start, "apex_s": peak_at, "offset_s": end, "peak": peak}
    act = np.stack(tracks, axis=1)
    energy = act.sum(axis=1)
    active = np.flatnonzero(energy > 1e-6)
    micro = MicroExpression(
        fps=fps,
        onset=int(active[0]) if active.size else 0,
        apex=int(np.argmax(energy)),
        offset=int(active[-1]) if active.size else n - 1,
        emotion_probs={profile.name: 1.0},
        au_names=tuple(names),
        activations=act,
        model="generate",
        model_version="au_statistics",
        source=f"generated {profile.name} #{index:02d}",
        extra={"generated": {**info, "rise_s": rise, "fall_s": fall}},
    )
    return GeneratedExpression(
        index=index,
        emotion=profile.name,
        sheet_aus=sheet,
        aus=tuple(names),
        intensity=i_v,
        micro=micro,
        timing=timing,
    )


def _signature(g: GeneratedExpression) -> tuple[Any, ...]:
    """What tells two expressions apart: AUs and sides, frame timing, intensity to 1 %."""
    return (g.aus, g.micro.n_frames, g.micro.onset, g.micro.apex, g.micro.offset, round(g.intensity, 2))


def generate_expressions(
    emotion: str,
    count: int,
    seed: int = 0,
    *,
    fps: float = 30.0,
    novelty: float = 0.2,
    intensity: float | None = None,
    profiles: str | os.PathLike[str] | None = None,
    statistics: str | os.PathLike[str] | None = None,
    within: Collection[str] | None = None,
) -> list[GeneratedExpression]:
    """``count`` different micro-expressions of ``emotion``; the same arguments give the same set.

    Args:
        emotion: an emotion profile name or alias that the coding sheets code (e.g. ``fear``, ``happy``).
        count: how many (1 to :data:`MAX_COUNT`).
        seed: the set's seed.
        fps: frame rate of the tracks.
        novelty: probability of adding one AU from the co-occurrence graph to a sheet's AU set, in [0, 1].
        intensity: every expression's ``i_v`` in (0, 1]; None draws it from the profile's range.
        profiles: emotion profile YAML (default: the shipped one).
        statistics: AU statistics JSON (default: the shipped one).
        within: the AUs a rig shows (:class:`curves.coverage.RigCoverage`): only the sheets' AU sets with
            at least one of them are drawn, so every expression moves the rig.

    Raises:
        ValueError: an unknown emotion, one the sheets do not code, or an option out of range.
    """
    check_fps(fps)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise CurvesError(f"count must be a whole number from 1 to {MAX_COUNT}, got {count!r}")
    if not (isinstance(novelty, (int, float)) and 0.0 <= novelty <= 1.0):
        raise CurvesError(f"novelty must be a probability in [0, 1], got {novelty!r}")
    if intensity is not None and not (isinstance(intensity, (int, float)) and 0.0 < intensity <= 1.0):
        raise CurvesError(f"intensity must be in (0, 1], got {intensity!r}")
    stats = load_statistics(statistics)
    profile = resolve_emotion(emotion, load_profiles(profiles))
    if profile.name not in stats.combos:
        raise CurvesError(
            f"the coding sheets ({', '.join(stats.sources)}) code no {profile.name!r} micro-expression, so "
            f"there are no statistics to draw it from; choose one of: {', '.join(stats.emotions)}"
        )
    allowed = None if within is None else frozenset(parse_au(a).bilateral_name for a in within)
    if not stats.combos_within(profile.name, allowed):
        raise CurvesError(
            f"no coded {profile.name} micro-expression has an AU the rig shows "
            f"({', '.join(sorted(allowed or ()))}); add rows for its AUs to the rig table"
        )
    out: list[GeneratedExpression] = []
    seen: set[tuple[Any, ...]] = set()
    for index in range(count):
        rng = np.random.default_rng([int(seed), index])
        out.append(
            _one(rng, index, profile, stats, float(fps), float(novelty), intensity, int(seed), seen, allowed)
        )
    return out


def _js_divergence_bits(p: Mapping[Any, float], q: Mapping[Any, float]) -> float:
    keys = set(p) | set(q)
    a = np.asarray([p.get(k, 0.0) for k in keys])
    b = np.asarray([q.get(k, 0.0) for k in keys])
    m = 0.5 * (a + b)

    def kl(x: np.ndarray) -> float:
        nz = x > 0
        return float(np.sum(x[nz] * np.log2(x[nz] / m[nz])))

    return 0.5 * kl(a) + 0.5 * kl(b)


def combination_report(
    expressions: Sequence[GeneratedExpression], statistics: AUStatistics | None = None
) -> dict[str, Any]:
    """How a generated set's AU combinations compare with the statistics they were drawn from.

    Per emotion: the Jensen-Shannon divergence in bits (0 = same distribution, 1 = disjoint) between the
    generated AU sets (sides folded, co-occurrence additions included) and the sheets' AU sets (those the
    set was restricted to, when it was drawn ``within`` a rig's AUs), the same
    for the sheet draws alone (sampling error only), and each AU's frequency in both.
    """
    stats = statistics or load_statistics()
    report: dict[str, Any] = {}
    for emotion in sorted({g.emotion for g in expressions}):
        group = [g for g in expressions if g.emotion == emotion]
        within = group[0].micro.extra.get("generated", {}).get("within")
        sheet = stats.au_set_distribution(emotion, within)
        final = Counter(g.bilateral_aus for g in group)
        drawn = Counter(g.sheet_aus for g in group)
        n = len(group)
        aus = sorted({a for combo in (*sheet, *final) for a in combo}, key=_au_number)
        report[emotion] = {
            "count": n,
            "js_divergence_bits": _js_divergence_bits({k: v / n for k, v in final.items()}, sheet),
            "js_divergence_sheet_draws_bits": _js_divergence_bits(
                {k: v / n for k, v in drawn.items()}, sheet
            ),
            "au_frequency": {
                a: {
                    "generated": sum(v for k, v in final.items() if a in k) / n,
                    "sheets": sum(p for k, p in sheet.items() if a in k),
                }
                for a in aus
            },
        }
    return report


def build_generated(
    expression: GeneratedExpression,
    *,
    rig: str | os.PathLike[str] = "metahuman",
    tolerance: float = DEFAULT_TOLERANCE,
    profiles: str | os.PathLike[str] | None = None,
    skeleton_curves: Sequence[str] | None = None,
) -> CurveBuild:
    """One generated expression's CurveSet (its emotion profile applied), with its AU list and timing in
    ``settings["generated"]`` so it can be reproduced."""
    (build,) = build_curvesets(
        expression.micro,
        rig=rig,
        emotion=expression.emotion,
        intensity=1.0,  # i_v is in the tracks already
        variants=1,
        seed=int(expression.micro.extra.get("generated", {}).get("seed", 0)),
        tolerance=tolerance,
        smoothing=0.0,  # the tracks are smooth by construction
        profiles=profiles,
        skeleton_curves=skeleton_curves,
    )
    settings = {**build.curveset.settings, "generated": expression.settings()}
    return replace(build, curveset=replace(build.curveset, settings=settings))
