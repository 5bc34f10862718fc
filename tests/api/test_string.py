"""tt.string.concat against strings built with pandas from the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atoti_lab as tt


@pytest.fixture(scope="module")
def session():
    with tt.Session.start() as s:
        yield s


def _cube(session, df: pd.DataFrame, name: str):
    table = session.read_pandas(df, table_name=name, keys=["id"])
    cube = session.create_cube(table, mode="manual")
    h, l, m = cube.hierarchies, cube.levels, cube.measures
    h["geo"] = [table["cat"], table["sub"]]
    m["n"] = tt.agg.sum(table["n"])
    m["x"] = tt.agg.max(table["x"])
    m["top sub"] = tt.agg.max_member(m["n"], l["sub"])
    return table, cube, l, m


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), separator=st.sampled_from(["", " - ", ","]))
def test_concat_joins_the_cell_values_like_pandas(session, seed, n, separator):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "id": np.arange(n),
        "cat": rng.choice(["A", "B", "C"], n),
        "sub": rng.choice(["s0", "s1", "s2"], n),
        "n": rng.integers(-20, 20, n).astype("int64"),
        "x": rng.choice([0.5, 2.0, 13.25, np.nan], n),  # a cell of missing x only is empty
    })
    _, cube, l, m = _cube(session, df, f"concat_{seed}_{n}")
    m["label"] = tt.string.concat(m["top sub"], "n=", m["n"], m["x"], separator=separator)
    result = cube.query(m["label"], levels=[l["cat"]], mode="raw")
    got = dict(zip(result["cat"], result["label"]))
    want = {}
    for cat, part in df.groupby("cat"):
        if part["x"].isna().all():
            continue  # empty x: empty label, and the row is left out
        sums = part.groupby("sub")["n"].sum()
        top = sums[sums == sums.max()].index.min()
        want[cat] = separator.join([top, "n=", str(int(part["n"].sum())), repr(float(part["x"].max()))])
    assert got == want


def test_concat_checks_its_arguments(session):
    df = pd.DataFrame({"id": [0], "cat": ["A"], "sub": ["s"], "n": [1], "x": [1.0]})
    table, _, _, m = _cube(session, df, "concat_bad")
    assert tt.string.__all__ == ["concat"]
    with pytest.raises(TypeError, match="separator"):
        tt.string.concat(m["n"], separator=1)
    with pytest.raises(TypeError, match="column"):
        tt.string.concat(table["n"])
    with pytest.raises(TypeError, match="at least one"):
        tt.string.concat()
    m["label"] = tt.string.concat(m["n"], "x")
    assert m["label"].data_type == "String"
    with pytest.raises(TypeError, match="String"):
        m["bad"] = m["label"] * 2
    assert "bad" not in m
