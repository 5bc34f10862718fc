"""Fixtures of the public-API tests: a session, and a small shop cube with a joined product table."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest

import atoti_lab as tt


@pytest.fixture
def session():
    with tt.Session.start() as s:
        yield s


@pytest.fixture
def shop(session):
    """The shop cube (auto mode): ``sales`` joined to ``products`` on "product".

    Seven sales over two years in three shops; "cocoa" is not in the product table (its family
    shows "N/A") and "water" is never sold. Returns a namespace with session, sales, products,
    cube and the h / l / m mappings.
    """
    sales_df = pd.DataFrame({
        "sale_id": ["s01", "s02", "s03", "s04", "s05", "s06", "s07"],
        "shop": ["North", "North", "South", "South", "East", "North", "East"],
        "product": ["tea", "coffee", "tea", "cocoa", "coffee", "tea", "juice"],
        "qty": [3, 2, 5, 1, 4, 10, 6],
        "unit_price": [4.0, 12.5, 4.0, None, 11.0, 3.5, 2.5],
        "sold_on": [
            dt.date(2023, 1, 15), dt.date(2023, 2, 3), dt.date(2023, 2, 20), dt.date(2023, 4, 11),
            dt.date(2024, 1, 8), dt.date(2024, 3, 30), dt.date(2024, 3, 31),
        ],
    })
    products_df = pd.DataFrame({
        "product": ["tea", "coffee", "juice", "water"],
        "family": ["Hot", "Hot", "Cold", "Cold"],
        "weight": [0.25, 0.5, 1.0, 1.5],
    })
    sales = session.read_pandas(sales_df, table_name="Sales", keys=["sale_id"])
    products = session.read_pandas(products_df, table_name="Products", keys=["product"])
    sales.join(products, sales["product"] == products["product"])
    cube = session.create_cube(sales)
    return SimpleNamespace(
        session=session, sales=sales, products=products, cube=cube,
        h=cube.hierarchies, l=cube.levels, m=cube.measures,
    )
