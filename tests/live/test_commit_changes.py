"""What a commit tells change watchers: the rows it added and the rows it retracted."""

from __future__ import annotations

import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab._engine.store.database import Commit


def _decoded(session: tt.Session, blocks: list) -> list[tuple]:
    """The blocks' rows as Python values, decoded with the table's dictionaries."""
    store = session._database.tables["T"]
    out = []
    for block in blocks:
        for i in range(block.length):
            city = store.dictionaries["city"].key(int(block.columns["city"][i]))
            out.append((int(block.columns["id"][i]), city, float(block.columns["q"][i])))
    return sorted(out)


@pytest.fixture
def session():
    with tt.Session.start() as s:
        yield s


def test_appends_upserts_drops_and_savepoints(session: tt.Session) -> None:
    table = session.read_pandas(pd.DataFrame({"id": [1, 2], "city": ["Paris", "Lyon"], "q": [1.0, 2.0]}),
                                table_name="T", keys=["id"])
    commits: list[Commit] = []
    unwatch = session._database.watch_changes(commits.append)
    table.load(pd.DataFrame({"id": [2, 3], "city": ["Nice", "Metz"], "q": [20.0, 3.0]}))
    change = commits[-1].changes["T"]
    assert _decoded(session, change.added) == [(2, "Nice", 20.0), (3, "Metz", 3.0)]
    assert _decoded(session, change.removed) == [(2, "Lyon", 2.0)]  # the upserted row's old values

    table.drop(table["city"] == "Paris")
    change = commits[-1].changes["T"]
    assert change.added == [] and _decoded(session, change.removed) == [(1, "Paris", 1.0)]

    with session.tables.data_transaction():
        table.load(pd.DataFrame({"id": [4], "city": ["Brest"], "q": [4.0]}))
        with pytest.raises(RuntimeError), session.tables.data_transaction():
            table.load(pd.DataFrame({"id": [5], "city": ["Caen"], "q": [5.0]}))
            raise RuntimeError
    change = commits[-1].changes["T"]
    assert _decoded(session, change.added) == [(4, "Brest", 4.0)]  # the savepoint's row is gone
    assert [c.version for c in commits] == sorted(c.version for c in commits)

    unwatch()
    table.load(pd.DataFrame({"id": [6], "city": ["Caen"], "q": [6.0]}))
    assert len(commits) == 3


def test_blocks_are_not_changed_by_later_upserts(session: tt.Session) -> None:
    table = session.read_pandas(pd.DataFrame({"id": [1], "city": ["Paris"], "q": [1.0]}), table_name="T", keys=["id"])
    commits: list[Commit] = []
    session._database.watch_changes(commits.append)
    table.load(pd.DataFrame({"id": [2], "city": ["Lyon"], "q": [2.0]}))
    table.load(pd.DataFrame({"id": [2], "city": ["Nice"], "q": [9.0]}))  # overwrites the row in place
    assert _decoded(session, commits[0].changes["T"].added) == [(2, "Lyon", 2.0)]
    assert _decoded(session, commits[1].changes["T"].removed) == [(2, "Lyon", 2.0)]
