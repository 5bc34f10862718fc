"""cube.query by example: the printed shape of results, in the manner of atoti's documentation
(own data and values; every expected number below was computed by hand from the fixture data).

The shop fixture (conftest.py): seven sales in three shops, joined to a product table where
"cocoa" is missing (it shows the "N/A" family) and "water" is never sold.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import numpy as np
import pandas as pd
import pytest

import atoti_lab as tt


def printed(df: pd.DataFrame) -> str:
    """The frame as it prints, without the trailing blanks pandas pads lines with."""
    return "\n".join(line.rstrip() for line in repr(df).splitlines())


def table(text: str) -> str:
    return "\n".join(line.rstrip() for line in textwrap.dedent(text).strip("\n").splitlines())


@pytest.fixture
def visits(session):
    """Amounts on a Year / Month / Day hierarchy built from three int columns."""
    df = pd.DataFrame(
        columns=["Year", "Month", "Day", "Amount"],
        data=[
            (2022, 3, 5, 12.5), (2022, 3, 9, 7.5), (2022, 8, 5, 30.0),
            (2023, 3, 5, 40.0), (2023, 11, 20, 10.0), (2023, 11, 21, 2.25),
        ],
    )
    t = session.read_pandas(df, table_name="Visits", default_values={"Year": 0, "Month": 0, "Day": 0})
    cube = session.create_cube(t)
    cube.hierarchies["Date"] = [t["Year"], t["Month"], t["Day"]]
    return cube


# -- totals and multilevel hierarchies ----------------------------------------------------------
def test_three_level_hierarchy_with_totals(visits):
    l, m = visits.levels, visits.measures
    df = visits.query(m["Amount.SUM"], levels=[l["Day"]], include_totals=True)
    assert printed(df) == table("""
                        Amount.SUM
        Year  Month Day
        Total               102.25
        2022                 50.00
              3              20.00
                    5        12.50
                    9         7.50
              8              30.00
                    5        30.00
        2023                 52.25
              3              40.00
                    5        40.00
              11             12.25
                    20       10.00
                    21        2.25
    """)
    # Querying the deepest level brings the levels above it: asking for them too changes nothing.
    again = visits.query(m["Amount.SUM"], levels=[l["Year"], l["Day"]], include_totals=True)
    assert printed(again) == printed(df)
    # The frame holds the raw values; the formatter only changes the print.
    assert df["Amount.SUM"].iloc[0] == 102.25 and df.index.names == ["Year", "Month", "Day"]


def test_without_totals_rows_are_the_leaves(visits):
    l, m = visits.levels, visits.measures
    df = visits.query(m["Amount.SUM"], m["contributors.COUNT"], levels=[l["Month"]])
    assert printed(df) == table("""
                   Amount.SUM contributors.COUNT
        Year Month
        2022 3          20.00                  2
             8          30.00                  1
        2023 3          40.00                  1
             11         12.25                  2
    """)


def test_descending_natural_order_keeps_totals_before_children(visits):
    l, m = visits.levels, visits.measures
    l["Year"].order = tt.NaturalOrder(ascending=False)
    df = visits.query(m["Amount.SUM"], levels=[l["Month"]], include_totals=True)
    assert printed(df) == table("""
                    Amount.SUM
        Year  Month
        Total           102.25
        2023             52.25
              3          40.00
              11         12.25
        2022             50.00
              3          20.00
              8          30.00
    """)


def test_slicing_hierarchy(visits):
    h, l, m = visits.hierarchies, visits.levels, visits.measures
    h["Date"].slicing = True
    # No grand total on a slicing hierarchy; its subtotals remain.
    df = visits.query(m["Amount.SUM"], levels=[l["Day"]], include_totals=True)
    assert printed(df) == table("""
                       Amount.SUM
        Year Month Day
        2022                50.00
             3              20.00
                   5        12.50
                   9         7.50
             8              30.00
                   5        30.00
        2023                52.25
             3              40.00
                   5        40.00
             11             12.25
                   20       10.00
                   21        2.25
    """)
    # Not in the query: its first member only.
    assert printed(visits.query(m["Amount.SUM"])) == table("""
          Amount.SUM
        0      50.00
    """)
    # A filter on it replaces the first member.
    assert visits.query(m["Amount.SUM"], filter=l["Year"] == 2023)["Amount.SUM"].iloc[0] == 52.25
    assert list(visits.query(m["Amount.SUM"], levels=[l["Year"]])["Amount.SUM"]) == [50.0, 52.25]


def test_a_slicing_hierarchy_outside_the_query_shows_its_first_member(shop):
    h, l, m = shop.h, shop.l, shop.m
    h["shop"].slicing = True
    assert shop.cube.query(m["qty.SUM"])["qty.SUM"].iloc[0] == 10  # East, the first shop
    df = shop.cube.query(m["qty.SUM"], levels=[l["family"]], include_totals=True)
    assert list(df.index) == ["Total", "Cold", "Hot"] and list(df["qty.SUM"]) == [10, 6, 4]
    df = shop.cube.query(m["qty.SUM"], levels=[l["family"]], filter=l["shop"] == "South")
    assert list(df.index) == ["Hot", "N/A"] and list(df["qty.SUM"]) == [5, 1]
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"]], include_totals=True)
    assert list(df.index) == ["East", "North", "South"]  # no total on a slicing hierarchy


def test_two_hierarchy_pivot(shop):
    l, m = shop.l, shop.m
    measures = (m["qty.SUM"], m["unit_price.MEAN"], m["contributors.COUNT"])
    df = shop.cube.query(*measures, levels=[l["family"], l["shop"]])
    assert printed(df) == table("""
                     qty.SUM unit_price.MEAN contributors.COUNT
        family shop
        Cold   East        6            2.50                  1
        Hot    East        4           11.00                  1
               North      15            6.67                  3
               South       5            4.00                  1
        N/A    South       1                                  1
    """)
    # Totals: a grand total, then each subtotal before its rows. MEAN is computed from the rows:
    # Hot is (4 + 12.5 + 4 + 11 + 3.5) / 5 = 7.00, not the mean of its shops' means.
    df = shop.cube.query(*measures, levels=[l["family"], l["shop"]], include_totals=True)
    assert printed(df) == table("""
                     qty.SUM unit_price.MEAN contributors.COUNT
        family shop
        Total             31            6.25                  7
        Cold               6            2.50                  1
               East        6            2.50                  1
        Hot               24            7.00                  5
               East        4           11.00                  1
               North      15            6.67                  3
               South       5            4.00                  1
        N/A                1                                  1
               South       1                                  1
    """)


def test_the_order_of_levels_is_the_order_of_the_index(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"], l["family"]])
    assert df.index.names == ["shop", "family"]
    assert list(df.index) == [("East", "Cold"), ("East", "Hot"), ("North", "Hot"), ("South", "Hot"), ("South", "N/A")]
    assert list(df["qty.SUM"]) == [6, 4, 15, 5, 1]


def test_distinct_counts_at_total_level(shop):
    l, m = shop.l, shop.m
    m["Families"] = tt.agg.count_distinct(shop.products["family"])
    df = shop.cube.query(m["Families"], levels=[l["shop"]], include_totals=True)
    assert printed(df) == table("""
              Families
        shop
        Total        3
        East         2
        North        1
        South        2
    """)


# -- shapes: no levels, raw mode, formatters, blanks ------------------------------------------------
def test_query_without_levels_is_one_row(shop):
    m = shop.m
    df = shop.cube.query(m["qty.SUM"], m["unit_price.SUM"], m["contributors.COUNT"])
    assert printed(df) == table("""
          qty.SUM unit_price.SUM contributors.COUNT
        0      31          37.50                  7
    """)
    assert list(df.index) == [0]


def test_raw_mode_has_levels_as_columns_and_plain_values(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["qty.SUM"], m["unit_price.MEAN"], levels=[l["shop"]], mode="raw")
    expected = pd.DataFrame({"shop": ["East", "North", "South"], "qty.SUM": [10, 15, 6],
                             "unit_price.MEAN": [6.75, 20 / 3, 4.0]})
    pd.testing.assert_frame_equal(pd.DataFrame(df), expected, check_dtype=False)
    assert isinstance(df.index, pd.RangeIndex)
    assert "6.666667" in repr(df)  # printed as plain pandas values, no formatter
    assert df["qty.SUM"].dtype.kind == "i"


def test_formatters_shape_the_print_not_the_values(session):
    orders = session.read_pandas(
        pd.DataFrame({"Order": ["o1", "o2"], "Units": [600, 510], "Price": [1500.0, 2010.0]}),
        table_name="Orders", keys=["Order"],
    )
    cube = session.create_cube(orders)
    m = cube.measures
    df = cube.query(m["Units.SUM"], m["Price.SUM"])
    assert printed(df) == table("""
          Units.SUM Price.SUM
        0     1,110  3,510.00
    """)
    assert df["Units.SUM"].iloc[0] == 1110 and df["Price.SUM"].iloc[0] == 3510.0
    m["Price.SUM"].formatter = "DOUBLE[#,###.0]"
    m["Unit price"] = m["Price.SUM"] / m["Units.SUM"]
    m["Unit price"].formatter = "DOUBLE[0.00]"
    m["Margin"] = m["Price.SUM"] / m["Units.SUM"] / 10
    m["Margin"].formatter = "DOUBLE[0.0%]"
    df = cube.query(m["Price.SUM"], m["Unit price"], m["Margin"])
    assert printed(df) == table("""
          Price.SUM Unit price Margin
        0   3,510.0       3.16  31.6%
    """)
    assert df["Unit price"].iloc[0] == pytest.approx(3510 / 1110)


def test_empty_cells_print_blank(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["qty.SUM"], m["unit_price.MEAN"], levels=[l["product"]])
    assert printed(df) == table("""
                qty.SUM unit_price.MEAN
        product
        cocoa         1
        coffee        6           11.75
        juice         6            2.50
        tea          18            3.83
    """)
    assert np.isnan(df.loc["cocoa", "unit_price.MEAN"])


def test_joined_columns_aggregate_per_fact(shop):
    l, m = shop.l, shop.m
    m["weight.SUM"] = tt.agg.sum(shop.products["weight"])  # cocoa has no weight: it adds nothing
    df = shop.cube.query(m["weight.SUM"], levels=[l["shop"]], include_totals=True)
    assert printed(df) == table("""
              weight.SUM
        shop
        Total       2.75
        East        1.50
        North       1.00
        South        .25
    """)
    m["Tonnage"] = tt.agg.sum(shop.sales["qty"] * shop.products["weight"])
    df = shop.cube.query(m["qty.SUM"], m["Tonnage"], levels=[l["family"], l["product"]], include_totals=True)
    assert list(df.index) == [("Total", ""), ("Cold", ""), ("Cold", "juice"), ("Hot", ""), ("Hot", "coffee"),
                              ("Hot", "tea"), ("N/A", ""), ("N/A", "cocoa")]
    assert list(df["qty.SUM"]) == [31, 6, 6, 24, 6, 18, 1, 1]
    np.testing.assert_allclose(df["Tonnage"], [13.5, 6.0, 6.0, 7.5, 3.0, 4.5, np.nan, np.nan])


def test_tables_joined_through_another_table_and_default_values(session):
    """Sales -> Items -> Makers: levels of the second join; unmatched facts show the defaults."""
    sales = session.read_pandas(
        pd.DataFrame({"id": ["a", "b", "c", "d"], "item": ["tea", "coffee", "cocoa", "tea"], "qty": [1, 2, 3, 4]}),
        table_name="Orders", keys=["id"],
    )
    items = session.create_table(
        "Items", data_types={"item": "String", "family": "String", "maker": "String"}, keys=["item"],
        default_values={"family": "Unknown"},
    )
    items += [("tea", "Hot", "M1"), ("coffee", "Hot", "M9")]  # no cocoa; maker M9 is not in Makers
    makers = session.read_pandas(
        pd.DataFrame({"maker": ["M1", "M2"], "country": ["FR", "DE"], "rating": [4, 5]}), table_name="Makers",
        keys=["maker"],
    )
    sales.join(items, sales["item"] == items["item"])
    items.join(makers, items["maker"] == makers["maker"])
    cube = session.create_cube(sales)
    l, m = cube.levels, cube.measures
    assert ("Makers", "country") in cube.hierarchies
    df = cube.query(m["qty.SUM"], levels=[l["family"]])
    assert list(df.index) == ["Hot", "Unknown"] and list(df["qty.SUM"]) == [7, 3]
    df = cube.query(m["qty.SUM"], levels=[l["country"], l["maker"]], include_totals=True)
    assert printed(df) == table("""
                      qty.SUM
        country maker
        Total              10
        FR                  5
                M1          5
        N/A                 5
                M9          2
                N/A         3
    """)
    m["Rated"] = tt.agg.sum(makers["rating"] * sales["qty"])
    df = cube.query(m["qty.SUM"], m["Rated"], levels=[l["item"]], mode="raw")
    assert list(df["item"]) == ["cocoa", "coffee", "tea"]
    np.testing.assert_array_equal(df["Rated"].to_numpy(dtype=float, na_value=np.nan), [np.nan, np.nan, 20.0])


def test_measure_arithmetic(shop):
    l, m = shop.l, shop.m
    q, n = m["qty.SUM"], m["contributors.COUNT"]
    m["Per sale"] = q / n
    m["Fours"] = q // 4
    m["Rest"] = q % 4
    m["Squared"] = q ** 2
    m["Negative"] = -q
    m["Back"] = abs(m["Negative"])
    m["Left"] = 100 - q
    m["Both"] = (q + n) * 2
    df = shop.cube.query(*(m[name] for name in ("Per sale", "Fours", "Rest", "Squared", "Negative", "Back", "Left",
                                                "Both")), levels=[l["shop"]], include_totals=True, mode="raw")
    assert list(df["Per sale"]) == pytest.approx([31 / 7, 5.0, 5.0, 3.0])
    assert list(df["Fours"]) == [7, 2, 3, 1]
    assert list(df["Rest"]) == [3, 2, 3, 2]
    assert list(df["Squared"]) == pytest.approx([961.0, 100.0, 225.0, 36.0])
    assert list(df["Negative"]) == [-31, -10, -15, -6]
    assert list(df["Back"]) == [31, 10, 15, 6]
    assert list(df["Left"]) == [69, 90, 85, 94]
    assert list(df["Both"]) == [76, 24, 36, 16]


def test_min_max_and_square_sum(shop):
    l, m = shop.l, shop.m
    m["Cheapest"] = tt.agg.min(shop.sales["unit_price"])
    m["Biggest"] = tt.agg.max(shop.sales["qty"])
    m["Squares"] = tt.agg.square_sum(shop.sales["qty"])
    df = shop.cube.query(m["Cheapest"], m["Biggest"], m["Squares"], levels=[l["shop"]], include_totals=True)
    assert printed(df) == table("""
              Cheapest Biggest Squares
        shop
        Total     2.50      10  191.00
        East      2.50       6   52.00
        North     3.50      10  113.00
        South     4.00       5   26.00
    """)


# -- filters ------------------------------------------------------------------------------------
def test_filter_on_a_level_not_queried(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["qty.SUM"], levels=[l["product"]], filter=l["shop"] == "North")
    assert printed(df) == table("""
                qty.SUM
        product
        coffee        2
        tea          13
    """)
    df = shop.cube.query(m["qty.SUM"], levels=[l["product"]], filter=l["shop"] == "North", include_totals=True)
    assert list(df.index) == ["Total", "coffee", "tea"] and list(df["qty.SUM"]) == [15, 2, 13]


def test_filters_like_the_documentation(shop):
    l, m = shop.l, shop.m
    shop.cube.create_date_hierarchy("Calendar", column=shop.sales["sold_on"], levels={"Year": "y", "Month": "M"})
    # Combined equality condition on two hierarchies.
    df = shop.cube.query(m["qty.SUM"], levels=[l["product"]], filter=(l["family"] == "Hot") & (l["shop"] == "North"))
    assert list(df.index) == ["coffee", "tea"] and list(df["qty.SUM"]) == [2, 13]
    # Inequality conditions.
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"], l["product"]], filter=~l["shop"].isin("North", "East"))
    assert printed(df) == table("""
                      qty.SUM
        shop  product
        South cocoa         1
              tea           5
    """)
    df = shop.cube.query(m["qty.SUM"], levels=[l["family"]], filter=l["family"] != "Hot")
    assert list(df.index) == ["Cold", "N/A"] and list(df["qty.SUM"]) == [6, 1]
    df = shop.cube.query(m["qty.SUM"], levels=[l["Year"]], filter=l["Year"] >= 2024)
    assert printed(df) == table("""
             qty.SUM
        Year
        2024      20
    """)
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"]], filter=l["sold_on"] < dt.date(2023, 2, 20))
    assert list(df.index) == ["North"] and list(df["qty.SUM"]) == [5]
    # A deep level of a multilevel hierarchy.
    df = shop.cube.query(m["qty.SUM"], levels=[l["Month"]], filter=l["Month"] == 1)
    assert printed(df) == table("""
                   qty.SUM
        Year Month
        2023 1           3
        2024 1           4
    """)
    # Several members of one level.
    df = shop.cube.query(m["qty.SUM"], levels=[l["product"]], filter=l["product"].isin("tea", "juice", "mint"))
    assert list(df.index) == ["juice", "tea"] and list(df["qty.SUM"]) == [6, 18]


def test_a_filter_matching_nothing_gives_an_empty_frame(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"]], filter=l["shop"] == "Nowhere")
    assert len(df) == 0 and list(df.columns) == ["qty.SUM"]
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"]], filter=l["shop"] == "Nowhere", include_totals=True)
    assert len(df) == 0


def test_query_without_levels_on_no_facts_is_empty(shop):
    df = shop.cube.query(shop.m["qty.SUM"], filter=shop.l["shop"] == "Nowhere")
    assert len(df) == 0


def test_a_filter_value_given_as_text_is_converted_to_the_level_type(shop):
    shop.cube.create_date_hierarchy("Calendar", column=shop.sales["sold_on"], levels={"Year": "y", "Month": "M"})
    df = shop.cube.query(shop.m["qty.SUM"], levels=[shop.l["Year"]], filter=shop.l["Year"] == "2024")
    assert list(df.index) == [2024] and list(df["qty.SUM"]) == [20]


# -- member orders ------------------------------------------------------------------------------
def test_custom_order_puts_the_given_members_first(shop):
    l, m = shop.l, shop.m
    l["shop"].order = tt.CustomOrder(first_elements=["South", "West"])  # West has no sale: ignored
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"], l["family"]], include_totals=True)
    assert printed(df) == table("""
                     qty.SUM
        shop  family
        Total             31
        South              6
              Hot          5
              N/A          1
        East              10
              Cold         6
              Hot          4
        North             15
              Hot         15
    """)


def test_descending_order_on_a_joined_level(shop):
    l, m = shop.l, shop.m
    l["family"].order = tt.NaturalOrder(ascending=False)
    df = shop.cube.query(m["qty.SUM"], levels=[l["family"]])
    assert list(df.index) == ["N/A", "Hot", "Cold"] and list(df["qty.SUM"]) == [1, 24, 6]


# -- empty rows ---------------------------------------------------------------------------------
def test_include_empty_rows_crosses_the_members(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"], l["family"]], include_empty_rows=True)
    assert printed(df) == table("""
                     qty.SUM
        shop  family
        East  Cold         6
              Hot          4
              N/A
        North Cold
              Hot         15
              N/A
        South Cold
              Hot          5
              N/A          1
    """)


def test_include_empty_rows_keeps_rows_whose_measures_are_empty(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["unit_price.MEAN"], levels=[l["product"]], include_empty_rows=True)
    assert printed(df) == table("""
                unit_price.MEAN
        product
        cocoa
        coffee            11.75
        juice              2.50
        tea                3.83
    """)


def test_rows_whose_measures_are_all_empty_are_dropped(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["unit_price.MEAN"], levels=[l["product"]])
    assert printed(df) == table("""
                unit_price.MEAN
        product
        coffee            11.75
        juice              2.50
        tea                3.83
    """)
    assert len(shop.cube.query(m["unit_price.MEAN"], filter=l["product"] == "cocoa")) == 0


def test_include_empty_rows_leaves_every_measure_blank(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["contributors.COUNT"], levels=[l["shop"], l["family"]], include_empty_rows=True)
    assert printed(df) == table("""
                     contributors.COUNT
        shop  family
        East  Cold                    1
              Hot                     1
              N/A
        North Cold
              Hot                     3
              N/A
        South Cold
              Hot                     1
              N/A                     1
    """)


# -- date hierarchies ---------------------------------------------------------------------------
@pytest.fixture
def deliveries(session):
    df = pd.DataFrame(
        columns=["Date", "Weight"],
        data=[(dt.date(2021, 6, 3), 12.0), (dt.date(2021, 6, 28), 8.5), (dt.date(2022, 1, 9), 30.0),
              (dt.date(2021, 9, 14), 4.0)],
    )
    table_ = session.read_pandas(df, keys={"Date"}, table_name="Deliveries")
    cube = session.create_cube(table_)
    cube.create_date_hierarchy("Date parts", column=table_["Date"])
    return table_, cube


def test_date_hierarchy_with_totals(deliveries):
    _, cube = deliveries
    l, m = cube.levels, cube.measures
    df = cube.query(m["Weight.SUM"], levels=[l["Year"], l["Month"], l["Day"]], include_totals=True)
    assert printed(df) == table("""
                        Weight.SUM
        Year  Month Day
        Total                54.50
        2021                 24.50
              6              20.50
                    3        12.00
                    28        8.50
              9               4.00
                    14        4.00
        2022                 30.00
              1              30.00
                    9        30.00
    """)


def test_date_hierarchy_with_the_full_date_below_and_later_rows(deliveries):
    table_, cube = deliveries
    h, l, m = cube.hierarchies, cube.levels, cube.measures
    h["Date parts"] = {**h["Date parts"], "Date": table_["Date"]}
    df = cube.query(m["Weight.SUM"], levels=[l["Date parts", "Date"]], include_totals=True, filter=l["Year"] == 2022)
    assert printed(df) == table("""
                                   Weight.SUM
        Year  Month Day Date
        Total                           30.00
        2022                            30.00
              1                         30.00
                    9                   30.00
                        2022-01-09      30.00
    """)
    table_ += (dt.date(2023, 2, 1), 1.25)  # rows loaded later are hierarchized too
    df = cube.query(m["Weight.SUM"], levels=[l["Date parts", "Date"]], filter=l["Year"] == 2023)
    assert list(df.index) == [(2023, 2, 1, dt.date(2023, 2, 1))] and list(df["Weight.SUM"]) == [1.25]


def test_quarter_pattern(shop):
    shop.cube.create_date_hierarchy(
        "Calendar", column=shop.sales["sold_on"], levels={"Year": "y", "Quarter": "QQQ"}
    )
    df = shop.cube.query(shop.m["qty.SUM"], levels=[shop.l["Quarter"]], include_totals=True)
    assert printed(df) == table("""
                      qty.SUM
        Year  Quarter
        Total              31
        2023               11
              Q1           10
              Q2            1
        2024               20
              Q1           20
    """)


# -- the result is a DataFrame ------------------------------------------------------------------
def test_results_are_dataframes_of_raw_values(shop):
    l, m = shop.l, shop.m
    df = shop.cube.query(m["qty.SUM"], m["unit_price.SUM"], levels=[l["shop"]])
    assert isinstance(df, pd.DataFrame)
    assert df["qty.SUM"].sum() == 31 and df["unit_price.SUM"].sum() == pytest.approx(37.5)
    assert df.loc["North", "unit_price.SUM"] == 20.0
    doubled = df * 2
    assert list(doubled["qty.SUM"]) == [20, 30, 12]
    assert "20.00" in printed(df)  # formatted print
    df.loc["North", "qty.SUM"] = 0  # once modified, it prints its raw values
    assert "20.00" not in printed(df) and "20.0" in printed(df)


# -- measure and hierarchy conditions (atoti 0.9's documented filter forms) ---------------------------
def test_measure_conditions_filter_rows(shop):
    # A condition on a measure keeps the rows whose value satisfies it.
    l, m = shop.l, shop.m
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"]], filter=m["qty.SUM"] >= 10)
    assert list(df.index) == ["East", "North"] and list(df["qty.SUM"]) == [10, 15]
    assert printed(shop.cube.query(m["qty.SUM"], filter=m["qty.SUM"] > 30)) == table("""
          qty.SUM
        0      31
    """)
    assert len(shop.cube.query(m["qty.SUM"], filter=m["qty.SUM"] < 30)) == 0


def test_hierarchy_conditions_filter_member_paths(shop):
    # A path keeps its member and everything below it.
    h, l, m = shop.h, shop.l, shop.m
    h["Outlet"] = [shop.sales["shop"], shop.sales["product"]]
    df = shop.cube.query(m["qty.SUM"], levels=[l["Outlet", "product"]],
                         filter=h["Outlet"].isin(("East",), ("North", "tea")))
    assert list(df.index) == [("East", "coffee"), ("East", "juice"), ("North", "tea")]
    assert list(df["qty.SUM"]) == [4, 6, 13]


def test_queries_on_an_empty_table_are_empty(session):
    table_ = session.create_table("Nothing", data_types={"Key": "String", "Value": "double"}, keys=["Key"])
    cube = session.create_cube(table_)
    l, m = cube.levels, cube.measures
    df = cube.query(m["Value.SUM"], m["contributors.COUNT"], levels=[l["Key"]], include_totals=True)
    assert len(df) == 0 and list(df.columns) == ["Value.SUM", "contributors.COUNT"]
    assert len(cube.query(m["Value.SUM"])) == 0
    table_ += ("k", 2.5)
    assert printed(cube.query(m["Value.SUM"], levels=[l["Key"]])) == table("""
            Value.SUM
        Key
        k        2.50
    """)
