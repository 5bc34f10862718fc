"""Column: a handle on one column of a table; comparing it builds conditions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._condition import ConditionSubject
from ._engine.expr.condition import ColumnRef
from ._engine.expr.measure import Col, Node
from ._operation import Operand

if TYPE_CHECKING:
    from .table import Table


class Column(ConditionSubject, Operand):
    """A column of a table: ``table["Price"]``; arithmetic on columns builds row expressions."""

    __slots__ = ("_name", "_table")

    def __init__(self, table: Table, name: str) -> None:
        self._table = table
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def _ref(self) -> ColumnRef:
        return ColumnRef(self._table.name, self._name)

    @property
    def _operand_node(self) -> Node:
        return Col(self._ref)

    @property
    def _spec(self):
        return self._table._store.columns[self._name]

    @property
    def data_type(self) -> str:
        """The column's type, one of ``tt.type``'s constants (e.g. ``"String"``)."""
        return self._spec.data_type

    @property
    def default_value(self) -> Any:
        """The value stored in place of a missing one (None: the column is nullable)."""
        return self._spec.default

    @property
    def _subject(self) -> ColumnRef:
        return self._ref

    def _operand(self, value: Any) -> Any:
        return value._ref if isinstance(value, Column) else value

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"Column(table={self._table.name!r}, name={self._name!r}, data_type={self.data_type!r})"
