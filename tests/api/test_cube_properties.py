"""Property tests: ``cube.query`` against an independent pandas computation of the same question.

Random facts (two string columns with small alphabets, one value missing from the joined product
table, an int column, a float column with None and NaN, a date column) joined to a random keyed
product table; random levels (single-level hierarchies, a joined level, levels of a date hierarchy,
a second hierarchy over the same columns), random filters (==, !=, <, <=, >, >=, isin, ~, and `&` /
`|` across levels), random member orders and measures, with and without totals and empty rows;
also after appends, drops and upserts, and on a table large enough for a parallel scan.

The expected frame is computed with pandas only (merge, boolean masks, groupby): rows in the
members' order with each total before the rows it sums, rows whose queried measures are all empty
left out, and compared cell by cell (np.isclose, empty = NaN), in "pretty" and "raw" modes.

The table schemas, the measures and the measure bundles are fixed, and every table holds the same
anchor row, so that the engine compiles few kernels (one per query shape, ~1-2 s each the first
time, then cached on disk); the data, levels, filters and orders are what vary.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atoti_lab as tt

PRODUCTS = ["p1", "p2", "p3", "p4"]  # p4 is never in the product table
CITIES = ["Lyon", "Nice", "Paris"]
DATES = [
    dt.date(2023, 1, 31), dt.date(2023, 2, 1), dt.date(2023, 5, 17), dt.date(2023, 11, 30),
    dt.date(2024, 2, 29), dt.date(2024, 4, 1), dt.date(2024, 7, 14), dt.date(2024, 12, 31),
]
PRICES = [None, math.nan, -4.5, 0.0, 0.5, 1.25, 2.0, 3.75, 10.0, 19.99]

FACT_COLUMNS = ["product", "city", "qty", "price", "sold_on"]

# Level -> (hierarchy, the levels of that hierarchy top-down).
CALENDAR = ("Year", "Quarter", "Month")
LINEUP = ("Family", "Item")  # a second hierarchy over the same columns as "cat" and "product"
HIERARCHY = {
    "city": ("city",), "product": ("product",), "cat": ("cat",), "sold_on": ("sold_on",),
    "Year": CALENDAR, "Quarter": CALENDAR, "Month": CALENDAR, "Family": LINEUP, "Item": LINEUP,
}
LEVEL_NAMES = list(HIERARCHY)

# Values a filter may compare each level with (some match no fact).
FILTER_VALUES: dict[str, list[Any]] = {
    "city": [*CITIES, "Rome"],
    "product": [*PRODUCTS, "p9"],
    "cat": ["A", "B", "C", "N/A"],
    "sold_on": [*DATES, dt.date(2023, 6, 1)],
    "Year": [2022, 2023, 2024],
    "Quarter": ["Q1", "Q2", "Q3", "Q4"],
    "Month": list(range(1, 13)),
    "Family": ["A", "B", "C", "N/A"],
    "Item": [*PRODUCTS, "p9"],
}

# Measure bundles: fixed lists, so each bundle is a fixed set of kernels.
BUNDLES = [
    ("qty.SUM", "price.MEAN", "contributors.COUNT"),
    ("price.MEAN", "revenue"),  # both can be empty on a row that has facts
    ("qty.SUM", "price.SUM", "price.MEAN", "price.MIN", "price.MAX", "contributors.COUNT", "cities", "cats",
     "ratio", "revenue", "weighted", "score", "steps", "rest"),
]
INTEGER_MEASURES = {"qty.SUM", "contributors.COUNT", "cities", "cats", "steps", "rest"}


# -- the atoti side ---------------------------------------------------------------------------------
_session: tt.Session | None = None  # one session for all the examples of this module


@pytest.fixture(scope="module", autouse=True)
def _one_session():
    global _session
    with tt.Session.start() as s:
        _session = s
        yield
    _session = None


_names = itertools.count(1)


def build_cube(facts: list[tuple] | pd.DataFrame, products: list[tuple]):
    """Fresh tables and a cube, with unique names: one session serves all the examples."""
    session = _session
    assert session is not None
    n = next(_names)
    sales = session.create_table(
        f"Sales{n}",
        data_types={"id": "int", "product": "String", "city": "String", "qty": "int", "price": "double",
                    "sold_on": "LocalDate"},
        keys=["id"],
    )
    catalog = session.create_table(
        f"Products{n}", data_types={"product": "String", "cat": "String", "weight": "double"}, keys=["product"],
    )
    if isinstance(facts, pd.DataFrame):
        sales.load(facts.assign(id=np.arange(len(facts)))[["id", *FACT_COLUMNS]])
    elif facts:
        sales.append(*[(i, *row) for i, row in enumerate(facts)])
    if products:
        catalog.append(*products)
    sales.join(catalog, sales["product"] == catalog["product"])
    cube = session.create_cube(sales)
    cube.create_date_hierarchy("Calendar", column=sales["sold_on"], levels={"Year": "y", "Quarter": "QQQ", "Month": "M"})
    m = cube.measures
    m["price.MIN"] = tt.agg.min(sales["price"])
    m["price.MAX"] = tt.agg.max(sales["price"])
    m["cities"] = tt.agg.count_distinct(sales["city"])
    m["cats"] = tt.agg.count_distinct(catalog["cat"])
    m["ratio"] = m["price.SUM"] / m["qty.SUM"]
    m["revenue"] = tt.agg.sum(sales["qty"] * sales["price"])
    m["weighted"] = tt.agg.sum(sales["qty"] * catalog["weight"])
    m["score"] = (m["price.SUM"] - m["qty.SUM"]) * 2 / m["contributors.COUNT"]
    m["steps"] = m["qty.SUM"] // 3
    m["rest"] = m["qty.SUM"] % 3
    cube.hierarchies["Lineup"] = {"Family": catalog["cat"], "Item": sales["product"]}
    return sales, cube


def level(cube, name: str):
    if name in CALENDAR:
        return cube.levels["Calendar", name]
    if name in LINEUP:
        return cube.levels["Lineup", name]
    return cube.levels[name, name]


@dataclass(frozen=True)
class Cond:
    """One condition on one level: op in ==, !=, <, <=, >, >=, isin, not-isin, not-==."""

    op: str
    level: str
    value: Any

    def to_atoti(self, cube):
        lvl = level(cube, self.level)
        if self.op == "==":
            return lvl == self.value
        if self.op == "!=":
            return lvl != self.value
        if self.op == "<":
            return lvl < self.value
        if self.op == "<=":
            return lvl <= self.value
        if self.op == ">":
            return lvl > self.value
        if self.op == ">=":
            return lvl >= self.value
        if self.op == "isin":
            return lvl.isin(*self.value)
        if self.op == "not-isin":
            return ~lvl.isin(*self.value)
        if self.op == "not-==":
            return ~(lvl == self.value)
        raise AssertionError(self.op)

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        col = frame[self.level]
        if self.op in ("==", "!=", "not-=="):
            equal = col == self.value
            return equal if self.op == "==" else ~equal
        if self.op == "<":
            return col < self.value
        if self.op == "<=":
            return col <= self.value
        if self.op == ">":
            return col > self.value
        if self.op == ">=":
            return col >= self.value
        if self.op in ("isin", "not-isin"):
            inside = col.isin(list(self.value))
            return inside if self.op == "isin" else ~inside
        raise AssertionError(self.op)


@dataclass(frozen=True)
class Combo:
    """Conditions combined: "&" and "|" of two, "~" of one (possibly on different levels)."""

    op: str
    parts: tuple

    def to_atoti(self, cube):
        if self.op == "~":
            return ~self.parts[0].to_atoti(cube)
        a, b = (p.to_atoti(cube) for p in self.parts)
        return a & b if self.op == "&" else a | b

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        if self.op == "~":
            return ~self.parts[0].mask(frame)
        a, b = (p.mask(frame) for p in self.parts)
        return a & b if self.op == "&" else a | b


def atoti_filter(cube, conditions: list[Cond | Combo]):
    if not conditions:
        return None
    out = conditions[0].to_atoti(cube)
    for c in conditions[1:]:
        out = out & c.to_atoti(cube)
    return out


# -- the pandas side --------------------------------------------------------------------------------
def facts_frame(facts: list[tuple] | pd.DataFrame, products: list[tuple]) -> pd.DataFrame:
    sales = facts.copy() if isinstance(facts, pd.DataFrame) else pd.DataFrame(facts, columns=FACT_COLUMNS)
    sales["price"] = pd.to_numeric(sales["price"], errors="coerce").astype(float)
    sales["qty"] = sales["qty"].astype("int64")
    catalog = pd.DataFrame(products, columns=["product", "cat", "weight"])
    catalog["weight"] = pd.to_numeric(catalog["weight"], errors="coerce").astype(float)
    merged = sales.merge(catalog, on="product", how="left")
    merged["cat"] = merged["cat"].fillna("N/A").astype(object)  # a fact without product shows the default
    merged["sold_on"] = merged["sold_on"].astype(object)
    days = set(merged["sold_on"])
    merged["Year"] = merged["sold_on"].map({d: d.year for d in days}).astype("int64")
    merged["Quarter"] = merged["sold_on"].map({d: f"Q{(d.month - 1) // 3 + 1}" for d in days}).astype(object)
    merged["Month"] = merged["sold_on"].map({d: d.month for d in days}).astype("int64")
    merged["Family"] = merged["cat"]
    merged["Item"] = merged["product"]
    return merged


def grouping_levels(levels: list[str]) -> list[str]:
    """Each queried level brings the levels above it; hierarchies in order of first appearance."""
    order: list[tuple[str, ...]] = []
    depth: dict[tuple[str, ...], int] = {}
    for name in levels:
        h = HIERARCHY[name]
        if h not in depth:
            order.append(h)
        depth[h] = max(depth.get(h, -1), h.index(name))
    return [lvl for h in order for lvl in h[: depth[h] + 1]]


def measure_values(g: pd.DataFrame) -> dict[str, float]:
    if len(g) == 0:
        return dict.fromkeys(BUNDLES[-1], math.nan)
    price_sum = g["price"].sum(min_count=1)
    qty_sum = float(g["qty"].sum())
    return {
        "qty.SUM": qty_sum,
        "price.SUM": price_sum,
        "price.MEAN": g["price"].mean(),
        "price.MIN": g["price"].min(),
        "price.MAX": g["price"].max(),
        "contributors.COUNT": float(len(g)),
        "cities": float(g["city"].nunique()),
        "cats": float(g["cat"].nunique()),
        "ratio": price_sum / qty_sum if qty_sum != 0 and not math.isnan(price_sum) else math.nan,
        "revenue": (g["qty"] * g["price"]).sum(min_count=1),
        "weighted": (g["qty"] * g["weight"]).sum(min_count=1),
        "score": (price_sum - qty_sum) * 2 / len(g),
        "steps": float(qty_sum // 3),
        "rest": float(qty_sum % 3),
    }


TOTAL = object()  # a total position in a row key


def member_ranks(frame: pd.DataFrame, name: str, order: Any) -> dict[Any, int]:
    """Position of each member of a level: natural order, reversed, or some members first."""
    members = sorted(set(frame[name]))
    if order == "desc":
        members.reverse()
    elif order is not None:
        first = [v for v in order if v in members]
        members = first + [v for v in members if v not in first]
    return {v: i for i, v in enumerate(members)}


def expected_rows(frame: pd.DataFrame, levels: list[str], conditions: list[Cond | Combo], measures: tuple[str, ...],
                  *, totals: bool, empty_rows: bool, orders: dict[str, Any] | None = None,
                  ) -> list[tuple[tuple, dict[str, float]]]:
    """(row key, values) in the order the query must return them; TOTAL marks total positions."""
    mask = pd.Series(True, index=frame.index)
    for c in conditions:
        mask &= c.mask(frame)
    facts = frame[mask]
    group = grouping_levels(levels)
    n = len(group)
    # The facts of every row: leaf groups, and with totals the groups of each prefix of the levels.
    cells: dict[tuple, pd.DataFrame] = {}
    for p in range(n + 1) if totals or n == 0 else [n]:
        if p == 0:
            cells[(TOTAL,) * n] = facts
            continue
        for key, g in facts.groupby(group[:p], sort=False):
            key = key if isinstance(key, tuple) else (key,)
            cells[tuple(key) + (TOTAL,) * (n - p)] = g
    keys = set(cells)
    if n == 0 and not len(facts):
        keys = set()
    if empty_rows and n:
        # Every combination of the member paths each hierarchy has (whatever the filter).
        combos: set[tuple] = {()}
        i = 0
        while i < n:
            h = HIERARCHY[group[i]]
            names = [lvl for lvl in group[i:] if HIERARCHY[lvl] == h]
            paths = set(map(tuple, frame[names].itertuples(index=False)))
            combos = {k + p for k in combos for p in paths}
            i += len(names)
        keys = set(combos)
        if totals:
            keys |= {k[:p] + (TOTAL,) * (n - p) for k in combos for p in range(n)}
    rows = []
    empty = frame.iloc[:0]
    for key in keys:
        values = measure_values(cells.get(key, empty))
        values = {m: values[m] for m in measures}
        if not empty_rows and all(math.isnan(v) for v in values.values()):
            continue  # every queried measure is empty: no row
        rows.append((key, values))
    ranks = [member_ranks(frame, name, (orders or {}).get(name)) for name in group]
    rows.sort(key=lambda kv: tuple((0, 0) if v is TOTAL else (1, r[v]) for v, r in zip(kv[0], ranks)))
    return rows


def pretty_key(key: tuple) -> tuple:
    """The index tuple of a row in "pretty" mode: "Total" on the grand total, blanks below subtotals."""
    if key and all(v is TOTAL for v in key):
        return ("Total", *[""] * (len(key) - 1))
    return tuple("" if v is TOTAL else v for v in key)


def actual_keys(df: pd.DataFrame, n_levels: int) -> list[tuple]:
    if n_levels == 0:
        return [()] * len(df)
    if n_levels == 1:
        return [(v,) for v in df.index]
    return [tuple(v) for v in df.index]


def as_float(series: pd.Series) -> np.ndarray:
    return np.array([math.nan if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))) else float(v)
                     for v in series], dtype=float)


def check(cube, frame, levels, conditions, measures, *, totals: bool, empty_rows: bool,
          orders: dict[str, Any] | None = None) -> None:
    group = grouping_levels(levels)
    for name, order in (orders or {}).items():
        level(cube, name).order = (tt.NaturalOrder(ascending=False) if order == "desc"
                                   else tt.CustomOrder(first_elements=list(order)))
    expected = expected_rows(frame, levels, conditions, measures, totals=totals, empty_rows=empty_rows, orders=orders)
    kwargs = {"levels": [level(cube, name) for name in levels], "filter": atoti_filter(cube, conditions),
              "include_totals": totals, "include_empty_rows": empty_rows}
    ms = [cube.measures[name] for name in measures]
    pretty = cube.query(*ms, **kwargs)
    raw = cube.query(*ms, **kwargs, mode="raw")
    repr(pretty)  # printing works on every result

    if not group and not expected:
        assert len(pretty) == 0 and len(raw) == 0  # atoti: an empty frame (its columns may be [])
        return
    # Rows: same keys, same order (members' natural order, totals before their children).
    assert actual_keys(pretty, len(group)) == [pretty_key(k) for k, _ in expected]
    assert list(pretty.index.names if group else []) == (group if group else [])
    assert list(pretty.columns) == list(measures)
    assert list(raw.columns) == [*group, *measures]
    raw_keys = [tuple(None if v is TOTAL else v for v in k) for k, _ in expected]
    got_raw_keys = [tuple(None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in row)
                    for row in raw[group].itertuples(index=False)] if group else [()] * len(raw)
    assert got_raw_keys == raw_keys

    # Cells: the same values, empty where pandas has nothing.
    for name in measures:
        want = np.array([v[name] for _, v in expected], dtype=float)
        for got in (as_float(pretty[name]), as_float(raw[name])):
            assert got.shape == want.shape
            ok = np.isclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)
            assert ok.all(), f"{name}: rows {np.flatnonzero(~ok).tolist()} got {got[~ok]} want {want[~ok]}"
        if name in INTEGER_MEASURES:
            present = ~np.isnan(want)
            assert (as_float(pretty[name])[present] == want[present]).all()


# -- strategies ---------------------------------------------------------------------------------------
# Every generated table starts with this fact: a missing price and a product the product table
# lacks. It pins which columns hold missing values, and so the kernel shapes (each compiles once).
ANCHOR = ("p4", "Nice", 1, None, dt.date(2023, 1, 31))
facts_st = st.lists(
    st.tuples(st.sampled_from(PRODUCTS), st.sampled_from(CITIES), st.integers(1, 9), st.sampled_from(PRICES),
              st.sampled_from(DATES)),
    max_size=25,
).map(lambda rows: [ANCHOR, *rows])


@st.composite
def products_st(draw):
    present = draw(st.lists(st.sampled_from(["p1", "p2", "p3", "p5"]), unique=True))
    return [(p, draw(st.sampled_from(["A", "B", "C"])), draw(st.sampled_from([None, 0.5, 1.0, 2.5]))) for p in present]


@st.composite
def condition_st(draw):
    name = draw(st.sampled_from(LEVEL_NAMES))
    values = FILTER_VALUES[name]
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "isin", "not-isin", "not-=="]))
    if op in ("isin", "not-isin"):
        return Cond(op, name, tuple(draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))))
    return Cond(op, name, draw(st.sampled_from(values)))


@st.composite
def orders_st(draw):
    """Member orders for a few levels: reversed, or some members first (others keep the natural order)."""
    names = draw(st.lists(st.sampled_from(LEVEL_NAMES), max_size=2, unique=True))
    return {name: draw(st.one_of(st.just("desc"), st.lists(st.sampled_from(FILTER_VALUES[name]), min_size=1,
                                                            max_size=3, unique=True).map(tuple)))
            for name in names}


# Mostly plain conditions; sometimes "|", "&" and "~" over conditions on different levels.
filter_st = st.recursive(
    condition_st(),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda ab: Combo("|", ab)),
        st.tuples(inner, inner).map(lambda ab: Combo("&", ab)),
        inner.map(lambda a: Combo("~", (a,))),
    ),
    max_leaves=3,
)
levels_st = st.lists(st.sampled_from(LEVEL_NAMES), max_size=3, unique=True)
PROPERTY_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(
    facts=facts_st,
    products=products_st(),
    levels=levels_st,
    conditions=st.lists(filter_st, max_size=2),
    measures=st.sampled_from(BUNDLES),
    totals=st.booleans(),
    orders=orders_st(),
)
def test_query_matches_pandas(facts, products, levels, conditions, measures, totals, orders):
    _, cube = build_cube(facts, products)
    check(cube, facts_frame(facts, products), levels, conditions, measures, totals=totals, empty_rows=False,
          orders=orders)


@PROPERTY_SETTINGS
@given(
    facts=facts_st,
    products=products_st(),
    levels=st.lists(st.sampled_from(LEVEL_NAMES), min_size=1, max_size=3, unique=True),
    measures=st.sampled_from(BUNDLES),
    totals=st.booleans(),
)
def test_include_empty_rows_matches_pandas(facts, products, levels, measures, totals):
    # Every combination of the queried hierarchies' member paths, measures empty where no fact is.
    _, cube = build_cube(facts, products)
    check(cube, facts_frame(facts, products), levels, [], measures, totals=totals, empty_rows=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=facts_st, products=products_st(), levels=levels_st, data=st.data())
def test_the_same_query_after_appending_rows_sees_them(facts, products, levels, data):
    """A cached result is never served after a change: query, append rows, query again."""
    split = data.draw(st.integers(1, len(facts) - 1)) if len(facts) > 1 else 1
    first, second = facts[:split], facts[split:]
    sales, cube = build_cube(first, products)
    measures = BUNDLES[0]
    check(cube, facts_frame(first, products), levels, [], measures, totals=True, empty_rows=False)
    if second:
        sales.append(*[(split + i, *row) for i, row in enumerate(second)])
    check(cube, facts_frame(facts, products), levels, [], measures, totals=True, empty_rows=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=facts_st, products=products_st(), levels=levels_st, measures=st.sampled_from(BUNDLES),
       data=st.data())
def test_drops_and_upserts_match_pandas(facts, products, levels, measures, data):
    """Rows dropped or replaced (same key) after loading count no more; the new values do."""
    sales, cube = build_cube(facts, products)
    ids = range(1, len(facts))  # the anchor (id 0) stays
    dropped = data.draw(st.sets(st.sampled_from(ids)) if ids else st.just(set()), label="dropped ids")
    replaced = data.draw(st.dictionaries(st.sampled_from(ids), facts_st.map(lambda r: r[-1]), max_size=5)
                         if ids else st.just({}), label="replaced rows")
    if dropped:
        sales.drop(sales["id"].isin(*sorted(dropped)))
    if replaced:
        sales.append(*[(i, *row) for i, row in sorted(replaced.items())])
    kept = {i: row for i, row in enumerate(facts) if i not in dropped}
    kept.update(replaced)
    rows = [kept[i] for i in sorted(kept)]
    totals = data.draw(st.booleans(), label="totals")
    check(cube, facts_frame(rows, products), levels, [], measures, totals=totals, empty_rows=False)


def test_a_large_table_scanned_in_parallel_matches_pandas():
    """Enough rows for the scan to split across threads: partial results must merge exactly."""
    rng = np.random.default_rng(20240611)
    n = 450_000
    facts = pd.DataFrame({
        "product": rng.choice(PRODUCTS, n),
        "city": rng.choice(CITIES, n),
        "qty": rng.integers(1, 10, n),
        "price": rng.choice(np.array([np.nan, -4.5, 0.0, 0.5, 1.25, 2.0, 3.75, 10.0, 19.99]), n),
        "sold_on": np.array(DATES, dtype=object)[rng.integers(0, len(DATES), n)],
    })
    products = [("p1", "A", 0.5), ("p2", "B", None), ("p3", "A", 2.5)]
    _, cube = build_cube(facts, products)
    frame = facts_frame(facts, products)
    check(cube, frame, ["cat", "city"], [], BUNDLES[-1], totals=True, empty_rows=False)
    check(cube, frame, ["Quarter"], [Cond("!=", "city", "Nice")], BUNDLES[1], totals=True, empty_rows=False)
    # A level with a member per row: more cells than the small-cell paths handle.
    by_id = cube.levels["id", "id"]
    df = cube.query(cube.measures["qty.SUM"], cube.measures["price.MEAN"], levels=[by_id], filter=by_id >= n - 1000,
                    mode="raw")
    assert list(df["id"]) == list(range(n - 1000, n))
    assert list(df["qty.SUM"]) == facts["qty"].iloc[-1000:].tolist()
    np.testing.assert_array_equal(as_float(df["price.MEAN"]), facts["price"].iloc[-1000:].to_numpy())


@pytest.mark.parametrize("levels", [[], ["city"], ["Month", "cat"]])
def test_expected_frames_of_a_fixed_case(levels):
    """The pandas side on a hand-checked case (guards the oracle itself)."""
    facts = [("p1", "Lyon", 2, 10.0, DATES[0]), ("p4", "Lyon", 3, None, DATES[0]), ("p2", "Nice", 1, 4.0, DATES[4])]
    frame = facts_frame(facts, [("p1", "A", 0.5), ("p2", "B", None)])
    rows = expected_rows(frame, levels, [], BUNDLES[0], totals=True, empty_rows=False)
    if not levels:
        assert rows == [((), {"qty.SUM": 6.0, "price.MEAN": 7.0, "contributors.COUNT": 3.0})]
    elif levels == ["city"]:
        assert [k for k, _ in rows] == [(TOTAL,), ("Lyon",), ("Nice",)]
        assert rows[1][1] == {"qty.SUM": 5.0, "price.MEAN": 10.0, "contributors.COUNT": 2.0}
    else:
        assert [pretty_key(k) for k, _ in rows] == [
            ("Total", "", "", ""), (2023, "", "", ""), (2023, "Q1", "", ""), (2023, "Q1", 1, ""),
            (2023, "Q1", 1, "A"), (2023, "Q1", 1, "N/A"), (2024, "", "", ""), (2024, "Q1", "", ""),
            (2024, "Q1", 2, ""), (2024, "Q1", 2, "B"),
        ]
        na = rows[5][1]  # the fact without a product: its price is missing
        assert (na["qty.SUM"], na["contributors.COUNT"]) == (3.0, 1.0) and math.isnan(na["price.MEAN"])
    # Rows whose queried measures are all empty are left out; include_empty_rows keeps them.
    only_prices = expected_rows(frame, ["product"], [], ("price.MEAN",), totals=False, empty_rows=False)
    assert [k for k, _ in only_prices] == [("p1",), ("p2",)]
    crossed = expected_rows(frame, ["city", "product"], [], ("qty.SUM",), totals=False, empty_rows=True)
    assert len(crossed) == 6 and math.isnan(dict(crossed)[("Nice", "p1")]["qty.SUM"])
