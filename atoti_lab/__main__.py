"""``python -m atoti_lab``: start a session on the bundled samples and show a query."""

from __future__ import annotations

import argparse

from . import Session, samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atoti_lab", description=__doc__)
    parser.parse_args(argv)
    with Session.start() as session:
        cube = samples.sales_cube(session)
        l, m = cube.levels, cube.measures
        print(session.tables.schema, end="\n\n")
        print(cube.query(m["Quantity.SUM"], m["Revenue"], levels=[l["Category"]], include_totals=True))
        print(f"\nSession log: {session.logs_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
