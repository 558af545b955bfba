import json

import numpy as np
import pytest

from ml.train.report import check_outputs, write_confusion_png, write_outputs


def _report():
    return {
        "model": "m",
        "split": "loso",
        "classes": ["a", "b"],
        "pooled": {"uf1": 0.5, "uar": 0.5, "confusion": [[2, 1], [0, 3]], "x": float("nan")},
    }


def test_write_outputs_and_refuse_overwrite(tmp_path):
    paths = write_outputs(_report(), {"epochs": 1}, tmp_path, overwrite=False)
    assert [p.name for p in paths] == ["report.json", "config.yaml", "confusion.png"]
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["pooled"]["x"] is None  # NaN written as null (valid JSON)
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    before = (tmp_path / "report.json").read_bytes()
    with pytest.raises(FileExistsError, match=r"report\.json"):
        check_outputs(tmp_path, overwrite=False)
    with pytest.raises(FileExistsError):
        write_outputs(_report(), {}, tmp_path, overwrite=False)
    assert (tmp_path / "report.json").read_bytes() == before
    write_outputs(_report(), {}, tmp_path, overwrite=True)


def test_confusion_png_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(ValueError, match="does not match"):
        write_confusion_png(np.zeros((2, 2)), ["a"], tmp_path / "c.png")  # 1 label for 2 classes
    assert list(tmp_path.iterdir()) == []
