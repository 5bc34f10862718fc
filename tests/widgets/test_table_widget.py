from __future__ import annotations

import datetime as dt
import decimal
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from atoti_lab.widgets import _static
from atoti_lab.widgets.table import (
    ResultTable,
    arrow_to_ipc,
    format_float_default,
    frame_to_arrow,
    js_number_string,
    make_formatter,
    parse_format,
    render_html,
)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

needs_bundle = pytest.mark.skipif(
    not _static.static_path("table.js").is_file(),
    reason="front-end bundle not built (npm ci && npm run build)",
)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "City": ["Paris", "London", "Paris"],
            "Year": [2023, 2024, 2025],
            "Amount": [1234.5, -0.25, np.nan],
            "Quantity": np.array([1, 20000, 3], dtype="int64"),
            "Label": ["<b>bold</b>", "a & b", None],
        }
    ).set_index(["City", "Year"])


def decode(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


@needs_bundle
def test_from_pandas_round_trip(frame: pd.DataFrame) -> None:
    widget = ResultTable.from_pandas(frame, title="Sales")
    assert isinstance(widget.data, bytes)
    table = decode(widget.data)
    assert json.loads(table.schema.metadata[b"atoti_lab.index_columns"]) == ["City", "Year"]
    pd.testing.assert_frame_equal(table.to_pandas(), frame.reset_index())
    assert widget.title == "Sales"
    assert widget.num_rows == 3


@needs_bundle
def test_round_trip_of_many_dtypes() -> None:
    df = pd.DataFrame(
        {
            "cat": pd.Categorical(["x", "y", "x"]),
            "when": pd.to_datetime(["2024-01-02 03:04:05", "2024-01-03", "2024-01-04"], format="ISO8601"),
            "flag": [True, False, True],
            "f32": np.array([1.5, 2.5, 3.5], dtype="float32"),
            "i8": np.array([1, -2, 3], dtype="int8"),
        }
    )
    widget = ResultTable.from_pandas(df)
    table = decode(widget.data)
    assert b"atoti_lab.index_columns" not in (table.schema.metadata or {})  # default index dropped
    pd.testing.assert_frame_equal(table.to_pandas(), df)


@needs_bundle
def test_trait_assignment_and_from_arrow() -> None:
    source = pa.table({"x": [1.0, 2.0], "y": ["a", "b"]})
    widget = ResultTable.from_arrow(source, formats={"x": "DOUBLE[0.0]"})
    assert decode(widget.data).equals(source)
    assert widget.formats == {"x": "DOUBLE[0.0]"}
    other = pa.table({"z": [3]})
    widget.data = arrow_to_ipc(other)
    assert decode(widget.data).equals(other)
    assert widget.to_arrow().equals(other)
    assert "3" in widget.snapshot_html()


@needs_bundle
def test_repr_mimebundle_has_widget_view_and_html_snapshot(frame: pd.DataFrame) -> None:
    widget = ResultTable.from_pandas(frame, title="Sales & more", formats={"Amount": "DOUBLE[#,##0.0]"})
    data, _metadata = widget._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == widget.model_id
    assert "text/plain" in data
    snapshot = data["text/html"]
    assert "<table" in snapshot
    assert "Sales &amp; more" in snapshot
    for text in ("City", "Year", "Amount", "Paris", "London", "2023", "2025", "1,234.5", "-0.2", "20,000"):
        assert text in snapshot, text
    # cell contents are escaped
    assert "&lt;b&gt;bold&lt;/b&gt;" in snapshot
    assert "<b>bold</b>" not in snapshot
    assert "a &amp; b" in snapshot
    # index levels are row headers, without grouping
    assert "<th>Paris</th><th>2023</th>" in snapshot
    assert "3 rows" in snapshot


@needs_bundle
def test_snapshot_is_capped() -> None:
    widget = ResultTable.from_pandas(pd.DataFrame({"x": np.arange(500.0)}))
    snapshot = widget.snapshot_html()
    assert snapshot.count("<tr") == 100 + 1  # header row + 100 rows
    assert "Showing 100 of 500 rows" in snapshot


@needs_bundle
def test_esm_and_css_are_built_and_small() -> None:
    esm = _static.static_path("table.js")
    css = _static.static_path("table.css")
    assert esm.is_file()
    assert css.is_file()
    assert esm.stat().st_size < 1024 * 1024
    widget = ResultTable()
    assert widget._esm == esm.read_text(encoding="utf-8")
    assert "export" in widget._esm
    assert "https://" not in widget._esm.replace("https://www.apache.org/licenses", "")  # no CDN imports
    assert widget._css == css.read_text(encoding="utf-8")


def test_missing_bundle_error_names_file_and_command(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(_static, "STATIC_DIR", tmp_path / "static")
    with pytest.raises(_static.BundleNotBuiltError) as info:
        _static.read_static("table.js")
    message = str(info.value)
    assert str(tmp_path / "static" / "table.js") in message
    assert "npm run build" in message or "pip install" in message
    asset = _static.StaticAsset("table.js")
    assert not asset.exists()
    with pytest.raises(FileNotFoundError):
        str(asset)


def test_frame_to_arrow_names() -> None:
    df = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("c", 5)]), index=["r"])
    table = frame_to_arrow(df)
    assert table.column_names == ["index", "a / b", "c / 5"]
    assert json.loads(table.schema.metadata[b"atoti_lab.index_columns"]) == ["index"]
    assert frame_to_arrow(pd.DataFrame({5: [1]})).column_names == ["5"]


# --- formatting: the same cases as js/test/format.test.ts --------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("#,###.00", 1234.5, "1,234.50"),
        ("#,###", 1234567, "1,234,567"),
        ("#,##0.0#", 3.14159, "3.14"),
        ("#,##0.0#", 3, "3.0"),
        ("0.00%", 0.1234, "12.34%"),
        ("#,##0.00 '€'", -1234.567, "-1,234.57 €"),
        ("$#,##0.00;($#,##0.00)", -5, "($5.00)"),
        ("$#,##0.00;($#,##0.00)", 5, "$5.00"),
        ("000", 7, "007"),
        ("'#'0", 7, "#7"),
        ("0''", 7, "7'"),
        # atoti's (Java's) rounding: the exact binary value, half to even; a negative zero keeps its sign
        ("0.00", 2.675, "2.67"),
        ("0.00", 1.005, "1.00"),
        ("0.00", 0.125, "0.12"),
        ("0.00", -2.675, "-2.67"),
        ("0.00", -0.001, "-0.00"),
        ("0", -0.4, "-0"),
        ("#,###.00", 0.5, ".50"),
        ("#,##0", 2**60, "1,152,921,504,606,846,976"),
        ("#,##0", -3, "-3"),
        ("#,##0.00", decimal.Decimal("-1234.50"), "-1,234.50"),
        ("0.0", float("nan"), "NaN"),
        ("0.0", float("inf"), "\u221e"),
        ("0.0", float("-inf"), "-\u221e"),
    ],
)
def test_number_patterns(pattern: str, value: object, expected: str) -> None:
    assert parse_format(f"DOUBLE[{pattern}]") == ("number", f"DOUBLE[{pattern}]")
    t = (
        pa.decimal128(10, 2)
        if isinstance(value, decimal.Decimal)
        else pa.int64()
        if isinstance(value, int)
        else pa.float64()
    )
    assert make_formatter(t, f"DOUBLE[{pattern}]")(value) == expected


def test_unsupported_patterns() -> None:
    assert parse_format("DOUBLE[abc]") is None
    assert parse_format("STRING[x]") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234.5, "1,234.50"), (-0.5, "-0.50"), (0.0, "0.00"), (0.001234, "0.00123"), (-0.00999999, "-0.01")],
)
def test_default_float(value: float, expected: str) -> None:
    assert format_float_default(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1e16, "10000000000000000"),
        (1e-7, "1e-7"),
        (0.00001, "0.00001"),
        (-2.5, "-2.5"),
        (123456.789, "123456.789"),
        (1.5e300, "1.5e+300"),
    ],
)
def test_js_number_string(value: float, expected: str) -> None:
    assert js_number_string(value) == expected


def test_kind_formatters() -> None:
    assert make_formatter(pa.int64())(1234567) == "1,234,567"
    assert make_formatter(pa.int64(), raw=True)(2024) == "2024"
    assert make_formatter(pa.decimal128(10, 2))(decimal.Decimal("-1234.50")) == "-1,234.50"
    assert make_formatter(pa.bool_())(True) == "true"
    assert make_formatter(pa.float64())(None) == ""
    assert make_formatter(pa.date32())(dt.date(2024, 1, 2)) == "2024-01-02"
    ts = make_formatter(pa.timestamp("us"))
    assert ts(dt.datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02 03:04:05"
    assert ts(dt.datetime(2024, 1, 2, 3, 4, 5, 120000)) == "2024-01-02 03:04:05.120"
    assert make_formatter(pa.list_(pa.float64()))([1.0, 2.5]) == "[1.00, 2.50]"
    assert make_formatter(pa.list_(pa.int64()))(list(range(12))) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, \u2026]"
    assert make_formatter(pa.duration("us"))(dt.timedelta(days=1, hours=1, minutes=1, seconds=1.5)) == "1d 01:01:01.500"
    assert make_formatter(pa.time64("us"))(dt.time(1, 2, 3)) == "01:02:03"
    assert make_formatter(pa.float64(), "DOUBLE[0.0%]")(0.256) == "25.6%"
    assert make_formatter(pa.float64(), "DOUBLE[nonsense")(1.0) == "1.00"
    assert make_formatter(pa.date32(), "DATE[dd/MM/yyyy]")(dt.date(2024, 1, 2)) == "02/01/2024"
    assert make_formatter(pa.timestamp("ms"), "DATE[d MMM yy, h:mm a]")(dt.datetime(2024, 7, 4, 15, 7)) == (
        "4 Jul 24, 3:07 PM"
    )


def test_snapshot_of_js_fixture_matches_widget_rendering() -> None:
    """The pyarrow fixture rendered by js/test/table.test.ts gives the same texts here."""
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[2] / "js" / "test" / "fixtures" / "result.arrows"
    if not fixture.is_file():
        pytest.skip("js/test/fixtures/result.arrows not present")
    html = render_html(decode(fixture.read_bytes()))
    row0 = [
        "Paris",
        "2023",
        "1,234.50",
        "1",
        "1.25",
        "true",
        "2024-01-02",
        "2024-01-02 03:04:05",
        "2024-01-02 04:04:05",
        "[1.00, 2.50]",
        "&lt;b&gt;&amp;amp;&lt;/b&gt;",
    ]
    row2 = [
        "",
        "2024",
        "",
        "3",
        "-1,234.50",
        "",
        "1969-12-31",
        "2024-01-02 03:04:05.123",
        "2024-07-01 14:00:00",
        "",
        "",
    ]
    for row in (row0, row2):
        cells = [f"<th>{row[0]}</th>", f"<th>{row[1]}</th>"]
        assert "".join(cells) in html
        for text in row[2:]:
            assert f">{text}</td>" in html, text
    assert ">0.00123</td>" in html
