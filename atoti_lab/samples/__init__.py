"""A small bundled data set (sales, products, shops) for the demo, tutorials and tests.

>>> import atoti_lab as tt
>>> from atoti_lab import samples
>>> session = tt.Session.start()
>>> cube = samples.sales_cube(session)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cube import Cube
    from ..session import Session

FOLDER = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """The path of a sample file: "sales.csv", "products.csv" or "shops.csv"."""
    found = FOLDER / name
    if not found.exists():
        raise FileNotFoundError(f"No sample named {name!r}; samples: {sorted(p.name for p in FOLDER.glob('*.csv'))}.")
    return found


def sales_cube(session: Session) -> Cube:
    """Load the samples into `session`: Sales joined to Products and Shops, and a cube over them."""
    sales = session.read_csv(path("sales.csv"), keys=["Sale ID"], table_name="Sales")
    products = session.read_csv(path("products.csv"), keys=["Product"], table_name="Products")
    shops = session.read_csv(path("shops.csv"), keys=["Shop"], table_name="Shops")
    sales.join(products, sales["Product"] == products["Product"])
    sales.join(shops, sales["Shop"] == shops["Shop"])
    cube = session.create_cube(sales, "Sales")
    cube.measures["Revenue"] = _revenue(sales, products)
    return cube


def _revenue(sales, products):
    from .. import agg

    return agg.sum(sales["Quantity"] * products["Unit price"])
