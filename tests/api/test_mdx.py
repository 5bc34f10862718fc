"""session.query_mdx: MDX SELECT queries give what cube.query (and pandas) give for the same question.

The shop fixture (conftest.py): seven sales in three shops, products joined on "product"; a date
hierarchy Sales/Sold (Year, Month) is added here for member paths and multi-level drilldowns.
"""

from __future__ import annotations

import pandas as pd
import pytest

from atoti_lab._engine.mdx import MdxError


@pytest.fixture
def shop_mdx(shop):
    shop.cube.create_date_hierarchy("Sold", column=shop.sales["sold_on"], levels={"Year": "y", "Month": "M"})
    return shop


def sales_frame(shop) -> pd.DataFrame:
    return shop.sales.head(100).reset_index()


def test_the_documented_shape_levels_of_rows_then_columns(shop_mdx):
    s, l, m = shop_mdx.session, shop_mdx.l, shop_mdx.m
    mdx = ("SELECT NON EMPTY Hierarchize(DrilldownLevel([Sales].[shop].[ALL].[AllMember])) ON ROWS, "
           "NON EMPTY Crossjoin([Measures].[qty.SUM], Hierarchize(DrilldownLevel([Products].[family]"
           ".[ALL].[AllMember]))) ON COLUMNS FROM [Sales]")
    got = s.query_mdx(mdx)
    expected = shop_mdx.cube.query(m["qty.SUM"], levels=[l["shop"], l["family"]])
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    assert list(got.index.names) == ["shop", "family"]
    # Independent check with pandas (cocoa has no product row: its family is "N/A").
    sales = sales_frame(shop_mdx)
    families = shop_mdx.products.head().reset_index().set_index("product")["family"]
    sales["family"] = sales["product"].map(families).fillna("N/A")
    by_pandas = sales.groupby(["shop", "family"])["qty"].sum()
    assert got["qty.SUM"].to_dict() == by_pandas.to_dict()


def test_keep_totals_keeps_the_drilled_all_members(shop_mdx):
    s, l, m = shop_mdx.session, shop_mdx.l, shop_mdx.m
    mdx = ("SELECT NON EMPTY DrilldownLevel([Sales].[shop].[ALL].[AllMember]) ON ROWS, "
           "[Measures].[qty.SUM] ON COLUMNS FROM [Sales]")
    got = s.query_mdx(mdx, keep_totals=True)
    expected = shop_mdx.cube.query(m["qty.SUM"], levels=[l["shop"]], include_totals=True)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    assert got.loc["Total", "qty.SUM"] == sales_frame(shop_mdx)["qty"].sum()
    without = s.query_mdx(mdx)
    assert "Total" not in without.index


def test_raw_mode_has_levels_as_columns(shop_mdx):
    s, l, m = shop_mdx.session, shop_mdx.l, shop_mdx.m
    got = s.query_mdx("SELECT {[Measures].[qty.SUM], [Measures].[contributors.COUNT]} ON COLUMNS, "
                      "NON EMPTY [Sales].[shop].[shop].Members ON ROWS FROM [Sales]", mode="raw")
    expected = shop_mdx.cube.query(m["qty.SUM"], m["contributors.COUNT"], levels=[l["shop"]], mode="raw")
    pd.testing.assert_frame_equal(got, expected)
    assert list(got.columns) == ["shop", "qty.SUM", "contributors.COUNT"]


def test_member_sets_and_the_slicer_filter(shop_mdx):
    s, l, m = shop_mdx.session, shop_mdx.l, shop_mdx.m
    mdx = ("SELECT [Measures].[qty.SUM] ON COLUMNS, "
           "NON EMPTY {[Sales].[shop].[shop].[North], [Sales].[shop].[shop].[East]} ON ROWS "
           "FROM [Sales] WHERE [Sales].[product].[product].[tea]")
    got = s.query_mdx(mdx)
    expected = shop_mdx.cube.query(m["qty.SUM"], levels=[l["shop"]],
                                   filter=l["shop"].isin("North", "East") & (l["product"] == "tea"))
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    sales = sales_frame(shop_mdx)
    tea = sales[(sales["product"] == "tea") & sales["shop"].isin(["North", "East"])]
    assert got["qty.SUM"].to_dict() == tea.groupby("shop")["qty"].sum().to_dict() == {"North": 13}


def test_crossjoin_operator_tuples_and_member_paths(shop_mdx):
    s, l, m = shop_mdx.session, shop_mdx.l, shop_mdx.m
    # `*` is Crossjoin; a member path goes down from the AllMember; Children is the next level.
    mdx = ("SELECT NON EMPTY [Sales].[Sold].[AllMember].[2024].Children * [Sales].[shop].[shop].Members ON ROWS, "
           "[Measures].[qty.SUM] ON COLUMNS FROM [Sales] WHERE ([Products].[family].[family].[Hot])")
    got = s.query_mdx(mdx)
    expected = shop_mdx.cube.query(m["qty.SUM"], levels=[l["Month"], l["shop"]],
                                   filter=(l["Year"] == 2024) & (l["family"] == "Hot"))
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    assert list(got.index.names) == ["Year", "Month", "shop"]
    assert got["qty.SUM"].to_dict() == {(2024, 1, "East"): 4, (2024, 3, "North"): 10}


def test_without_non_empty_empty_rows_are_kept_and_no_measure_means_the_count(shop_mdx):
    s, l, m = shop_mdx.session, shop_mdx.l, shop_mdx.m
    got = s.query_mdx("SELECT Crossjoin([Sales].[shop].[shop].Members, [Products].[family].[family].Members) "
                      "ON ROWS FROM [Sales]")
    expected = shop_mdx.cube.query(m["contributors.COUNT"], levels=[l["shop"], l["family"]],
                                   include_empty_rows=True)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    assert list(got.columns) == ["contributors.COUNT"]
    assert ("South", "Cold") in got.index  # no sale: kept without NON EMPTY
    non_empty = s.query_mdx("SELECT NON EMPTY Crossjoin([Sales].[shop].[shop].Members, "
                            "[Products].[family].[family].Members) ON ROWS FROM [Sales]")
    assert ("South", "Cold") not in non_empty.index
    assert non_empty["contributors.COUNT"].sum() == len(sales_frame(shop_mdx))


@pytest.mark.parametrize(("mdx", "message", "column"), [
    ("SELECT [Measures].[nope] ON COLUMNS FROM [Sales]", "no measure 'nope'", 19),
    ("SELECT [Sales].[nope].Members ON ROWS FROM [Sales]", "no hierarchy [Sales].[nope]", 8),
    ("SELECT [Sales].[shop].[shop].[Moon] ON ROWS FROM [Sales]", "has no member [Moon]", 30),
    ("SELECT [Sales].[shop].[town].Members ON ROWS FROM [Sales]", "has no level [town]", 23),
    ("SELECT {[Measures].[qty.SUM] ON COLUMNS FROM [Sales]", "Expected '}', found 'ON'", 30),
    ("SELECT [Measures].[qty.SUM] ON COLUMNS FROM [Sales] WHERE", "Expected a set", 58),
    ("SELECT [Measures].[qty.SUM] ON COLUMNS,\n  TopCount([Sales].[shop].Members, 2) ON ROWS FROM [Sales]",
     "Unsupported MDX function TOPCOUNT", 3),
    ("SELECT [Measures].[qty.SUM] ON COLUMNS, [Sales].[shop].Members ON COLUMNS FROM [Sales]",
     "The same axis appears twice", 41),
    ("SELECT [Sales].[shop].Members * [Sales].[shop].Members ON ROWS FROM [Sales]", "appears twice", 33),
    ("SELECT [Measures].[qty.SUM] ON COLUMNS FROM [Nowhere]", "no cube [Nowhere]", 45),
    ("SELECT [Measures].[qty.SUM ON COLUMNS FROM [Sales]", "Unclosed '['", 19),
])
def test_bad_mdx_names_what_and_where(shop_mdx, mdx, message, column):
    with pytest.raises(MdxError) as info:
        shop_mdx.session.query_mdx(mdx)
    assert message in str(info.value)
    line = mdx.count("\n", 0, info.value.position) + 1
    assert (info.value.line, info.value.column) == (line, column)
    assert f"column {column})" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_mode_is_checked(shop_mdx):
    with pytest.raises(ValueError, match="mode must be"):
        shop_mdx.session.query_mdx("SELECT [Measures].[qty.SUM] ON 0 FROM [Sales]", mode="fancy")


def test_results_follow_loads(shop_mdx):
    s = shop_mdx.session
    mdx = "SELECT [Measures].[qty.SUM] ON 0, NON EMPTY [Sales].[shop].[shop].Members ON 1 FROM [Sales]"
    before = s.query_mdx(mdx)["qty.SUM"].to_dict()
    shop_mdx.sales += ("s08", "West", "tea", 7, 4.0, pd.Timestamp("2024-05-01").date())
    after = s.query_mdx(mdx)["qty.SUM"].to_dict()
    assert after == {**before, "West": 7}


def test_totals_across_hierarchies_are_every_combination(shop_mdx):
    s = shop_mdx.session
    mdx = ("SELECT NON EMPTY DrilldownLevel([Sales].[shop].[ALL].[AllMember]) ON ROWS, "
           "NON EMPTY Crossjoin([Measures].[qty.SUM], DrilldownLevel([Products].[family].[ALL].[AllMember])) "
           "ON COLUMNS FROM [Sales]")
    got = s.query_mdx(mdx, keep_totals=True)
    sales = sales_frame(shop_mdx)
    families = shop_mdx.products.head().reset_index().set_index("product")["family"]
    sales["family"] = sales["product"].map(families).fillna("N/A")
    expected = {("Total", ""): sales["qty"].sum()}
    expected |= {("Total", f): q for f, q in sales.groupby("family")["qty"].sum().items()}
    for shop, rows in sales.groupby("shop"):
        expected[(shop, "")] = rows["qty"].sum()
        expected |= {(shop, f): q for f, q in rows.groupby("family")["qty"].sum().items()}
    assert got["qty.SUM"].to_dict() == expected
    # Totals first, then members in level order, at every level (atoti's hierarchized order).
    assert list(got.index)[:4] == [("Total", ""), ("Total", "Cold"), ("Total", "Hot"), ("Total", "N/A")]
    assert list(got.index)[4:6] == [("East", ""), ("East", "Cold")]
    raw = s.query_mdx(mdx, keep_totals=True, mode="raw")
    assert raw[["shop", "family"]].iloc[0].isna().all() and raw["qty.SUM"].iloc[0] == sales["qty"].sum()
    # Level columns are typed as cube.query's raw results type them.
    totals = shop_mdx.cube.query(shop_mdx.m["qty.SUM"], levels=[shop_mdx.l["shop"]], include_totals=True,
                                 mode="raw")
    assert raw["shop"].dtype == totals["shop"].dtype
    assert len(raw) == len(got)
    assert len(s.query_mdx(mdx)) == sales.groupby(["shop", "family"]).ngroups


def test_the_all_member_in_a_member_set_is_the_unfiltered_total(shop_mdx):
    s = shop_mdx.session
    mdx = ("SELECT [Measures].[qty.SUM] ON COLUMNS, "
           "{[Sales].[shop].[AllMember], [Sales].[shop].[shop].[North]} ON ROWS FROM [Sales]")
    sales = sales_frame(shop_mdx)
    got = s.query_mdx(mdx, keep_totals=True)
    assert got["qty.SUM"].to_dict() == {"Total": sales["qty"].sum(),
                                        "North": sales[sales["shop"] == "North"]["qty"].sum()}
    assert s.query_mdx(mdx)["qty.SUM"].to_dict() == {"North": 15}


def test_all_members_of_a_multi_level_hierarchy(shop_mdx):
    s, l, m = shop_mdx.session, shop_mdx.l, shop_mdx.m
    mdx = "SELECT [Measures].[qty.SUM] ON COLUMNS, NON EMPTY [Sales].[Sold].Members ON ROWS FROM [Sales]"
    got = s.query_mdx(mdx, keep_totals=True)
    expected = shop_mdx.cube.query(m["qty.SUM"], levels=[l["Month"]], include_totals=True)
    assert got["qty.SUM"].to_dict() == expected["qty.SUM"].to_dict()
    assert list(got.index) == list(expected.index)
    assert got.loc[(2023, ""), "qty.SUM"] == 11
    # Drilling down a level keeps it as the subtotals of the next one, without the grand total.
    drilled = s.query_mdx("SELECT [Measures].[qty.SUM] ON 0, NON EMPTY DrilldownLevel([Sales].[Sold].[Year]"
                          ".Members) ON 1 FROM [Sales]", keep_totals=True)
    assert "Total" not in drilled.index.get_level_values(0)
    assert drilled["qty.SUM"].to_dict() == {k: v for k, v in got["qty.SUM"].to_dict().items() if k[0] != "Total"}


def test_descendants_as_atoti_s_ui_writes_it(shop_mdx):
    s = shop_mdx.session
    drilled = "DrilldownLevel([Sales].[Sold].[ALL].[AllMember])"
    for descendants, same_as in [
        ("Descendants({[Sales].[Sold].[AllMember]}, 1, SELF_AND_BEFORE)", drilled),
        ("Descendants([Sales].[Sold].[AllMember], [Sales].[Sold].[Month])", "[Sales].[Sold].[Month].Members"),
        ("Descendants([Sales].[Sold].[AllMember].[2023], 1)", "[Sales].[Sold].[AllMember].[2023].Children"),
        ("Descendants([Sales].[Sold].[Year].Members, 1, SELF_AND_BEFORE)", "[Sales].[Sold].Members"),
    ]:
        def run(rows: str, keep_totals: bool) -> pd.DataFrame:
            return s.query_mdx(f"SELECT [Measures].[qty.SUM] ON 0, NON EMPTY {rows} ON 1 FROM [Sales]",
                               keep_totals=keep_totals)
        for keep_totals in (False, True):
            got, want = run(descendants, keep_totals), run(same_as, keep_totals)
            if "[Sales].[Sold].Members" == same_as and keep_totals:
                want = want[want.index.get_level_values(0) != "Total"]  # Year.Members has no AllMember
            pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(want), obj=f"{descendants} {keep_totals}")
    with pytest.raises(MdxError, match="flag LEAVES is not supported"):
        s.query_mdx("SELECT Descendants([Sales].[Sold].[AllMember], 1, LEAVES) ON 0 FROM [Sales]")
    with pytest.raises(MdxError, match="Unsupported MDX function ORDER"):
        s.query_mdx("SELECT Order([Sales].[shop].[shop].Members, [Measures].[qty.SUM], DESC) ON 0 FROM [Sales]")


def test_slicer_sets_and_a_measure_in_the_slicer(shop_mdx):
    s, l, m = shop_mdx.session, shop_mdx.l, shop_mdx.m
    got = s.query_mdx("SELECT NON EMPTY [Sales].[shop].[shop].Members ON ROWS FROM [Sales] "
                      "WHERE ({[Sales].[product].[product].[tea], [Sales].[product].[product].[juice]}, "
                      "[Measures].[qty.SUM])")
    expected = shop_mdx.cube.query(m["qty.SUM"], levels=[l["shop"]], filter=l["product"].isin("tea", "juice"))
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    sales = sales_frame(shop_mdx)
    picked = sales[sales["product"].isin(["tea", "juice"])]
    assert got["qty.SUM"].to_dict() == picked.groupby("shop")["qty"].sum().to_dict()
