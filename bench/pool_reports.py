"""Pool the per-clip predictions of several training reports (folds run in separate processes or on
separate machines with ``--first-fold/--max-folds``) into one set of figures, as if run together.

    python bench/pool_reports.py runs/loso_a/report.json runs/loso_b/report.json

UF1/UAR/accuracy are computed from the pooled confusion matrix, AU F1 from the pooled AU decisions and
timing error over all clips, exactly as one run over all folds would (``ml.train.pooled.pooled_metrics``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pool(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled metrics over the predictions of ``reports`` (same classes and AU list; clips unique)."""
    from ml.train.pooled import pooled_metrics

    classes = reports[0]["classes"]
    au_names = reports[0]["au_names"]
    for r in reports[1:]:
        if r["classes"] != classes or r["au_names"] != au_names:
            raise ValueError("reports to pool must share their classes and AU list")
    preds = [p for r in reports for p in r["predictions"]]
    clips = [p["clip"] for p in preds]
    if len(set(clips)) != len(clips):
        raise ValueError("a clip appears in more than one report: the fold ranges overlap")
    if any("au_probs" not in p for p in preds):
        raise ValueError("a report lacks per-clip AU probabilities (made by an older version); rerun it")
    index = {c: i for i, c in enumerate(classes)}
    y_true = np.asarray([index[p["true"]] for p in preds])
    y_pred = np.asarray([index[p["pred"]] for p in preds])
    aus_true = np.asarray([[a in p["aus_true"] for a in au_names] for p in preds], dtype=np.float64)
    aus_prob = np.asarray([p["au_probs"] for p in preds], dtype=np.float64)
    t_true = np.asarray([p["timing_true"] for p in preds], dtype=np.float64)
    t_pred = np.asarray([p["timing_pred"] for p in preds], dtype=np.float64)
    t_net = None  # the timing head alone, before the fit to motion (reports since it was added)
    if all("timing_network" in p for p in preds):
        t_net = np.asarray([p["timing_network"] for p in preds], dtype=np.float64)
    out = pooled_metrics(
        y_true, y_pred, len(classes), aus_true, aus_prob, t_true, t_pred, timing_network_frames=t_net
    )
    out["n_folds"] = sum(len(r["folds"]) for r in reports)
    out["n_subjects_tested"] = len({s for r in reports for f in r["folds"] for s in f["test_subjects"]})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("reports", nargs="+", type=Path, help="report.json files of `microexpr train`")
    args = parser.parse_args(argv)
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in args.reports]
    res = pool(reports)
    t = res["timing_error_frames"]
    print(f"folds {res['n_folds']}, subjects tested {res['n_subjects_tested']}, clips {res['n']}")
    print(
        f"UF1 {res['uf1']:.3f}  UAR {res['uar']:.3f}  accuracy {res['accuracy']:.3f}  "
        f"macro-F1 {res['macro_f1']:.3f}"
    )
    print(
        f"AU macro-F1 {res['au_f1_macro']:.3f}  per AU: "
        + " ".join(f"{a} {v:.2f}" for a, v in zip(reports[0]["au_names"], res["au_f1"], strict=True))
    )
    print("timing error (frames): " + ", ".join(f"{k} {v:.2f}" for k, v in t.items()))
    if "timing_error_frames_network" in res:
        tn = res["timing_error_frames_network"]
        print("  timing head alone:    " + ", ".join(f"{k} {v:.2f}" for k, v in tn.items()))
    print("confusion (rows true " + "/".join(reports[0]["classes"]) + "):", res["confusion"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
