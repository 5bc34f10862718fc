"""Measure properties (formatter, folder, visible, description), deletion, redefinition, and the
errors a bad definition raises before anything is added."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import atoti_lab as tt


@pytest.fixture
def books():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({
        "id": range(40),
        "desk": rng.choice(["Rates", "FX", "Credit", "Equity"], 40),
        "trader": rng.choice(["ann", "bob", "cy"], 40),
        "pnl": rng.normal(20000, 90000, 40).round(2),
        "notional": rng.integers(1000, 900000, 40),
        "ratio": rng.uniform(0.001, 0.9, 40),
    })
    with tt.Session.start() as session:
        table = session.read_pandas(df, table_name="Books", keys=["id"])
        yield session.create_cube(table), table, df


def _texts(cube: tt.Cube, measure: str) -> list[str]:
    """The text a query of `measure` by desk prints for each cell, in row order."""
    result = cube.query(cube.measures[measure], levels=[cube.levels["desk"]])
    return [line.split()[-1] for line in repr(result).splitlines()[2:]]


def _java_grouped(value: float, decimals: int) -> str:
    # Python's format rounds the exact binary value half-even, as java.text.DecimalFormat does.
    return f"{value:,.{decimals}f}"


def test_formatters_shape_the_printed_values(books):
    cube, _, df = books
    m, l = cube.measures, cube.levels
    m["pnl $"] = m["pnl.SUM"] + 0.0
    m["pnl $"].formatter = "DOUBLE[$#,##0.00]"
    m["pnl €"] = m["pnl.SUM"] + 0.0
    m["pnl €"].formatter = "DOUBLE[#,##0.00€]"
    m["share"] = m["ratio.MEAN"] + 0.0
    m["share"].formatter = "DOUBLE[0.00%]"
    m["notional.SUM"].formatter = "INT[#,###]"
    m["pnl 1dp"] = m["pnl.SUM"] + 0.0
    m["pnl 1dp"].formatter = "DOUBLE[#,##0.0]"
    g = df.groupby("desk")
    pnl, ratio, notional = g["pnl"].sum(), g["ratio"].mean(), g["notional"].sum()

    def dollars(v: float) -> str:
        return ("-$" if v < 0 else "$") + _java_grouped(abs(v), 2)

    assert _texts(cube, "pnl $") == [dollars(v) for v in pnl]
    assert _texts(cube, "pnl €") == [_java_grouped(v, 2) + "€" for v in pnl]
    assert _texts(cube, "share") == [f"{100 * v:.2f}%" for v in ratio]
    assert _texts(cube, "notional.SUM") == [f"{v:,}" for v in notional]
    assert _texts(cube, "pnl 1dp") == [_java_grouped(v, 1) for v in pnl]
    # The frame holds the raw values whatever the formatter.
    np.testing.assert_allclose(cube.query(m["pnl $"], levels=[l["desk"]])["pnl $"], pnl)


def test_a_bad_formatter_is_rejected_and_the_old_one_kept(books):
    cube, _, _ = books
    m = cube.measures
    m["pnl.SUM"].formatter = "DOUBLE[0.0]"
    for bad in ("DOUBLE[#,##0.00", "PERCENT[0%]", "DOUBLE[0.0.0]"):
        with pytest.raises(ValueError):
            m["pnl.SUM"].formatter = bad
        assert m["pnl.SUM"].formatter == "DOUBLE[0.0]"


def test_folder_visible_and_description_round_trip_and_survive_a_redefinition(books):
    cube, table, _ = books
    m, l = cube.measures, cube.levels
    m["Exposure"] = tt.agg.sum(table["notional"])
    assert (m["Exposure"].folder, m["Exposure"].visible, m["Exposure"].description) == (None, True, None)
    m["Exposure"].folder = "Risk"
    m["Exposure"].visible = False
    m["Exposure"].description = "Sum of the notionals"
    m["Exposure"].formatter = "INT[#,##0]"
    m["Exposure"] = tt.agg.max(table["notional"])  # same type: every property stays
    e = m["Exposure"]
    assert (e.folder, e.visible, e.description, e.formatter) == ("Risk", False, "Sum of the notionals", "INT[#,##0]")
    # A hidden measure still answers queries (atoti hides it from the UI's measure list only).
    got = cube.query(m["Exposure"], levels=[l["desk"]])
    assert got["Exposure"].tolist() == books[2].groupby("desk")["notional"].max().tolist()


def test_redefinition_reaches_measures_two_steps_away(books):
    cube, table, df = books
    m, l = cube.measures, cube.levels
    m["Base"] = tt.agg.sum(table["notional"])
    m["Mid"] = tt.math.max(m["Base"], 1)
    m["Top"] = m["Mid"] * 2
    m["Top"].formatter = "INT[0]"
    before = cube.query(m["Top"], levels=[l["trader"]], mode="raw").set_index("trader")["Top"]
    g = df.groupby("trader")
    assert before.tolist() == (2 * g["notional"].sum()).tolist()
    m["Base"] = tt.agg.mean(table["pnl"])  # long -> double all the way up
    after = cube.query(m["Top"], levels=[l["trader"]], mode="raw").set_index("trader")["Top"]
    np.testing.assert_allclose(after, 2 * np.maximum(g["pnl"].mean(), 1))
    assert (m["Mid"].data_type, m["Top"].data_type) == ("double", "double")
    assert m["Mid"].formatter == "DOUBLE[#,###.00]"  # a default formatter follows the type
    assert m["Top"].formatter == "INT[0]"  # a chosen one is kept


def test_deleting_a_measure_then_defining_it_again(books):
    cube, _, df = books
    m = cube.measures
    m["Loss"] = tt.math.min(m["pnl.SUM"], 0)
    del m["Loss"]
    assert "Loss" not in m
    with pytest.raises(KeyError, match="Loss"):
        cube.query(m["Loss"])
    m["Loss"] = tt.math.min(m["pnl.SUM"], 0.0)
    assert cube.query(m["Loss"])["Loss"].iloc[0] == pytest.approx(min(df["pnl"].sum(), 0.0))


def test_bad_definitions_name_the_culprit_and_add_nothing(books):
    cube, table, _ = books
    m, l = cube.measures, cube.levels
    m["A"] = m["pnl.SUM"] * 2
    m["B"] = tt.math.max(m["A"], 0)
    before = {name: (m[name].data_type, m[name].formatter) for name in m}
    cases = [
        (KeyError, "nope", lambda: tt.math.sqrt(m["nope"])),
        (KeyError, "missing", lambda: tt.agg.sum(table["missing"])),
        (TypeError, "desk", lambda: tt.math.max(tt.agg.sum(table["desk"]), m["A"])),
        (KeyError, "ghost", lambda: tt.switch(m["A"], {1: m["ghost"]}, default=0)),
    ]
    with tt.experimental({"stats.normal.cdf"}):
        cases.append((KeyError, "phantom", lambda: tt.stats.normal.cdf(m["A"], mean=m["phantom"], standard_deviation=1)))
        for error, culprit, build in cases:
            with pytest.raises(error, match=culprit):
                m["New"] = build()
    with pytest.raises(KeyError, match="level"):
        tt.switch(l["nowhere"], {1: 1})
    # A cycle through a function: A would use B, which uses A.
    with pytest.raises(ValueError, match="itself"):
        m["A"] = tt.math.min(m["B"], 5)
    assert {name: (m[name].data_type, m[name].formatter) for name in m} == before
    assert cube.query(m["A"])["A"].iloc[0] == pytest.approx(2 * books[2]["pnl"].sum())
