"""tt.agg leaf aggregations (prod, long, short, var, std, single_value, sum_product, median, quantile)
against pandas/numpy on random facts, on leaf cells and on the totals re-aggregated from them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atoti_lab as tt

GROUPS = ["a", "b", "c", "d"]
SUBGROUPS = ["x", "y"]
PRODUCTS = {"p1": 0.5, "p2": -2.0, "p3": 3.0}
VALUES = [None, math.nan, -7.5, -1.0, 0.0, 0.25, 1.0, 2.5, 4.0, 4.0, 13.0]

# numpy's name for the quantile estimators that atoti's (mode, interpolation) pairs give.
NUMPY_METHODS = {
    ("inc", "linear"): "linear",
    ("exc", "linear"): "weibull",
    ("centered", "linear"): "hazen",
    ("simple", "linear"): "interpolated_inverted_cdf",
    ("inc", "lower"): "lower",
    ("inc", "higher"): "higher",
    ("inc", "midpoint"): "midpoint",
}

_session: tt.Session | None = None
_names = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def _one_session():
    global _session
    with tt.Session.start() as s:
        _session = s
        yield
    _session = None


def build_cube(facts: pd.DataFrame):
    """Fresh tables (unique names, one session for every example): facts joined to a product table."""
    assert _session is not None
    n = next(_names)
    sales = _session.create_table(
        f"Facts{n}",
        data_types={"id": "int", "g": "String", "h": "String", "product": "String", "v": "double", "k": "int"},
        keys=["id"],
    )
    products = _session.create_table(f"Items{n}", data_types={"product": "String", "w": "double"}, keys=["product"])
    if len(facts):
        sales.append(*[(i, *row) for i, row in enumerate(facts[["g", "h", "product", "v", "k"]].itertuples(index=False))])
    products.append(*PRODUCTS.items())
    sales.join(products, sales["product"] == products["product"])
    return sales, products, _session.create_cube(sales)


facts_strategy = st.lists(
    st.tuples(st.sampled_from(GROUPS), st.sampled_from(SUBGROUPS), st.sampled_from(list(PRODUCTS)),
              st.sampled_from(VALUES), st.integers(-4, 6)),
    min_size=0, max_size=30,
).map(lambda rows: pd.DataFrame(rows, columns=["g", "h", "product", "v", "k"]))


def _prod(s: pd.Series) -> float:
    return s.prod()


def _long(s: pd.Series) -> float:
    return s[s > 0].sum()


def _short(s: pd.Series) -> float:
    return s[s < 0].sum()


def _single(s: pd.Series) -> float:
    values = s.unique()
    return values[0] if len(values) == 1 else math.nan


def _quantile(q: float, mode: str, interpolation: str):
    return lambda s: np.quantile(s.to_numpy(float), q, method=NUMPY_METHODS[mode, interpolation])


REFERENCES = {
    "prod": _prod, "long": _long, "short": _short, "single_value": _single,
    "var": lambda s: s.var(ddof=1), "std": lambda s: s.std(ddof=1),
    "var_pop": lambda s: s.var(ddof=0), "std_pop": lambda s: s.std(ddof=0),
    "median": lambda s: s.median(), "sum_product": lambda s: s.sum(),
}


def define(sales, products, cube, operand: str) -> dict[str, str]:
    """Measures of every function over `operand` ("v", "k" or "vw": v times the joined w); returns
    measure name -> reference name."""
    m = cube.measures
    col = {"v": sales["v"], "k": sales["k"], "vw": sales["v"] * products["w"]}[operand]
    out = {}
    for func in ("prod", "long", "short", "single_value", "var", "std", "median"):
        m[f"{operand}.{func}"] = getattr(tt.agg, func)(col)
        out[f"{operand}.{func}"] = func
    m[f"{operand}.var_pop"] = tt.agg.var(col, mode="population")
    m[f"{operand}.std_pop"] = tt.agg.std(col, mode="population")
    out[f"{operand}.var_pop"], out[f"{operand}.std_pop"] = "var_pop", "std_pop"
    return out


def expected(facts: pd.DataFrame, values: pd.Series, reference, levels: list[str]) -> dict[tuple, float]:
    """Reference value per location (None for aggregated levels) at the leaf level and every total."""
    data = facts.assign(_x=values)
    out: dict[tuple, float] = {}
    for depth in range(len(levels) + 1):
        kept = levels[:depth]
        groups = data.groupby(kept, sort=False)["_x"] if kept else [((), data["_x"])]
        for key, series in groups:
            key = key if isinstance(key, tuple) else (key,)
            location = tuple(key) + (None,) * (len(levels) - depth)
            present = series.dropna()
            out[location] = reference(present) if len(present) else math.nan
    return out


def got_values(cube, names: list[str], levels: list[str]) -> pd.DataFrame:
    frame = cube.query(*[cube.measures[n] for n in names], levels=[cube.levels[name] for name in levels],
                       include_totals=True, mode="raw")
    frame.index = [tuple(None if pd.isna(v) else v for v in row) for row in frame[levels].itertuples(index=False)]
    return frame


def compare(frame: pd.DataFrame, name: str, want: dict[tuple, float], rtol: float = 1e-9) -> None:
    for location, value in want.items():
        got = frame.loc[[location], name].iloc[0] if location in frame.index else math.nan
        if value is None or (isinstance(value, float) and math.isnan(value)) or not np.isfinite(value):
            assert pd.isna(got), (name, location, got, value)
        else:
            assert not pd.isna(got), (name, location, got, value)
            np.testing.assert_allclose(float(got), float(value), rtol=rtol, atol=1e-9, err_msg=f"{name} {location}")


def operand_values(facts: pd.DataFrame, operand: str) -> pd.Series:
    v = facts["v"].astype(float)
    if operand == "v":
        return v
    if operand == "k":
        return facts["k"].astype(float)
    return v * facts["product"].map(PRODUCTS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=facts_strategy, operand=st.sampled_from(["v", "k", "vw"]), deep=st.booleans())
def test_leaf_aggregations_match_pandas_at_every_level(facts, operand, deep):
    sales, products, cube = build_cube(facts)
    names = define(sales, products, cube, operand)
    levels = ["g", "h"] if deep else ["g"]
    frame = got_values(cube, list(names), levels)
    values = operand_values(facts, operand)
    for name, func in names.items():
        rtol = 1e-7 if func.startswith(("var", "std")) else 1e-9
        compare(frame, name, expected(facts, values, REFERENCES[func], levels), rtol)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=facts_strategy, q=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 0.95, 1.0]),
       method=st.sampled_from(list(NUMPY_METHODS)), operand=st.sampled_from(["v", "k", "vw"]))
def test_quantile_matches_numpy(facts, q, method, operand):
    sales, products, cube = build_cube(facts)
    col = {"v": sales["v"], "k": sales["k"], "vw": sales["v"] * products["w"]}[operand]
    mode, interpolation = method
    cube.measures["q"] = tt.agg.quantile(col, q, mode=mode, interpolation=interpolation)
    levels = ["g", "h"]
    frame = got_values(cube, ["q"], levels)
    compare(frame, "q", expected(facts, operand_values(facts, operand), _quantile(q, mode, interpolation), levels))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=facts_strategy)
def test_sum_product_is_the_sum_of_row_products(facts):
    sales, products, cube = build_cube(facts)
    m = cube.measures
    m["sp"] = tt.agg.sum_product(sales["v"], sales["k"], products["w"])
    m["sp1"] = tt.agg.sum_product(sales["k"])
    frame = got_values(cube, ["sp", "sp1"], ["g"])
    product = facts["v"].astype(float) * facts["k"] * facts["product"].map(PRODUCTS)
    compare(frame, "sp", expected(facts, product, REFERENCES["sum_product"], ["g"]))
    compare(frame, "sp1", expected(facts, facts["k"], REFERENCES["sum_product"], ["g"]))


def test_types_and_filters():
    facts = pd.DataFrame({"g": ["a", "a", "b", "b", "c"], "h": ["x", "y", "x", "x", "y"],
                          "product": ["p1", "p2", "p3", "p1", "p2"], "v": [2.0, 2.0, -3.0, None, 5.0],
                          "k": [1, 2, -3, 4, 5]})
    sales, products, cube = build_cube(facts)
    m, l = cube.measures, cube.levels
    m["kp"] = tt.agg.prod(sales["k"])
    m["kl"] = tt.agg.long(sales["k"])
    m["ks"] = tt.agg.short(sales["k"])
    m["k1"] = tt.agg.single_value(sales["k"])
    m["v1"] = tt.agg.single_value(sales["v"])
    m["km"] = tt.agg.median(sales["k"])
    m["kv"] = tt.agg.var(sales["k"])
    m["ksp"] = tt.agg.sum_product(sales["k"], sales["k"])
    types = {name: m[name].data_type for name in ("kp", "kl", "ks", "k1", "v1", "km", "kv", "ksp")}
    assert types == {"kp": "long", "kl": "long", "ks": "long", "k1": "int", "v1": "double", "km": "double",
                     "kv": "double", "ksp": "long"}
    got = cube.query(m["kp"], m["kl"], m["ks"], m["v1"], m["km"], levels=[l["g"]], include_totals=True, mode="raw")
    assert got["kp"].tolist() == [-120, 2, -12, 5]
    assert got["kl"].tolist() == [12, 3, 4, 5] and got["ks"].tolist() == [-3, 0, -3, 0]
    assert got["v1"].isna().tolist() == [True, False, False, False]  # a's 2.0 twice; b's missing value is ignored
    assert got["km"].tolist() == [2.0, 1.5, 0.5, 5.0]
    # Filters apply before the values are kept.
    got = cube.query(m["km"], m["kp"], levels=[l["g"]], filter=l["h"] == "x", include_totals=True, mode="raw")
    assert got["km"].tolist() == [1.0, 1.0, 0.5] and got["kp"].tolist() == [-12, 1, -12]


def test_empty_table_gives_empty_result():
    sales, products, cube = build_cube(pd.DataFrame(columns=["g", "h", "product", "v", "k"]))
    cube.measures["q"] = tt.agg.quantile(sales["v"], 0.5)
    cube.measures["p"] = tt.agg.prod(sales["v"])
    assert cube.query(cube.measures["q"], cube.measures["p"], levels=[cube.levels["g"]]).empty


def test_bad_input_is_refused_when_defined():
    facts = pd.DataFrame({"g": ["a"], "h": ["x"], "product": ["p1"], "v": [1.0], "k": [1]})
    sales, products, cube = build_cube(facts)
    m = cube.measures
    for q in (-0.1, 1.5, "half", None, True):
        with pytest.raises(ValueError, match="q must be a number between 0 and 1"):
            tt.agg.quantile(sales["v"], q)
    with pytest.raises(ValueError, match="mode"):
        tt.agg.quantile(sales["v"], 0.5, mode="R-7")
    with pytest.raises(ValueError, match="interpolation"):
        tt.agg.quantile(sales["v"], 0.5, interpolation="cubic")
    with pytest.raises(ValueError, match="mode"):
        tt.agg.std(sales["v"], mode="biased")
    with pytest.raises(ValueError, match="mode"):
        tt.agg.var(sales["v"], mode="sampled")
    with pytest.raises(TypeError, match="at least one factor"):
        tt.agg.sum_product()
    # single_value takes strings too (atoti's isnan example): see test_nan_and_division.py.
    for func in ("prod", "long", "short", "median", "var", "std"):
        with pytest.raises(TypeError, match="only numeric columns"):
            m[f"bad.{func}"] = getattr(tt.agg, func)(sales["g"])
        assert f"bad.{func}" not in m
    with pytest.raises(TypeError, match="only numeric columns"):
        m["bad.q"] = tt.agg.quantile(sales["g"], 0.5)
    with pytest.raises(TypeError, match="only numeric columns"):
        m["bad.sp"] = tt.agg.sum_product(sales["v"], sales["g"])
    with pytest.raises(TypeError, match="needs scope"):
        tt.agg.median(m["v.SUM"])


def test_scoped_versions_take_the_same_parameters():
    facts = pd.DataFrame({"g": ["a", "a", "b", "b", "c"], "h": ["x", "y", "x", "y", "x"],
                          "product": ["p1", "p2", "p3", "p1", "p2"], "v": [1.0, 2.0, 3.0, 10.0, 5.0],
                          "k": [1, 2, 3, 4, 5]})
    sales, products, cube = build_cube(facts)
    m, l = cube.measures, cube.levels
    scope = tt.OriginScope({l["g"]})
    m["q"] = tt.agg.quantile(m["v.SUM"], 0.25, mode="exc", interpolation="lower", scope=scope)
    m["sd"] = tt.agg.std(m["v.SUM"], mode="population", scope=scope)
    got = cube.query(m["q"], m["sd"], mode="raw")
    sums = np.array([3.0, 13.0, 5.0])
    assert got["q"].iloc[0] == 3.0  # rank (3+1)*0.25-1 = 0: the lowest
    assert got["sd"].iloc[0] == pytest.approx(np.std(sums))


def test_large_scan_split_over_threads_and_lanes():
    """Enough rows for the scan to run on two threads (partial accumulators merged)."""
    rng = np.random.default_rng(7)
    n = 420_000
    facts = pd.DataFrame({
        "g": rng.choice(GROUPS, n), "h": rng.choice(SUBGROUPS, n), "product": rng.choice(list(PRODUCTS), n),
        "v": np.where(rng.random(n) < 0.1, np.nan, np.exp(rng.normal(0, 1e-3, n))), "k": rng.integers(-50, 50, n),
    })
    assert _session is not None
    name = f"Big{next(_names)}"
    sales = _session.read_pandas(facts.assign(id=np.arange(n)), table_name=name, keys=["id"])
    cube = _session.create_cube(sales)
    m = cube.measures
    m["p"], m["l"], m["s"] = tt.agg.prod(sales["v"]), tt.agg.long(sales["k"]), tt.agg.short(sales["k"])
    m["sd"], m["md"] = tt.agg.std(sales["v"]), tt.agg.median(sales["k"])
    m["q"] = tt.agg.quantile(sales["v"], 0.9)
    frame = got_values(cube, ["p", "l", "s", "sd", "md", "q"], ["g", "h"])
    v, k = facts["v"], facts["k"].astype(float)
    compare(frame, "p", expected(facts, v, _prod, ["g", "h"]), rtol=1e-9)
    compare(frame, "l", expected(facts, k, _long, ["g", "h"]))
    compare(frame, "s", expected(facts, k, _short, ["g", "h"]))
    compare(frame, "sd", expected(facts, v, REFERENCES["std"], ["g", "h"]), rtol=1e-6)
    compare(frame, "md", expected(facts, k, REFERENCES["median"], ["g", "h"]))
    compare(frame, "q", expected(facts, v, _quantile(0.9, "inc", "linear"), ["g", "h"]))
