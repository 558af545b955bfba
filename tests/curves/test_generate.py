"""Micro-expressions from an emotion alone, checked against the coding sheets' own figures.

Expected frequencies are read off the published sheets by hand (SAMM's 8 fear clips: AU20 on 7, AU26 on 2,
AU5, AU7, AU21, AU25 and AU31 on 1 each; AU2 coded with a side on 28 of its 39 clips in CASME II + SAMM),
not from the generator's code.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from curves.emotion import MAX_MICRO_SECONDS
from curves.generate import (
    build_generated,
    combination_report,
    generate_expressions,
    load_statistics,
    synthetic_casme2_table,
)

COOCCURRENCE = Path(__file__).resolve().parents[2] / "ml" / "data" / "casme2_au_cooccurrence.json"

#: SAMM fear (8 clips), by hand from SAMM_Micro_FACS_Codes_v2.xlsx.
FEAR_AU_FREQUENCY = {
    "AU20": 7 / 8,
    "AU26": 2 / 8,
    "AU5": 1 / 8,
    "AU7": 1 / 8,
    "AU21": 1 / 8,
    "AU25": 1 / 8,
    "AU31": 1 / 8,
}


def test_au_frequencies_match_the_sheet():
    n = 2000
    expressions = generate_expressions("fear", n, seed=1, novelty=0.0)
    for au, p in FEAR_AU_FREQUENCY.items():
        observed = sum(au in g.bilateral_aus for g in expressions) / n
        sigma = math.sqrt(p * (1 - p) / n)
        assert abs(observed - p) < 4.5 * sigma, (au, observed, p)
    report = combination_report(expressions)["fear"]
    assert report["js_divergence_bits"] < 0.005
    assert report["au_frequency"]["AU20"]["sheets"] == pytest.approx(7 / 8)


def test_sides_follow_the_sheets():
    n = 1500
    expressions = generate_expressions("surprise", n, seed=2, novelty=0.0)
    with_au2 = [a for g in expressions for a in g.aus if a.startswith("AU2") and a[3:] in ("", "L", "R")]
    sided = sum(a != "AU2" for a in with_au2) / len(with_au2)
    p = 28 / 39
    assert abs(sided - p) < 4.5 * math.sqrt(p * (1 - p) / len(with_au2))


def test_synthetic_table_reproduces_the_casme2_cooccurrence_counts():
    shipped = json.loads(COOCCURRENCE.read_text())
    names = shipped["aus"]
    counts = np.zeros((len(names), len(names)), int)
    for rows in synthetic_casme2_table()["au_combos"].values():
        for aus, n in rows:
            idx = [names.index(a) for a in aus]
            counts[np.ix_(idx, idx)] += n
    assert counts.tolist() == shipped["counts"]


def test_same_seed_same_set_and_every_one_different():
    a = generate_expressions("fear", 20, seed=3)
    b = generate_expressions("fear", 20, seed=3)
    c = generate_expressions("fear", 20, seed=4)
    assert [g.micro.to_json() for g in a] == [g.micro.to_json() for g in b]
    assert [g.micro.to_json() for g in a] != [g.micro.to_json() for g in c]
    assert len({g.micro.to_json() for g in a}) == 20
    longer = generate_expressions("fear", 25, seed=3)
    assert [g.micro.to_json() for g in longer[:20]] == [g.micro.to_json() for g in a]


def test_timing_is_a_micro_expression_that_starts_and_ends_at_rest():
    for g in generate_expressions("happiness", 50, seed=5, fps=60.0):
        act = g.micro.activations
        assert np.all(act[0] == 0) and np.all(act[-1] == 0)
        assert (g.micro.offset - g.micro.onset) / 60.0 <= MAX_MICRO_SECONDS + 1 / 60.0
        assert act.max() <= g.intensity + 1e-12
        assert 0.55 <= g.intensity <= 1.0  # the happiness profile's intensity range
        for t in g.timing.values():
            assert t["onset_s"] < t["apex_s"] < t["offset_s"]


def test_novelty_adds_only_aus_that_cooccur_in_the_sheets():
    stats = load_statistics()
    names, counts = stats.cooccurrence()
    expressions = generate_expressions("disgust", 300, seed=6, novelty=1.0)
    for g in expressions:
        added = set(g.bilateral_aus) - set(g.sheet_aus)
        partners = {names[i] for s in g.sheet_aus for i in np.flatnonzero(counts[:, names.index(s)])} - set(
            g.sheet_aus
        )
        assert len(added) == (1 if partners else 0)  # AU31 alone is never coded with another AU
        assert added <= partners


def test_within_a_rig_every_expression_moves_it():
    shown = {"AU4", "AU7", "AU9"}
    expressions = generate_expressions("disgust", 200, seed=7, novelty=1.0, within=shown)
    for g in expressions:
        assert set(g.sheet_aus) & shown  # the sheet's set has an AU the rig shows
        assert set(g.bilateral_aus) - set(g.sheet_aus) <= shown  # additions only among them
    with pytest.raises(ValueError, match="no coded fear micro-expression has an AU the rig shows"):
        generate_expressions("fear", 1, within={"AU12"})


def test_curveset_carries_the_au_list_and_timing():
    g = generate_expressions("surprise", 1, seed=0, intensity=0.8)[0]
    cs = build_generated(g, rig="arkit").curveset
    gen = cs.settings["generated"]
    assert gen["aus"] == list(g.aus) and set(gen["timing"]) == set(g.aus)
    assert gen["seed"] == 0 and cs.settings["emotion"] == "surprise"
    assert cs.curves and cs.n_frames == g.micro.n_frames


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"emotion": "boredom"}, "unknown emotion"),
        ({"emotion": "neutral"}, "code no 'neutral'"),
        ({"count": 0}, "count must be a whole number"),
        ({"count": 2.5}, "count must be a whole number"),
        ({"novelty": 1.5}, "novelty must be a probability"),
        ({"intensity": 0.0}, r"intensity must be in \(0, 1\]"),
        ({"fps": -1.0}, "fps"),
    ],
)
def test_bad_options_say_what_is_wrong(kwargs, match):
    args = {"emotion": "fear", "count": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        generate_expressions(args.pop("emotion"), args.pop("count"), **args)


def test_broken_statistics_file_is_refused_by_name(tmp_path):
    bad = tmp_path / "stats.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"stats\.json: not a JSON file of AU statistics"):
        generate_expressions("fear", 1, statistics=bad)
    bad.write_text('{"datasets": {"x": {"au_combos": 3}}}')
    with pytest.raises(ValueError, match=r"dataset 'x' is malformed"):
        generate_expressions("fear", 1, statistics=bad)
    assert bad.read_text() == '{"datasets": {"x": {"au_combos": 3}}}'
