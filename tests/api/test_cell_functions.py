"""tt.math (isnan, n-ary min/max), tt.stats, tt.switch and tt.experimental, checked against
numpy/pandas/math computations of the same cells and against closed forms of the distributions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab._engine.expr.condition import Compare, IsIn, IsNull, LevelRef, Or
from atoti_lab._engine.expr.measure import Lit, Op
from atoti_lab._engine.plan.functions import CELL_FUNCTIONS
from atoti_lab.function import switch_node

ALL_STATS = {f"stats.{d}.{f}" for d in ("normal", "t", "beta", "chi2", "f") for f in ("cdf", "pdf", "ppf")}


@pytest.fixture(params=[0, 1, 2])
def random_cube(request):
    """Random facts in 12 groups; `x` holds negative and positive values, `p` probabilities in (0, 1)."""
    rng = np.random.default_rng(request.param)
    n = 60
    df = pd.DataFrame({
        "id": range(n),
        "g": [f"g{i:02d}" for i in rng.integers(0, 12, n)],
        "x": rng.normal(0, 3, n).round(3),
        "y": rng.normal(1, 2, n).round(3),
        "k": rng.integers(-5, 6, n),
        "p": rng.uniform(0.01, 0.99, n),
        "pos": rng.uniform(0.05, 3.0, n),
    })
    with tt.Session.start() as session:
        table = session.read_pandas(df, table_name="Facts", keys=["id"])
        cube = session.create_cube(table)
        yield cube, df


def query(cube, *names):
    m, l = cube.measures, cube.levels
    return cube.query(*(m[n] for n in names), levels=[l["g"]], mode="raw").set_index("g")


# --- tt.math ---------------------------------------------------------------------------------------


def test_min_and_max_take_any_number_of_measures(random_cube):
    cube, df = random_cube
    m = cube.measures
    m["lo"] = tt.math.min(m["x.SUM"], m["y.SUM"], m["k.SUM"], 0.5)
    m["hi"] = tt.math.max(m["x.SUM"], m["y.SUM"], m["k.SUM"])
    m["ints"] = tt.math.max(m["k.SUM"], 1)
    m["one"] = tt.math.min(m["x.SUM"])
    got = query(cube, "lo", "hi", "ints", "one")
    e = df.groupby("g")[["x", "y", "k"]].sum()
    np.testing.assert_allclose(got["lo"], np.minimum.reduce([e["x"], e["y"], e["k"], np.full(len(e), 0.5)]))
    np.testing.assert_allclose(got["hi"], np.maximum.reduce([e["x"], e["y"], e["k"]]))
    assert got["ints"].tolist() == np.maximum(e["k"], 1).tolist()
    np.testing.assert_allclose(got["one"], e["x"])
    assert (m["lo"].data_type, m["hi"].data_type, m["ints"].data_type) == ("double", "double", "long")
    with pytest.raises(TypeError, match="at least one"):
        tt.math.max()


def test_min_max_are_empty_where_an_operand_is(random_cube):
    cube, df = random_cube
    m = cube.measures
    m["pos only"] = tt.where(m["x.SUM"] > 0, m["x.SUM"])
    m["hi"] = tt.math.max(m["pos only"], m["y.SUM"], 0)
    got = query(cube, "hi", "y.SUM")
    e = df.groupby("g")[["x", "y"]].sum()
    expected = np.where(e["x"] > 0, np.maximum.reduce([e["x"], e["y"], np.zeros(len(e))]), np.nan)
    np.testing.assert_allclose(got["hi"].to_numpy(float), expected, equal_nan=True)


def test_isnan_is_a_boolean_measure(random_cube):
    cube, df = random_cube
    m = cube.measures
    m["pos only"] = tt.where(m["x.SUM"] > 0, m["x.SUM"])
    m["nan?"] = tt.math.isnan(m["pos only"])
    assert m["nan?"].data_type == "boolean" and m["nan?"].formatter is None
    got = query(cube, "nan?", "y.SUM")["nan?"]
    e = df.groupby("g")["x"].sum()
    assert got[e > 0].tolist() == [False] * int((e > 0).sum())
    assert got[e <= 0].isna().all()  # an empty operand gives an empty cell


def test_isnan_cell_function_on_nan_values():
    class Cells:
        def __init__(self, values, present):
            self.values, self.present = np.array(values), np.array(present)

    values, present = CELL_FUNCTIONS["isnan"]([Cells([1.0, np.nan, np.nan, 2.0], [True, True, False, True])])
    assert values[present].tolist() == [False, True, False] and present.tolist() == [True, True, False, True]


def test_math_functions_give_empty_cells_outside_their_domain(random_cube):
    cube, df = random_cube
    m = cube.measures
    m["sqrt"] = tt.math.sqrt(m["x.SUM"])
    m["log"] = tt.math.log(m["x.SUM"])
    m["log10"] = tt.math.log10(m["x.SUM"])
    got = query(cube, "sqrt", "log", "log10", "x.SUM")
    x = df.groupby("g")["x"].sum().to_numpy()
    with np.errstate(all="ignore"):
        for name, f, ok in (("sqrt", np.sqrt, x >= 0), ("log", np.log, x > 0), ("log10", np.log10, x > 0)):
            np.testing.assert_allclose(got[name].to_numpy(float), np.where(ok, f(x), np.nan), equal_nan=True)


# --- tt.stats --------------------------------------------------------------------------------------
# Each distribution is checked against closed forms of special cases (independent of scipy):
# Student with 1 and 2 degrees of freedom, chi-square with 2, beta(a, 1), F(2, 2), and erf for the normal.


def _normal_cdf(x, mu, sd):
    return 0.5 * (1 + math.erf((x - mu) / (sd * math.sqrt(2))))


CLOSED_FORMS = {
    # (distribution, parameters as measure names or constants) -> cdf, pdf, ppf of (x, params)
    "t1": (("t", {"degrees_of_freedom": 1}),
           lambda x: 0.5 + math.atan(x) / math.pi, lambda x: 1 / (math.pi * (1 + x * x)),
           lambda p: math.tan(math.pi * (p - 0.5))),
    "t2": (("t", {"degrees_of_freedom": 2}),
           lambda x: 0.5 + x / (2 * math.sqrt(2 + x * x)), lambda x: (2 + x * x) ** -1.5,
           lambda p: (2 * p - 1) / math.sqrt(2 * p * (1 - p))),
    "chi2": (("chi2", {"degrees_of_freedom": 2}),
             lambda x: 1 - math.exp(-x / 2), lambda x: math.exp(-x / 2) / 2, lambda p: -2 * math.log(1 - p)),
    "beta": (("beta", {"alpha": 2.5, "beta": 1}),
             lambda x: x**2.5, lambda x: 2.5 * x**1.5, lambda p: p ** (1 / 2.5)),
    "f": (("f", {"numerator_degrees_of_freedom": 2, "denominator_degrees_of_freedom": 2}),
          lambda x: x / (1 + x), lambda x: 1 / (1 + x) ** 2, lambda p: p / (1 - p)),
    "normal": (("normal", {"mean": 1.5, "standard_deviation": 2.0}),
               lambda x: _normal_cdf(x, 1.5, 2.0),
               lambda x: math.exp(-(((x - 1.5) / 2.0) ** 2) / 2) / (2.0 * math.sqrt(2 * math.pi)), None),
}


@pytest.mark.parametrize("case", sorted(CLOSED_FORMS))
def test_distributions_match_closed_forms(random_cube, case):
    cube, df = random_cube
    m = cube.measures
    (dist, params), cdf, pdf, ppf = CLOSED_FORMS[case]
    module = getattr(tt.stats, dist)
    # beta, chi2 and F live on [0, inf) or [0, 1]: evaluate them on positive points.
    point = "p.MEAN" if dist == "beta" else ("pos.MEAN" if dist in ("chi2", "f") else "x.SUM")
    with tt.experimental(ALL_STATS):
        m["cdf"] = module.cdf(m[point], **params)
        m["pdf"] = module.pdf(m[point], **params)
        m["ppf"] = module.ppf(m["p.MEAN"], **params)
    got = query(cube, "cdf", "pdf", "ppf")
    g = df.groupby("g")
    points = {"p.MEAN": g["p"].mean(), "pos.MEAN": g["pos"].mean(), "x.SUM": g["x"].sum()}[point]
    np.testing.assert_allclose(got["cdf"], [cdf(v) for v in points], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got["pdf"], [pdf(v) for v in points], rtol=1e-9, atol=1e-12)
    probabilities = g["p"].mean()
    if ppf is not None:
        np.testing.assert_allclose(got["ppf"], [ppf(q) for q in probabilities], rtol=1e-8)
    else:  # the normal quantile: the cdf (through erf) of the quantile gives the probability back
        np.testing.assert_allclose([cdf(v) for v in got["ppf"]], probabilities, rtol=1e-9)
    assert m["cdf"].data_type == "double"


def test_normal_pdf_defaults_to_the_standard_normal(random_cube):
    cube, df = random_cube
    m = cube.measures
    with tt.experimental({"stats.normal.pdf"}):
        m["phi"] = tt.stats.normal.pdf(m["x.SUM"])
    x = df.groupby("g")["x"].sum()
    np.testing.assert_allclose(query(cube, "phi")["phi"], np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi))


def test_parameters_can_be_measures_and_bad_ones_give_empty_cells(random_cube):
    cube, df = random_cube
    m = cube.measures
    # Standard deviation k.SUM: not positive in some groups, which are then empty.
    with tt.experimental({"stats.normal.cdf", "stats.t.cdf"}):
        m["cdf"] = tt.stats.normal.cdf(m["x.SUM"], mean=m["y.SUM"], standard_deviation=m["k.SUM"])
        # 1 or 2 degrees of freedom depending on the cell: Cauchy's law or Student(2), both closed forms.
        m["t"] = tt.stats.t.cdf(m["x.SUM"], degrees_of_freedom=tt.where(m["k.SUM"] > 0, 1, 2))
    got = query(cube, "cdf", "t", "x.SUM")
    g = df.groupby("g")
    x, y, k = g["x"].sum(), g["y"].sum(), g["k"].sum()
    expected = [_normal_cdf(a, b, c) if c > 0 else np.nan for a, b, c in zip(x, y, k)]
    np.testing.assert_allclose(got["cdf"].to_numpy(float), expected, equal_nan=True, rtol=1e-9)
    t1, t2 = CLOSED_FORMS["t1"][1], CLOSED_FORMS["t2"][1]
    np.testing.assert_allclose(got["t"], [t1(a) if c > 0 else t2(a) for a, c in zip(x, k)], rtol=1e-9)
    with pytest.raises(ValueError, match="standard_deviation"):
        tt.experimental.stats.normal.cdf(m["x.SUM"], mean=0, standard_deviation=0)
    with pytest.raises(ValueError, match="degrees_of_freedom"):
        tt.experimental.stats.t.ppf(m["p.MEAN"], degrees_of_freedom=-1)


def test_probabilities_outside_0_1_give_empty_quantiles(random_cube):
    cube, df = random_cube
    m = cube.measures
    with tt.experimental({"stats.t.ppf"}):
        m["q"] = tt.stats.t.ppf(m["x.SUM"], degrees_of_freedom=3)
    got = query(cube, "q", "x.SUM")
    x = df.groupby("g")["x"].sum()
    inside = ((x >= 0) & (x <= 1)).to_numpy()
    assert got["q"].isna().to_numpy()[~inside].all()


def test_confidence_interval_of_a_mean():
    """A 95% confidence interval of each group's mean, from the Student quantile: groups of three
    values have 2 degrees of freedom, whose quantile has a closed form."""
    rng = np.random.default_rng(7)
    values = rng.normal(50, 10, 15).round(2)
    df = pd.DataFrame({"id": range(15), "lab": np.repeat(["L1", "L2", "L3", "L4", "L5"], 3), "v": values})
    with tt.Session.start() as session:
        table = session.read_pandas(df, table_name="Samples", keys=["id"])
        cube = session.create_cube(table)
        m, l = cube.measures, cube.levels
        n = m["contributors.COUNT"]
        m["var"] = (tt.agg.square_sum(table["v"]) - m["v.SUM"] * m["v.SUM"] / n) / (n - 1)
        with tt.experimental({"stats.t.ppf"}):
            m["t"] = tt.stats.t.ppf(0.975, degrees_of_freedom=n - 1)
        m["half width"] = m["t"] * tt.math.sqrt(m["var"] / n)
        m["low"] = m["v.MEAN"] - m["half width"]
        m["high"] = m["v.MEAN"] + m["half width"]
        got = cube.query(m["low"], m["high"], levels=[l["lab"]], mode="raw").set_index("lab")
    g = df.groupby("lab")["v"]
    t2 = (2 * 0.975 - 1) / math.sqrt(2 * 0.975 * 0.025)  # the 0.975 quantile of Student(2)
    half = t2 * g.std(ddof=1) / np.sqrt(3)
    np.testing.assert_allclose(got["low"], g.mean() - half, rtol=1e-9)
    np.testing.assert_allclose(got["high"], g.mean() + half, rtol=1e-9)


# --- tt.experimental -------------------------------------------------------------------------------


def test_experimental_functions_need_their_key(random_cube):
    cube, _ = random_cube
    m = cube.measures
    with pytest.raises(RuntimeError, match=r"tt.experimental\(\{'stats.t.cdf'\}\)"):
        tt.stats.t.cdf(m["x.SUM"], degrees_of_freedom=3)
    with tt.experimental({"stats.t.pdf"}):
        with pytest.raises(RuntimeError, match="stats.t.cdf"):
            tt.stats.t.cdf(m["x.SUM"], degrees_of_freedom=3)
        with tt.experimental({"stats.t.cdf"}):  # nested contexts add up
            tt.stats.t.cdf(m["x.SUM"], degrees_of_freedom=3)
            tt.stats.t.pdf(m["x.SUM"], degrees_of_freedom=3)
    with pytest.raises(RuntimeError):
        tt.stats.t.pdf(m["x.SUM"], degrees_of_freedom=3)
    with tt.experimental(lambda keys: {k for k in keys if k.startswith("stats.beta")}):
        tt.stats.beta.cdf(m["p.MEAN"], alpha=1, beta=2)
    with pytest.raises(ValueError, match="stats.nope"):
        tt.experimental({"stats.nope"})
    # The older path of atoti <= 0.9.4 needs no context.
    m["old"] = tt.experimental.stats.chi2.cdf(m["pos.MEAN"], degrees_of_freedom=2)
    assert "old" in m


# --- tt.switch -------------------------------------------------------------------------------------


def test_switch_on_a_measure_matches_numpy_select(random_cube):
    cube, df = random_cube
    m = cube.measures
    m["band"] = tt.switch(m["k.SUM"], {0: 100.0, frozenset({1, 2, 3}): m["x.SUM"], -1: 7}, default=m["y.SUM"])
    m["no default"] = tt.switch(m["k.SUM"], {0: 1, 5: 2})
    got = query(cube, "band", "no default", "k.SUM")
    e = df.groupby("g")[["k", "x", "y"]].sum()
    k = e["k"]
    np.testing.assert_allclose(got["band"], np.select([k == 0, k.isin([1, 2, 3]), k == -1], [100.0, e["x"], 7], e["y"]))
    nd = got["no default"]
    assert nd[k.isin([0, 5])].tolist() == np.select([k == 0, k == 5], [1, 2])[k.isin([0, 5])].tolist()
    assert nd[~k.isin([0, 5])].isna().all()
    assert m["band"].data_type == "double" and m["no default"].data_type == "long"


def test_switch_takes_the_first_matching_case_and_matches_empty_cells_with_none(random_cube):
    cube, df = random_cube
    m = cube.measures
    m["pos k"] = tt.where(m["k.SUM"] > 0, m["k.SUM"])
    m["s"] = tt.switch(m["pos k"], {None: -1, frozenset({1, 2}): 1, 2: 2}, default=0)
    got = query(cube, "s", "k.SUM")["s"]
    k = df.groupby("g")["k"].sum()
    assert got.tolist() == np.select([k <= 0, k.isin([1, 2])], [-1, 1], 0).tolist()


def test_switch_ir_and_errors(random_cube):
    cube, _ = random_cube
    m, l = cube.measures, cube.levels
    city = LevelRef("Facts", "g", "g")
    node = switch_node(city, {frozenset({"g01", "g02"}): 1, None: 2, "g03": 3}, default=0)
    assert node.op == "where" and isinstance(node.args[0], IsIn) and set(node.args[0].values) == {"g01", "g02"}
    assert node.args[1] == Lit(1)
    assert node.args[2].args[0] == IsNull(city) and node.args[2].args[2].args[0] == Compare(city, "==", "g03")
    mixed = switch_node(city, {frozenset({"g04", None}): 1})
    assert mixed.args[0] == Or((Compare(city, "==", "g04"), IsNull(city))) and mixed.args[2] == Lit(None)
    assert isinstance(node, Op)
    m["on level"] = tt.switch(l["g"], {frozenset({"g01", "g02"}): 1}, default=0)
    by_g = cube.query(m["on level"], levels=[l["g"]], mode="raw").set_index("g")["on level"]
    assert {g: v for g, v in by_g.items()} == {g: int(g in ("g01", "g02")) for g in by_g.index}
    with pytest.raises(TypeError, match="strings or booleans"):
        tt.switch(m["k.SUM"], {1: "one"})
    with pytest.raises(TypeError, match="case keys"):
        tt.switch(m["k.SUM"], {"one": 1})
    with pytest.raises(TypeError, match="mapping"):
        tt.switch(m["k.SUM"], {})
    with pytest.raises(TypeError, match="tt.where"):
        tt.switch(m["k.SUM"] > 1, {1: 1})
    with pytest.raises(TypeError, match="column"):
        tt.switch(cube._session.tables["Facts"]["k"], {1: 1})
    before = list(m)
    with pytest.raises(KeyError, match="nope"):
        m["bad"] = tt.switch(m["k.SUM"], {1: m["nope"]})
    assert list(m) == before
