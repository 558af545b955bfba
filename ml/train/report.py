"""Files a protocol run leaves behind: JSON report, resolved config, confusion-matrix PNG (all atomic)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import yaml

from curves.atomic import atomic_path, atomic_write_text, check_can_write

__all__ = ["REPORT_FILES", "check_outputs", "write_confusion_png", "write_outputs"]

#: Names of the files written into the output folder.
REPORT_FILES = ("report.json", "config.yaml", "confusion.png")


def check_outputs(out: str | Path, *, overwrite: bool) -> None:
    """Fail before any work if a report file exists and ``overwrite`` is false."""
    for name in REPORT_FILES:
        check_can_write(Path(out) / name, overwrite=overwrite)


def write_confusion_png(
    cm: np.ndarray, classes: Sequence[str], path: str | Path, *, title: str = "", overwrite: bool = False
) -> Path:
    """Row-normalised confusion matrix with counts in each cell (true class down, predicted across)."""

    matplotlib.use("Agg")

    cm = np.asarray(cm, dtype=np.int64)
    if cm.ndim != 2 or cm.shape != (len(classes), len(classes)):
        raise ValueError(f"confusion matrix of shape {cm.shape} does not match {len(classes)} class names")
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, np.maximum(rows, 1), dtype=np.float64)
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * n, 1.0 + 0.8 * n), dpi=110)
    ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(n), labels=list(classes), rotation=45, ha="right")
    ax.set_yticks(range(n), labels=list(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                f"{cm[i, j]}\n{norm[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if norm[i, j] > 0.5 else "black",
            )
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def write_outputs(
    report: Mapping[str, Any], config: Mapping[str, Any], out: str | Path, *, overwrite: bool
) -> list[Path]:
    """Write ``report.json``, ``config.yaml`` and ``confusion.png`` into ``out``; returns the paths."""

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [
        atomic_write_text(out / "report.json", json.dumps(_jsonable(report), indent=1), overwrite=overwrite),
        atomic_write_text(
            out / "config.yaml", yaml.safe_dump(_jsonable(config), sort_keys=False), overwrite=overwrite
        ),
    ]
    pooled = report["pooled"]
    title = f"{report.get('model', '')} {report.get('split', '')}: "
    title += f"UF1 {pooled['uf1']:.3f}, UAR {pooled['uar']:.3f}"
    paths.append(
        write_confusion_png(
            np.asarray(pooled["confusion"]),
            report["classes"],
            out / "confusion.png",
            title=title,
            overwrite=overwrite,
        )
    )
    return paths
