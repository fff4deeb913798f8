"""``nextgpt-bench profile --html``: measured and predicted per stage on one page, joined on the stage name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cli import main
from reports.profile_report import profile_rows, render_profile_report


def test_profile_page_puts_prediction_beside_measurement(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "profile"
    code = main(["profile", "--preset", "tiny", "--inputs", "image", "--outputs", "image", "--warmup", "0",
                 "--max-new-tokens", "3", "--batch-size", "2", "--json", "--html", str(out)])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert json.loads((out / "profile.json").read_text(encoding="utf-8")) == document
    prediction = document["prediction"]
    assert prediction["settings"]["batch_size"] == 2
    rows = {re.sub("<[^>]+>", "", row[0]): row for row in profile_rows(document)}
    assert set(rows) == set(document["stages"])
    # every stage the prediction knows gets its FLOPs; the end-to-end row gets the total
    for name, stage in prediction["stages"].items():
        if name in rows:
            assert rows[name][6] == f"{stage['flops'] / 1e9:.4g}"
            assert rows[name][7] != "n/a"
    assert rows["end_to_end"][6] == f"{prediction['total_flops'] / 1e9:.4g}"
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "predicted GFLOP" in page and "llm_prefill" in page and "not comparable" in page  # CPU: RSS vs bytes


def test_profile_page_without_prediction_says_so(tmp_path: Path) -> None:
    document = {"device": "cpu", "stages": {"encode": {"seconds": 0.5, "calls": 1}}, "prediction": None}
    page = render_profile_report(document, tmp_path).read_text(encoding="utf-8")
    assert "No prediction in this profile" in page
    with pytest.raises(ValueError, match="no 'stages'"):
        render_profile_report({"device": "cpu"}, tmp_path)
