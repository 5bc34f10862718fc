"""tt.finance.irr: the Newton solver against exact rates and an independent bracketing root finder,
and the public function's checks (the measure itself waits for hierarchy navigation)."""

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
        assert brentq(npv, lo, hi, xtol=1e-12) == pytest.approx(rate[0], abs=1e-7)


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


def test_defining_an_irr_measure_says_what_is_missing_and_adds_nothing(portfolio):
    cube = portfolio
    m, h = cube.measures, cube.hierarchies
    before = list(m)
    with tt.experimental({"finance.irr"}):
        with pytest.raises(NotImplementedError, match="date level under each cell"):
            m["IRR"] = tt.finance.irr(cash_flows=m["cash.SUM"], market_value=m["value.SUM"], date=h["day"])
        with pytest.raises(KeyError, match="nope"):
            m["IRR"] = tt.finance.irr(cash_flows=m["nope"], market_value=m["value.SUM"], date=h["day"])
    assert list(m) == before
