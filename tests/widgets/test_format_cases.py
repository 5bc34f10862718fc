"""One set of formatting cases for the kernel's formatter, the widgets' Python snapshots and the
front end (js/test/format_cases.test.ts reads the same file): a measure prints the same text in
``cube.query``, in a widget and in its static snapshot."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest

from atoti_lab._engine.result.formatter import format_value
from atoti_lab.widgets.table import make_formatter

CASES = json.loads((Path(__file__).parents[2] / "js" / "test" / "fixtures" / "format_cases.json").read_text())
TYPES = {"double": pa.float64(), "long": pa.int64(), "date": pa.date32()}


def _value(case: dict) -> object:
    return dt.date.fromisoformat(case["value"]) if case["type"] == "date" else case["value"]


def test_there_are_cases_of_each_kind() -> None:
    assert {c["type"] for c in CASES} == set(TYPES)
    assert len(CASES) > 100


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['format']}:{c['value']}")
def test_kernel_formatter_gives_the_expected_text(case: dict) -> None:
    assert format_value(_value(case), case["format"]) == case["expected"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['format']}:{c['value']}")
def test_widget_snapshots_format_as_the_kernel(case: dict) -> None:
    assert make_formatter(TYPES[case["type"]], case["format"])(_value(case)) == case["expected"]
