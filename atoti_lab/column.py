"""Column: a handle on one column of a table; comparing it builds conditions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._condition import Condition
from ._engine.expr.condition import ColumnRef, Compare, IsIn, IsNull
from ._engine.expr.measure import Col, Node
from ._operation import Operand

if TYPE_CHECKING:
    from .table import Table


class Column(Operand):
    """A column of a table: ``table["Price"]``; arithmetic on columns builds row expressions."""

    __slots__ = ("_table", "_name")

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
    def _spec(self):  # noqa: ANN202 - engine type kept out of the public signature
        return self._table._store.columns[self._name]

    @property
    def data_type(self) -> str:
        """The column's type, one of ``tt.type``'s constants (e.g. ``"String"``)."""
        return self._spec.data_type

    @property
    def default_value(self) -> Any:
        """The value stored in place of a missing one (None: the column is nullable)."""
        return self._spec.default

    def _compare(self, op: str, other: Any) -> Condition:
        value = other._ref if isinstance(other, Column) else other
        return Condition(Compare(self._ref, op, value))

    def __eq__(self, other: object) -> Condition:  # type: ignore[override]
        return self._compare("==", other)

    def __ne__(self, other: object) -> Condition:  # type: ignore[override]
        return self._compare("!=", other)

    def __lt__(self, other: Any) -> Condition:
        return self._compare("<", other)

    def __le__(self, other: Any) -> Condition:
        return self._compare("<=", other)

    def __gt__(self, other: Any) -> Condition:
        return self._compare(">", other)

    def __ge__(self, other: Any) -> Condition:
        return self._compare(">=", other)

    def isin(self, *values: Any) -> Condition:
        """Rows whose value is one of `values`."""
        if len(values) == 1 and isinstance(values[0], (list, tuple, set, frozenset)):
            values = tuple(values[0])
        return Condition(IsIn(self._ref, tuple(values)))

    def isnull(self) -> Condition:
        """Rows where the value is missing."""
        return Condition(IsNull(self._ref))

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"Column(table={self._table.name!r}, name={self._name!r}, data_type={self.data_type!r})"
