"""The cube model through the public API: creation modes, lookups, hierarchy and measure edits,
definition-time errors, and queries that must see every change (model, data, other threads)."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest

import atoti_lab as tt


def _measures(cube):
    return set(cube.measures)


# -- creation modes -----------------------------------------------------------------------------
def test_auto_mode_hierarchies_and_measures(shop):
    # One single-level hierarchy per key or non-numeric column of the base table and of the tables
    # joined to it (in the dimension named after the table); the joined table's mapped column
    # repeats the base column and makes none; its numeric columns make no measures.
    assert list(shop.h) == [
        ("Sales", "sale_id"), ("Sales", "shop"), ("Sales", "product"), ("Sales", "sold_on"),
        ("Products", "family"),
    ]
    for dimension, name in shop.h:
        hierarchy = shop.h[dimension, name]
        assert (hierarchy.dimension, hierarchy.name, list(hierarchy)) == (dimension, name, [name])
        assert not hierarchy.slicing and hierarchy.visible
    assert _measures(shop.cube) == {
        "contributors.COUNT", "qty.SUM", "qty.MEAN", "unit_price.SUM", "unit_price.MEAN",
    }
    assert shop.m["qty.SUM"].data_type == "long" and shop.m["qty.SUM"].formatter == "INT[#,###]"
    assert shop.m["qty.MEAN"].data_type == "double"
    assert shop.m["unit_price.SUM"].formatter == "DOUBLE[#,###.00]"
    assert shop.m["contributors.COUNT"].data_type == "long"
    assert list(shop.cube.dimensions) == ["Sales", "Products"]
    assert list(shop.cube.dimensions["Products"]) == ["family"]
    assert list(shop.session.cubes) == ["Sales"] and shop.session.cubes["Sales"].name == "Sales"


def test_key_columns_make_hierarchies_even_when_numeric(session):
    table = session.read_pandas(
        pd.DataFrame({"Year": [2023, 2024], "Code": ["a", "b"], "Value": [1.5, 2.5]}),
        table_name="Keyed", keys=["Year"],
    )
    cube = session.create_cube(table)
    assert list(cube.hierarchies) == [("Keyed", "Year"), ("Keyed", "Code")]
    assert _measures(cube) == {"contributors.COUNT", "Value.SUM", "Value.MEAN"}


def test_no_measures_mode_keeps_the_hierarchies_and_only_the_count(shop):
    cube = shop.session.create_cube(shop.sales, "Bare", mode="no_measures")
    assert list(cube.hierarchies) == list(shop.h)
    assert _measures(cube) == {"contributors.COUNT"}
    assert set(shop.session.cubes) == {"Sales", "Bare"}


def test_manual_mode_creates_no_hierarchy(shop):
    # atoti: "Does not create any hierarchy or measure (except from the count)".
    cube = shop.session.create_cube(shop.sales, "Manual", mode="manual")
    assert _measures(cube) == {"contributors.COUNT"}
    assert list(cube.hierarchies) == []


def test_bad_mode_and_unknown_cube(shop):
    with pytest.raises(ValueError, match="mode"):
        shop.session.create_cube(shop.sales, "X", mode="automatic")
    assert "X" not in shop.session.cubes
    with pytest.raises(KeyError, match="Sales"):
        shop.session.cubes["Nope"]


# -- lookups ------------------------------------------------------------------------------------
def test_lookups_by_name_and_by_tuple(shop):
    h, l = shop.h, shop.l
    assert h["shop"] == h["Sales", "shop"]
    assert l["family"].dimension == "Products" and l["family"].hierarchy == "family"
    assert l["Products", "family", "family"].name == "family"
    assert l["family", "family"].hierarchy == "family"
    assert len(h) == 5 and len(l) == 5
    assert ("Products", "family") in h
    assert ("Products", "family", "family") in l


@pytest.mark.parametrize(("mapping", "known"), [("h", "'shop'"), ("l", "'family'"), ("m", "'qty.SUM'")])
def test_unknown_names_list_the_known_ones(shop, mapping, known):
    with pytest.raises(KeyError) as info:
        getattr(shop, mapping)["Shop"]  # wrong case
    message = str(info.value)
    assert "'Shop'" in message and known in message


def test_ambiguous_names_list_the_candidates(shop):
    h, l = shop.h, shop.l
    h["Outlet"] = [shop.sales["shop"]]  # a second level named "shop"
    with pytest.raises(KeyError) as info:
        l["shop"]
    assert "('Sales', 'Outlet', 'shop')" in str(info.value) and "('Sales', 'shop', 'shop')" in str(info.value)
    assert l["Outlet", "shop"].hierarchy == "Outlet"
    assert l["Sales", "shop", "shop"].hierarchy == "shop"

    h["Elsewhere", "Outlet"] = [shop.sales["shop"], shop.sales["product"]]  # same name, other dimension
    with pytest.raises(KeyError) as info:
        h["Outlet"]
    assert "('Elsewhere', 'Outlet')" in str(info.value) and "('Sales', 'Outlet')" in str(info.value)
    assert list(h["Elsewhere", "Outlet"]) == ["shop", "product"]


# -- editing hierarchies ------------------------------------------------------------------------
def test_define_a_multilevel_hierarchy_from_a_list_and_from_a_dict(shop):
    h, l, m = shop.h, shop.l, shop.m
    h["Catalog"] = [shop.products["family"], shop.sales["product"]]
    assert list(h["Catalog"]) == ["family", "product"]
    df = shop.cube.query(m["qty.SUM"], levels=[l["Catalog", "product"]])
    assert list(df.index) == [("Cold", "juice"), ("Hot", "coffee"), ("Hot", "tea"), ("N/A", "cocoa")]
    assert list(df["qty.SUM"]) == [6, 6, 18, 1]

    h["Where", "Place"] = {"Outlet": shop.sales["shop"], "Item": l["Sales", "product", "product"]}
    assert (h["Place"].dimension, list(h["Place"])) == ("Where", ["Outlet", "Item"])
    df = shop.cube.query(m["contributors.COUNT"], levels=[l["Item"]], filter=l["Outlet"] == "North")
    assert list(df.index) == [("North", "coffee"), ("North", "tea")]
    assert list(df["contributors.COUNT"]) == [1, 2]
    h["Route"] = [shop.sales["shop"], shop.sales["product"]]
    assert h["Route"].dimension == "Sales"  # columns of one table: the table's dimension


def test_redefine_and_delete_hierarchies(shop):
    h, l, m = shop.h, shop.l, shop.m
    h["Catalog"] = [shop.sales["product"]]
    h["Catalog"] = {**h["Catalog"], "shop": shop.sales["shop"]}  # add a level below
    assert list(h["Catalog"]) == ["product", "shop"]
    del h["Sales", "shop"]
    assert ("Sales", "shop") not in h
    assert l["shop"].hierarchy == "Catalog"  # no longer ambiguous
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"]], filter=l["Catalog", "product"] == "tea")
    assert list(df.index) == [("tea", "North"), ("tea", "South")]
    with pytest.raises(KeyError, match="sold_off"):
        del h["sold_off"]
    with pytest.raises(ValueError):
        h["Empty"] = []
    with pytest.raises(ValueError, match="same name"):
        h["Twice"] = [shop.sales["shop"], shop.sales["shop"]]
    assert "Empty" not in {name for _, name in h} and "Twice" not in {name for _, name in h}


def test_a_hierarchy_from_an_unjoined_table_is_refused(shop):
    other = shop.session.read_pandas(pd.DataFrame({"k": ["a"]}), table_name="Lonely")
    with pytest.raises(ValueError, match="not joined"):
        shop.h["Lonely"] = [other["k"]]
    assert "Lonely" not in {name for _, name in shop.h}


def test_hierarchy_flags_and_level_order_round_trip(shop):
    hierarchy = shop.h["shop"]
    hierarchy.slicing = True
    hierarchy.visible = False
    assert shop.h["shop"].slicing is True and shop.h["shop"].visible is False
    level = shop.l["shop"]
    assert level.order == tt.NaturalOrder()
    level.order = tt.NaturalOrder(ascending=False)
    assert level.order == tt.NaturalOrder(ascending=False)
    level.order = tt.CustomOrder(first_elements=["South"])
    assert list(level.order.first_elements) == ["South"]
    with pytest.raises(TypeError):
        level.order = "descending"


def test_date_hierarchy_levels_and_types(shop):
    shop.cube.create_date_hierarchy(
        "Calendar", column=shop.sales["sold_on"], levels={"Year": "y", "Quarter": "QQQ", "Month": "M"}
    )
    assert list(shop.h["Calendar"]) == ["Year", "Quarter", "Month"]
    assert shop.l["Year"].data_type == "int" and shop.l["Quarter"].data_type == "String"
    df = shop.cube.query(shop.m["qty.SUM"], levels=[shop.l["Quarter"]])
    assert list(df.index) == [(2023, "Q1"), (2023, "Q2"), (2024, "Q1")]
    assert list(df["qty.SUM"]) == [10, 1, 20]


def test_date_hierarchy_default_levels(shop):
    shop.cube.create_date_hierarchy("Calendar", column=shop.sales["sold_on"])
    assert list(shop.h["Calendar"]) == ["Year", "Month", "Day"]


def test_date_hierarchy_on_a_number_column_is_a_value_error(shop):
    # atoti: "Cannot create a date hierarchy from a column which is not temporal".
    with pytest.raises(ValueError, match="qty"):
        shop.cube.create_date_hierarchy("Bad", column=shop.sales["qty"])
    assert "Bad" not in {name for _, name in shop.h}


def test_padded_date_patterns_are_strings(shop):
    shop.cube.create_date_hierarchy(
        "Padded", column=shop.sales["sold_on"], levels={"Y4": "yyyy", "M2": "MM", "D2": "dd"}
    )
    assert [shop.l[n].data_type for n in ("Y4", "M2", "D2")] == ["String"] * 3
    df = shop.cube.query(shop.m["contributors.COUNT"], levels=[shop.l["D2"]], filter=shop.l["Y4"] == "2024")
    assert list(df.index) == [("2024", "01", "08"), ("2024", "03", "30"), ("2024", "03", "31")]


# -- measures: definitions, errors, dependencies -------------------------------------------------
def test_summing_a_string_column_fails_at_definition_and_adds_nothing(shop):
    before = _measures(shop.cube)
    for build in (lambda: tt.agg.sum(shop.sales["shop"]), lambda: tt.agg.mean(shop.sales["sold_on"])):
        with pytest.raises(TypeError, match="shop|sold_on"):
            shop.m["Bad"] = build()
    assert _measures(shop.cube) == before


def test_unknown_or_unjoined_columns_fail_at_definition_and_add_nothing(shop):
    before = _measures(shop.cube)
    with pytest.raises(KeyError, match="discount"):
        shop.m["Bad"] = tt.agg.sum(shop.sales["discount"])
    other = shop.session.read_pandas(pd.DataFrame({"k": ["a"], "v": [1.0]}), table_name="Lonely")
    with pytest.raises(ValueError, match="Lonely"):
        shop.m["Bad"] = tt.agg.sum(other["v"])
    with pytest.raises(TypeError, match="aggregate"):
        shop.m["Bad"] = shop.sales["qty"]
    with pytest.raises(KeyError, match="nope"):
        shop.m["Bad"] = shop.m["nope"] * 2
    assert _measures(shop.cube) == before


def test_cycles_are_rejected_and_leave_the_definitions_unchanged(shop):
    m = shop.m
    m["A"] = m["qty.SUM"] + 1
    m["B"] = m["A"] * 2
    with pytest.raises(ValueError, match="itself"):
        m["A"] = m["B"] - 1
    with pytest.raises(ValueError, match="itself"):
        m["B"] = m["B"] + 1
    df = shop.cube.query(m["A"], m["B"])
    assert (df["A"].iloc[0], df["B"].iloc[0]) == (32, 64)


def test_deleting_measures(shop):
    m = shop.m
    m["Twice"] = m["qty.SUM"] * 2
    m["Four times"] = m["Twice"] * 2
    with pytest.raises(ValueError, match="Four times"):
        del m["Twice"]
    with pytest.raises(ValueError, match="Twice"):
        del m["qty.SUM"]
    del m["Four times"]
    del m["Twice"]
    assert "Twice" not in m and "Four times" not in m
    with pytest.raises(KeyError):
        del m["Twice"]
    del m["qty.MEAN"]  # nobody uses it
    assert "qty.MEAN" not in m
    assert shop.cube.query(m["qty.SUM"])["qty.SUM"].iloc[0] == 31


def test_redefining_a_measure_is_seen_by_the_measures_using_it(shop):
    m, l = shop.m, shop.l
    m["Base"] = tt.agg.sum(shop.sales["qty"])
    m["Double"] = m["Base"] * 2
    first = shop.cube.query(m["Double"], levels=[l["shop"]])
    assert list(first["Double"]) == [20, 30, 12]
    m["Base"] = tt.agg.max(shop.sales["qty"])
    second = shop.cube.query(m["Double"], levels=[l["shop"]])
    assert list(second["Double"]) == [12, 20, 10]


def test_redefining_a_measure_with_another_type_is_seen_by_the_measures_using_it(shop):
    m, l = shop.m, shop.l
    m["Base"] = tt.agg.sum(shop.sales["qty"])
    m["Double"] = m["Base"] * 2
    shop.cube.query(m["Double"], levels=[l["shop"]])
    m["Base"] = tt.agg.mean(shop.sales["unit_price"])  # long -> double
    df = shop.cube.query(m["Double"], levels=[l["shop"]])
    assert list(df["Double"]) == pytest.approx([13.5, 40 / 3, 8.0])
    assert m["Double"].data_type == "double"


def test_measure_types_and_default_formatters(shop):
    m, s, p = shop.m, shop.sales, shop.products
    m["Revenue"] = tt.agg.sum(s["qty"] * s["unit_price"])
    m["Weight"] = tt.agg.sum(s["qty"] * p["weight"])
    m["Shops"] = tt.agg.count_distinct(s["shop"])
    m["Squares"] = tt.agg.square_sum(s["qty"])
    m["Ratio"] = m["qty.SUM"] / m["contributors.COUNT"]
    m["Steps"] = m["qty.SUM"] // 4
    expected = {
        "Revenue": ("double", "DOUBLE[#,###.00]"), "Weight": ("double", "DOUBLE[#,###.00]"),
        "Shops": ("long", "INT[#,###]"), "Squares": ("double", "DOUBLE[#,###.00]"),
        "Ratio": ("double", "DOUBLE[#,###.00]"), "Steps": ("long", "INT[#,###]"),
    }
    assert {n: (m[n].data_type, m[n].formatter) for n in expected} == expected
    with pytest.raises(ValueError, match="formatter"):
        m["Ratio"].formatter = "DOUBLE[#.##"
    assert m["Ratio"].formatter == "DOUBLE[#,###.00]"
    m["Ratio"].formatter = "DOUBLE[0.000]"
    assert m["Ratio"].formatter == "DOUBLE[0.000]"


def test_query_arguments_are_checked(shop):
    m, l = shop.m, shop.l
    other = shop.session.create_cube(shop.sales, "Other")
    with pytest.raises(ValueError, match="another cube"):
        shop.cube.query(other.measures["qty.SUM"])
    with pytest.raises(TypeError):
        shop.cube.query("qty.SUM")
    with pytest.raises(TypeError):
        shop.cube.query(m["qty.SUM"], levels=["shop"])
    with pytest.raises(ValueError, match="mode"):
        shop.cube.query(m["qty.SUM"], mode="fancy")
    with pytest.raises(TypeError):
        shop.cube.query(m["qty.SUM"], filter=shop.sales["shop"] == "North")
    with pytest.raises(TypeError, match="`&`"):
        shop.cube.query(m["qty.SUM"], filter=(l["shop"] == "North") and (l["product"] == "tea"))


def test_queries_on_a_deleted_hierarchy_or_measure_fail_clearly(shop):
    level, measure = shop.l["shop"], shop.m["qty.MEAN"]
    del shop.h["shop"]
    del shop.m["qty.MEAN"]
    with pytest.raises((KeyError, ValueError), match="shop"):
        shop.cube.query(shop.m["qty.SUM"], levels=[level])
    with pytest.raises((KeyError, ValueError), match="qty.MEAN"):
        shop.cube.query(measure)


# -- every query sees every change ----------------------------------------------------------------
def _total(shop, *measures):
    df = shop.cube.query(*measures)
    return tuple(df[m.name].iloc[0] for m in measures)


def test_the_query_cache_never_returns_stale_data(shop):
    m, l = shop.m, shop.l
    q = (m["qty.SUM"], m["contributors.COUNT"])

    def by_shop():
        df = shop.cube.query(m["qty.SUM"], levels=[l["shop"]], include_totals=True)
        return dict(zip(df.index, df["qty.SUM"]))

    assert _total(shop, *q) == (31, 7)
    assert by_shop() == {"Total": 31, "East": 10, "North": 15, "South": 6}
    shop.sales += ("s08", "West", "tea", 100, 1.0, dt.date(2024, 5, 1))
    assert _total(shop, *q) == (131, 8)
    assert by_shop() == {"Total": 131, "East": 10, "North": 15, "South": 6, "West": 100}
    shop.sales += ("s08", "West", "tea", 200, 1.0, dt.date(2024, 5, 1))  # same key: replaces
    assert _total(shop, *q) == (231, 8)
    assert by_shop()["West"] == 200
    shop.sales.drop(shop.sales["shop"] == "West")
    assert _total(shop, *q) == (31, 7)
    assert by_shop() == {"Total": 31, "East": 10, "North": 15, "South": 6}
    shop.sales.load(pd.DataFrame({"sale_id": ["s09"], "shop": ["North"], "product": ["tea"], "qty": [9],
                                  "unit_price": [4.0], "sold_on": [dt.date(2023, 1, 15)]}))
    assert _total(shop, *q) == (40, 8)
    with shop.session.tables.data_transaction():
        shop.sales.drop(shop.sales["sale_id"] == "s09")
        shop.sales += ("s10", "South", "juice", 1, 2.0, dt.date(2023, 6, 1))
    assert _total(shop, *q) == (32, 8)
    assert by_shop() == {"Total": 32, "East": 10, "North": 15, "South": 7}


def test_joined_table_changes_reach_the_levels(shop):
    m, l = shop.m, shop.l
    before = shop.cube.query(m["qty.SUM"], levels=[l["family"]])
    assert list(before.index) == ["Cold", "Hot", "N/A"] and list(before["qty.SUM"]) == [6, 24, 1]
    shop.products += ("cocoa", "Hot", 0.2)  # the unmatched fact now finds its product
    shop.products += ("juice", "Fresh", 1.0)  # and juice changes family
    after = shop.cube.query(m["qty.SUM"], levels=[l["family"]])
    assert list(after.index) == ["Fresh", "Hot"] and list(after["qty.SUM"]) == [6, 25]


def test_model_edits_invalidate_cached_results(shop):
    m, l = shop.m, shop.l
    assert list(shop.cube.query(m["qty.SUM"], levels=[l["shop"]]).index) == ["East", "North", "South"]
    l["shop"].order = tt.NaturalOrder(ascending=False)
    assert list(shop.cube.query(m["qty.SUM"], levels=[l["shop"]]).index) == ["South", "North", "East"]
    m["qty.SUM"].formatter = "INT[#,###.0]"
    assert "15.0" in repr(shop.cube.query(m["qty.SUM"], levels=[l["shop"]]))


def test_cache_disabled_gives_the_same_results(shop):
    m, l = shop.m, shop.l
    cached = shop.cube.query(m["qty.SUM"], m["unit_price.MEAN"], levels=[l["family"], l["shop"]], include_totals=True)
    shop.cube.aggregates_cache.capacity = 0
    fresh = shop.cube.query(m["qty.SUM"], m["unit_price.MEAN"], levels=[l["family"], l["shop"]], include_totals=True)
    pd.testing.assert_frame_equal(pd.DataFrame(cached), pd.DataFrame(fresh))


def test_queries_while_another_thread_loads_rows(session):
    """Each load adds a batch of 10 rows of qty 1: a reader sees whole batches, never part of one."""
    table = session.create_table("Feed", data_types={"id": "String", "batch": "String", "qty": "long"}, keys=["id"])
    cube = session.create_cube(table)
    m, l = cube.measures, cube.levels
    batches, errors = 40, []

    def writer() -> None:
        try:
            for b in range(batches):
                table.load(pd.DataFrame({
                    "id": [f"{b}-{i}" for i in range(10)], "batch": [f"b{b:02d}"] * 10, "qty": [1] * 10,
                }))
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    thread = threading.Thread(target=writer)
    thread.start()
    seen = []
    try:
        while thread.is_alive() or not seen:
            df = cube.query(m["qty.SUM"], m["contributors.COUNT"], levels=[l["batch"]], include_totals=True)
            if len(df):
                total = df.iloc[0]
                assert total["qty.SUM"] == total["contributors.COUNT"]
                assert total["qty.SUM"] % 10 == 0, "a query saw half a load"
                assert (df["contributors.COUNT"].iloc[1:] == 10).all()
                assert total["qty.SUM"] == 10 * (len(df) - 1)
                seen.append(int(total["qty.SUM"]))
    finally:
        thread.join()
    assert not errors, errors
    assert seen == sorted(seen), "a later query saw fewer rows than an earlier one"
    final = cube.query(m["qty.SUM"], m["contributors.COUNT"])
    assert (final["qty.SUM"].iloc[0], final["contributors.COUNT"].iloc[0]) == (10 * batches, 10 * batches)


def test_queries_from_several_threads_agree(shop):
    m, l = shop.m, shop.l
    shop.cube.create_date_hierarchy("Calendar", column=shop.sales["sold_on"], levels={"Year": "y", "Month": "M"})
    expected = shop.cube.query(m["qty.SUM"], m["unit_price.MEAN"], levels=[l["Month"], l["family"]], include_totals=True)
    shop.cube.aggregates_cache.capacity = 0
    results, errors = [], []

    def reader() -> None:
        try:
            for _ in range(10):
                results.append(shop.cube.query(m["qty.SUM"], m["unit_price.MEAN"], levels=[l["Month"], l["family"]],
                                               include_totals=True))
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 40
    for df in results:
        pd.testing.assert_frame_equal(pd.DataFrame(df), pd.DataFrame(expected))


def test_readers_never_see_half_a_transaction_across_joined_tables(session):
    """Each transaction adds a product and ten sales of it; several readers query by category meanwhile.

    A reader that saw the sales without their product would show the "N/A" category.
    """
    facts = session.create_table("Facts", data_types={"id": "String", "product": "String", "qty": "long"}, keys=["id"])
    items = session.create_table("Items", data_types={"product": "String", "category": "String"}, keys=["product"])
    facts.join(items, facts["product"] == items["product"])
    cube = session.create_cube(facts)
    cube.aggregates_cache.capacity = 0
    m, l = cube.measures, cube.levels
    batches, errors, stop = 30, [], threading.Event()

    def writer() -> None:
        try:
            for b in range(batches):
                with session.tables.data_transaction():
                    items.load(pd.DataFrame({"product": [f"p{b}"], "category": [f"c{b % 3}"]}))
                    facts.load(pd.DataFrame({"id": [f"{b}-{i}" for i in range(10)], "product": [f"p{b}"] * 10,
                                             "qty": [1] * 10}))
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)
        finally:
            stop.set()

    def reader() -> None:
        try:
            while not stop.is_set():
                df = cube.query(m["qty.SUM"], m["contributors.COUNT"], levels=[l["category"]], include_totals=True)
                if len(df):
                    assert "N/A" not in list(df.index), "a reader saw sales without their product"
                    assert df["qty.SUM"].iloc[0] % 10 == 0
                    assert (df["qty.SUM"] == df["contributors.COUNT"]).all()
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)
            stop.set()

    threads = [threading.Thread(target=writer), *(threading.Thread(target=reader) for _ in range(3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    df = cube.query(m["qty.SUM"], levels=[l["category"]])
    assert list(df.index) == ["c0", "c1", "c2"] and list(df["qty.SUM"]) == [100, 100, 100]


def test_an_upsert_moves_a_fact_to_another_member(shop):
    m, l = shop.m, shop.l
    assert list(shop.cube.query(m["qty.SUM"], levels=[l["shop"]])["qty.SUM"]) == [10, 15, 6]
    shop.sales += ("s06", "West", "tea", 10, 3.5, dt.date(2024, 3, 30))  # s06 leaves North
    df = shop.cube.query(m["qty.SUM"], levels=[l["shop"]])
    assert list(df.index) == ["East", "North", "South", "West"] and list(df["qty.SUM"]) == [10, 5, 6, 10]


def test_two_cubes_on_one_table_have_their_own_model(shop):
    other = shop.session.create_cube(shop.sales, "Second")
    shop.m["Double"] = shop.m["qty.SUM"] * 2
    assert "Double" in shop.m and "Double" not in other.measures
    del other.hierarchies["shop"]
    assert ("Sales", "shop") in shop.h
    assert other.query(other.measures["qty.SUM"])["qty.SUM"].iloc[0] == 31
    assert shop.cube.query(shop.m["Double"])["Double"].iloc[0] == 62
