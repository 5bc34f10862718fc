"""Tables: the mapping of a session's tables, their schema diagram and data transactions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from ._engine.load import arrow as arrow_source
from .table import Table

if TYPE_CHECKING:
    from .session import Session


class MermaidDiagram:
    """Mermaid text; notebooks render it as a diagram, ``str()`` gives the text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.text}\n```"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text, "text/vnd.mermaid": self.text, "text/markdown": self._repr_markdown_()}


class Tables(Mapping[str, Table]):
    """The tables of a session, by name."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __getitem__(self, name: str) -> Table:
        db = self._session._database
        if name not in db.tables:
            raise KeyError(f"No table named {name!r}; the tables are {sorted(db.tables)}.")
        return Table(self._session, name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._session._database.tables))

    def __len__(self) -> int:
        return len(self._session._database.tables)

    def __repr__(self) -> str:
        return f"Tables({list(self)})"

    @contextmanager
    def data_transaction(self, scenario_name: str | None = None, *, allow_nested: bool = True) -> Iterator[None]:
        """Batch loads and drops: they all happen, or (on an exception) none of them does.

        Readers see the data as before the transaction until it ends, then all of its changes.
        """
        db = self._session._database
        if db.in_transaction() and not allow_nested:
            raise RuntimeError("A data transaction is already in progress and allow_nested is False.")
        with db.transaction():
            yield

    def infer_data_types(self, data: pd.DataFrame | pa.Table) -> dict[str, str]:
        """The data types a load of `data` into a new table would give its columns."""
        table = arrow_source.from_pandas(data) if isinstance(data, pd.DataFrame) else data
        return arrow_source.infer_types(table.schema)

    @property
    def schema(self) -> MermaidDiagram:
        """The tables and their joins as a Mermaid entity relationship diagram."""
        db = self._session._database
        lines = ["erDiagram"]
        for name, store in db.tables.items():
            lines.append(f'  "{name}" {{')
            for col, spec in store.columns.items():
                null = "nullable" if spec.nullable else "non-null"
                pk = " PK" if col in store.keys else ""
                lines.append(f'    {null} {spec.data_type}{pk} "{col}"')
            lines.append("  }")
        for join in db.joins:
            target = db.tables[join.target]
            full = set(target.keys) <= {t for _, t in join.mapping} and bool(target.keys)
            if full:
                link = "}o--||" if join.target_optionality == "mandatory" else "}o--o|"
            else:
                link = "}o..o{"
            pairs = [f"`{s}` == `{t}`" for s, t in join.mapping]
            label = pairs[0] if len(pairs) == 1 else " & ".join(f"({p})" for p in pairs)
            lines.append(f'  "{join.source}" {link} "{join.target}" : "{label}"')
        return MermaidDiagram("\n".join(lines))
