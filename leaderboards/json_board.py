"""``nextgpt-bench leaderboard --format json``: the long table and the readable layout, as one JSON object.

Schema 1 (a key is only ever added; a change of meaning gets a new ``schema`` number)::

    {
      "schema": 1,
      "rows": [{"model", "kind", "run_id", "task", "group", "metric", "headline", "value", "ci_low", "ci_high",
                "n", "source", "comparable", "note", "paper_model"}, ...],  # every cell: the CSV's rows
      "models": [{"model", "label", "kind", "run_id"}, ...],     # row order of the tables; label as shown
      "headline": [{"task", "group", "metric", "higher_is_better"}, ...],
      "groups": {"captioning": [{"task", "metrics": [{"metric", "higher_is_better"}, ...]}, ...], ...},
      "notes": ["† tiny-trained (RUN): t2i fid, ...: not comparable with the paper rows: ...", ...],
      "legend": "..."
    }

``headline`` and ``groups`` say which cells make up each table (select ``rows`` by task and metric, or by
``headline: true``).  A row's ``paper_model`` is the paper's model a paper row is, or a measured run was run
as (``run --paper-model``; in ``models`` such a run comes right after that model's paper row), else null.
Missing numbers are ``null`` (never NaN, which is not JSON); an infinite one is ``null`` too, named in its row's
``note``; ``run_id`` is ``null`` on the paper's rows; ``higher_is_better`` is ``null`` for a metric this process
does not know.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from leaderboards.sections import HEADLINE, display_label, grouped_notes, missing, model_order, sections
from reports.text_table import metric_direction

SCHEMA = 1
ROW_KEYS = ("model", "kind", "run_id", "task", "group", "metric", "headline", "value", "ci_low", "ci_high", "n",
            "source", "comparable", "note", "paper_model")


def board_object(long: pd.DataFrame, legend: str) -> dict[str, Any]:
    found = sections(long)
    headline = next((s for s in found if s.key == HEADLINE), None)
    group_of = dict(zip(long["task"], long["group"], strict=True))
    kinds = dict(zip(long["model"], zip(long["kind"], long["run_id"], strict=True), strict=True))
    return {
        "schema": SCHEMA,
        "rows": [_json_row(row) for row in long.to_dict("records")],
        "models": [{"model": model, "label": display_label(model, kinds[model][1]), "kind": kinds[model][0],
                    "run_id": _plain(kinds[model][1])} for model in model_order(long)],
        "headline": [{"task": task, "group": group_of[task], "metric": metric,
                      "higher_is_better": metric_direction(metric)}
                     for task, metric in (headline.columns if headline else ())],
        "groups": {section.key: [{"task": task, "metrics": [
            {"metric": metric, "higher_is_better": metric_direction(metric)}
            for column_task, metric in section.columns if column_task == task]} for task in section.tasks]
            for section in found if section.key != HEADLINE},
        "notes": grouped_notes(long),
        "legend": legend,
    }


def render_json(long: pd.DataFrame, legend: str) -> str:
    return json.dumps(board_object(long, legend), ensure_ascii=False, allow_nan=False, indent=1) + "\n"


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A long-table row as JSON: an infinite number (which JSON cannot hold) becomes null, and the row's note
    says which field was what, so the file is always written and nothing is silently lost."""
    plain = {key: _plain(row[key]) for key in ROW_KEYS}
    infinite = [f"{key} {value}" for key, value in plain.items() if isinstance(value, float) and math.isinf(value)]
    if infinite:
        plain.update({key: None for key in plain if isinstance(plain[key], float) and math.isinf(plain[key])})
        said = f"{', '.join(infinite)}: not a JSON number, null here"
        plain["note"] = f"{plain['note']}; {said}" if plain["note"] else said
    return plain


def _plain(value: Any) -> Any:
    """A JSON value: None for NaN/NA, Python int/float/bool for numpy scalars."""
    if missing(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
