"""tt.finance.irr: the Newton solver against exact rates and an independent bracketing root finder,
the public function's checks, and the measure per cell against scipy on random portfolios."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import atoti_lab as tt
from atoti_lab._engine.expr.condition import LevelRef
from atoti_lab._engine.expr.measure import Lit, MeasureRef, Op
from atoti_lab._engine.plan.irr import enhanced_cash_flows, irr


def _days(*dates: str) -> np.ndarray:
    return np.array([dt.date.fromisoformat(d).toordinal() for d in dates], np.float64)


def test_one_year_without_cash_flows_is_the_growth_of_the_market_value():
    days = _days("2023-01-01", "2023-07-01", "2024-01-01")
    mv = np.array([[100.0, 104.0, 110.0], [200.0, 0.0, 150.0]])
    cf = np.zeros_like(mv)
    present = np.ones_like(mv, np.bool_)
    rate, ok = irr(days, cf, mv, present, precision=1e-10)
    np.testing.assert_allclose(rate, [0.10, -0.25], rtol=1e-9)
    assert ok.all()
    # Over 365 days, the annualised rate is the same; over two years it is the square root.
    rate, _ = irr(days, cf, mv, present, precision=1e-10, period="annualized")
    np.testing.assert_allclose(rate, [0.10, -0.25], rtol=1e-9)
    two_years = _days("2023-01-01", "2024-01-01", "2024-12-31")
    rate, _ = irr(two_years, cf, np.array([[100.0, 0.0, 121.0], [1.0, 1.0, 1.0]]), present, precision=1e-12,
                  period="annualized")
    np.testing.assert_allclose(rate, [0.1, 0.0], atol=1e-9)


def test_enhanced_cash_flows_replace_the_first_and_extend_the_last_present_date():
    cf = np.array([[5.0, 1.0, 2.0, 3.0], [9.0, 9.0, 9.0, 9.0]])
    mv = np.array([[100.0, 50.0, 60.0, 70.0], [10.0, 20.0, 30.0, 40.0]])
    present = np.array([[True, True, True, False], [False, True, False, True]])
    out = enhanced_cash_flows(cf, mv, present)
    assert out.tolist() == [[-100.0, 1.0, 62.0, 0.0], [0.0, -20.0, 0.0, 49.0]]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 400), min_size=1, max_size=8),
    st.lists(st.floats(-30, 30, allow_nan=False), min_size=9, max_size=9),
    st.floats(50, 500), st.floats(20, 800),
    st.sampled_from(["total", "annualized"]),
)
def test_the_rate_nullifies_the_npv_like_an_independent_root_finder(gaps, flows, mv0, mv_end, period):
    days = np.concatenate([[0.0], np.cumsum(gaps)]).astype(np.float64) + 738000
    n = len(days)
    cf = np.array([flows[:n]])
    mv = np.zeros((1, n))
    mv[0, 0], mv[0, -1] = mv0, mv_end
    present = np.ones((1, n), np.bool_)
    enhanced = enhanced_cash_flows(cf, mv, present)[0]
    t = days - days[0]
    unit = t[-1] if period == "total" else 365.0

    def npv(r: float) -> float:
        return float((enhanced * (1 + r) ** (-t / unit)).sum())

    rate, ok = irr(days, cf, mv, present, precision=1e-9, period=period)
    # Enhanced flows start negative and may have several sign changes: find the root the
    # independent way where the NPV changes sign between -0.99 and 100.
    assume(ok[0])  # no convergence gives an empty cell (checked for the no-root case below)
    assert npv(rate[0]) == pytest.approx(0.0, abs=1e-6 * max(1.0, np.abs(enhanced).sum()))
    lo, hi = rate[0] - 1e-3, rate[0] + 1e-3
    if lo > -1 and np.sign(npv(lo)) != np.sign(npv(hi)):
        assert brentq(npv, lo, hi, xtol=1e-12) == pytest.approx(rate[0], rel=1e-9, abs=1e-7)  # rates can be huge


def test_cells_without_a_rate_are_empty():
    days = _days("2024-01-01", "2024-02-01", "2024-03-01")
    cf = np.zeros((3, 3))
    mv = np.array([[100.0, 0.0, 120.0], [100.0, 0.0, 0.0], [100.0, 0.0, 110.0]])
    present = np.array([[True, True, True], [True, True, True], [False, True, False]])
    cf[1] = [0.0, 0.0, 50.0]
    mv[1, 2] = -500.0  # only outflows: NPV < 0 for every rate, no root
    rate, ok = irr(days, cf, mv, present)
    assert ok.tolist() == [True, False, False]  # the third cell has a single date
    assert np.isnan(rate[1:]).all()
    with pytest.raises(ValueError, match="period"):
        irr(days, cf, mv, present, period="monthly")


def test_precision_bounds_the_last_newton_step():
    days = _days("2020-01-01", "2020-04-01", "2020-09-15", "2021-03-01")
    cf = np.array([[0.0, -20.0, 35.0, 0.0]])
    mv = np.array([[1000.0, 0.0, 0.0, 1050.0]])
    present = np.ones((1, 4), np.bool_)
    exact, _ = irr(days, cf, mv, present, precision=1e-13)
    rough, _ = irr(days, cf, mv, present, precision=1e-2)
    assert abs(rough[0] - exact[0]) < 1e-2
    guessed, _ = irr(days, cf, mv, present, precision=1e-13, guess=-0.5)
    assert guessed[0] == pytest.approx(exact[0], abs=1e-10)


@pytest.fixture
def portfolio():
    df = pd.DataFrame({
        "id": range(4),
        "fund": ["A", "A", "A", "B"],
        "day": [dt.date(2024, 1, 1), dt.date(2024, 6, 1), dt.date(2025, 1, 1), dt.date(2024, 1, 1)],
        "cash": [0.0, 5.0, 0.0, 0.0],
        "value": [100.0, 103.0, 110.0, 50.0],
    })
    with tt.Session.start() as session:
        table = session.read_pandas(df, table_name="Portfolio", keys=["id"])
        yield session.create_cube(table)


def test_irr_builds_its_ir_and_checks_its_arguments(portfolio):
    cube = portfolio
    m, h = cube.measures, cube.hierarchies
    with pytest.raises(RuntimeError, match="finance.irr"):
        tt.finance.irr(cash_flows=m["cash.SUM"], market_value=m["value.SUM"], date=h["day"])
    with tt.experimental({"finance.irr"}):
        description = tt.finance.irr(cash_flows=m["cash.SUM"], market_value=m["value.SUM"], date=h["day"],
                                     precision=1e-6, period="annualized", guess=0.05)
        node = description._node
        assert node == Op("irr", (MeasureRef("cash.SUM"), MeasureRef("value.SUM"),
                                  Lit(LevelRef("Portfolio", "day", "day")), Lit(1e-6), Lit("annualized"), Lit(0.05)))
        with pytest.raises(ValueError, match="single date level"):
            tt.finance.irr(cash_flows=m["cash.SUM"], market_value=m["value.SUM"], date=h["fund"])
        with pytest.raises(TypeError, match="hierarchy"):
            tt.finance.irr(cash_flows=m["cash.SUM"], market_value=m["value.SUM"], date=cube.levels["day"])
        for bad in ({"precision": 0}, {"period": "monthly"}, {"guess": -2}):
            with pytest.raises(ValueError, match=next(iter(bad))):
                tt.finance.irr(cash_flows=m["cash.SUM"], market_value=m["value.SUM"], date=h["day"], **bad)
    # The older path needs no context.
    assert tt.experimental.finance.irr(cash_flows=m["cash.SUM"], market_value=0, date=h["day"])._node.op == "irr"


def test_irr_measure_with_unknown_parts_adds_nothing(portfolio):
    cube = portfolio
    m, h = cube.measures, cube.hierarchies
    before = list(m)
    with tt.experimental({"finance.irr"}), pytest.raises(KeyError, match="nope"):
        m["IRR"] = tt.finance.irr(cash_flows=m["nope"], market_value=m["value.SUM"], date=h["day"])
    assert list(m) == before


def _expected_rate(frame: pd.DataFrame, period: str) -> float:
    """The rate of one cell the independent way: per-date sums, enhanced flows, scipy's brentq."""
    per_day = frame.groupby("day")[["cash", "value"]].sum().sort_index()
    if len(per_day) < 2:
        return float("nan")
    flows = per_day["cash"].to_numpy().copy()
    flows[0] = -per_day["value"].iloc[0]
    flows[-1] += per_day["value"].iloc[-1]
    t = np.array([(d - per_day.index[0]).days for d in per_day.index], np.float64)
    unit = t[-1] if period == "total" else 365.0

    def npv(r: float) -> float:
        return float((flows * (1.0 + r) ** (-t / unit)).sum())

    # One sign change in the flows: a single root in (-1, inf), perhaps extreme over a short span.
    return brentq(npv, -1 + 1e-12, 1e15, xtol=1e-15, rtol=1e-14, maxiter=2000)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), period=st.sampled_from(["total", "annualized"]))
def test_irr_per_cell_matches_an_independent_root_finder(seed, n, period):
    rng = np.random.default_rng(seed)
    start = dt.date(2022, 1, 1)
    df = pd.DataFrame({
        "id": np.arange(n),
        "fund": rng.choice(["A", "B", "C"], n),
        # Dates a month apart at least: annualised rates over a few days overflow any root finder.
        "day": [start + dt.timedelta(days=30 * int(x)) for x in rng.integers(0, 24, n)],
        # Non-negative distributions and positive values: one sign change, so a single root.
        "cash": rng.choice([0.0, 0.0, 1.5, 4.0], n),
        "value": rng.uniform(50.0, 150.0, n).round(2),
    })
    with tt.Session.start() as session:
        table = session.read_pandas(df, table_name="Funds", keys=["id"])
        cube = session.create_cube(table, mode="manual")
        h, l, m = cube.hierarchies, cube.levels, cube.measures
        h["fund"] = [table["fund"]]
        h["day"] = [table["day"]]
        m["cash"] = tt.agg.sum(table["cash"])
        m["value"] = tt.agg.sum(table["value"])
        with tt.experimental({"finance.irr"}):
            m["IRR"] = tt.finance.irr(cash_flows=m["cash"], market_value=m["value"], date=h["day"],
                                      precision=1e-10, period=period)
        result = cube.query(m["IRR"], levels=[l["fund"]], include_totals=True, mode="raw")
        got = {None if pd.isna(r.fund) else r.fund: r.IRR for r in result.itertuples(index=False)}
        want = {fund: _expected_rate(part, period) for fund, part in df.groupby("fund")}
        want[None] = _expected_rate(df, period)
        assert {k for k, v in want.items() if not np.isnan(v)} == set(got)
        for key, rate in got.items():
            assert rate == pytest.approx(want[key], rel=1e-7, abs=1e-9)
        # A cell on one date has a single date under it: no rate.
        by_day = cube.query(m["IRR"], levels=[l["fund"], l["day"]], mode="raw")
        assert by_day.empty


def test_irr_with_a_constant_market_value_spans_only_the_dates_of_each_cell():
    # market_value=0: the first flow of each cell is replaced by -0 (the documented CF_0 = -MV_0),
    # and each cell spans its own dates, not every date of the cube.
    df = pd.DataFrame({
        "id": range(6), "fund": ["A", "A", "A", "B", "B", "B"],
        "day": [dt.date(2024, 1, 1), dt.date(2024, 7, 1), dt.date(2025, 1, 1), dt.date(2024, 3, 1),
                dt.date(2024, 6, 1), dt.date(2024, 9, 1)],
        "cash": [0.0, -100.0, 110.0, 0.0, -10.0, 11.0],
    })
    with tt.Session.start() as session:
        table = session.read_pandas(df, table_name="Flows", keys=["id"])
        cube = session.create_cube(table)
        m, h, l = cube.measures, cube.hierarchies, cube.levels
        with tt.experimental({"finance.irr"}):
            m["IRR"] = tt.finance.irr(cash_flows=m["cash.SUM"], market_value=0, date=h["day"], precision=1e-12)
        result = cube.query(m["IRR"], levels=[l["fund"]], mode="raw")
        got = dict(zip(result["fund"], result["IRR"]))
    for fund, part in df.groupby("fund"):
        t = np.array([(d - part.day.iloc[0]).days for d in part.day], np.float64)
        t /= t[-1]
        flows = part.cash.to_numpy()
        expected = brentq(lambda r, flows=flows, t=t: float((flows * (1 + r) ** -t).sum()), -0.9, 10)
        assert got[fund] == pytest.approx(expected, rel=1e-9)


def test_irr_reproduces_the_rate_of_atotis_documented_example():
    # The inputs and the rate (0.14397) of the example in atoti's irr documentation: dates with a
    # market value and no cash flow take part, and the first one's flow is -MV.
    df = pd.DataFrame({
        "Date": [dt.date(2020, 1, d) for d in range(1, 7)],
        "MarketValue": [1042749.90, 1099720.01, 1131220.24, 1130904.32, 1748358.77, 1791552.54],
        "CashFlow": [None, None, None, None, -582786.257893061, None],
    })
    with tt.Session.start() as session:
        cube = session.create_cube(session.read_pandas(df, table_name="Example", keys=["Date"]))
        m, h = cube.measures, cube.hierarchies
        with tt.experimental({"finance.irr"}):
            m["irr"] = tt.finance.irr(cash_flows=m["CashFlow.SUM"], market_value=m["MarketValue.SUM"], date=h["Date"])
        assert cube.query(m["irr"], mode="raw")["irr"].iloc[0] == pytest.approx(0.14397, abs=5e-6)
