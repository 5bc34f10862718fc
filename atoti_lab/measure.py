"""Measures: named (``cube.measures["X"]``) and unnamed descriptions built with ``tt.agg`` and arithmetic."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from ._condition import ConditionSubject
from ._engine.expr.measure import (
    Agg,
    Col,
    Lit,
    MeasureRef,
    Node,
    Op,
    children,
    describe,
    is_row_expression,
    measure_refs,
)
from ._engine.model.cube import MeasureDef
from ._engine.plan.evaluate import result_type
from ._engine.plan.levels import PathError, join_path
from ._engine.result.formatter import default_pattern, validate_pattern
from ._operation import Expression, Operand, to_node

if TYPE_CHECKING:
    from .cube import Cube


class MeasureDescription(ConditionSubject, Expression):
    """An unnamed measure: assign it to ``cube.measures[name]`` to use it."""

    @property
    def _subject(self) -> Node:
        return self._node

    def _operand(self, value: Any) -> Any:
        return to_node(value) if hasattr(value, "_operand_node") else value

    def __getitem__(self, key: Any) -> MeasureDescription:
        """An element (``[3]``, ``[m["Index"]]``) or a slice (``[2:5]``) of an array measure."""
        from .array import _element

        return _element(self, key)

    __hash__ = object.__hash__


class Measure(ConditionSubject, Operand):
    """A measure of a cube; comparing it (``m["Sales"] > 100``) builds a condition on its values."""

    def __init__(self, cube: Cube, name: str) -> None:
        self._cube = cube
        self._name = name

    @property
    def _operand_node(self) -> Node:
        return MeasureRef(self._name)

    @property
    def _subject(self) -> Node:
        return MeasureRef(self._name)

    def _operand(self, value: Any) -> Any:
        return to_node(value) if hasattr(value, "_operand_node") else value

    @property
    def _def(self) -> MeasureDef:
        found = self._cube._model.measures.get(self._name)
        if found is None:
            raise KeyError(f"Measure {self._name!r} no longer exists in cube {self._cube.name!r}.")
        return found

    @property
    def name(self) -> str:
        return self._name

    @property
    def data_type(self) -> str:
        return self._def.data_type

    @property
    def formatter(self) -> str | None:
        """How the measure's values print, e.g. ``"DOUBLE[#,###.00]"``."""
        return self._def.formatter

    @formatter.setter
    def formatter(self, value: str | None) -> None:
        if value is not None:
            validate_pattern(value)
        self._cube._model.update_measure(self._name, formatter=value)

    @property
    def folder(self) -> str | None:
        return self._def.folder

    @folder.setter
    def folder(self, value: str | None) -> None:
        self._cube._model.update_measure(self._name, folder=value)

    @property
    def visible(self) -> bool:
        return self._def.visible

    @visible.setter
    def visible(self, value: bool) -> None:
        self._cube._model.update_measure(self._name, visible=bool(value))

    @property
    def description(self) -> str | None:
        return self._def.description

    @description.setter
    def description(self, value: str | None) -> None:
        self._cube._model.update_measure(self._name, description=value)

    def __getitem__(self, key: Any) -> MeasureDescription:
        """An element (``[3]``, ``[m["Index"]]``) or a slice (``[2:5]``) of an array measure."""
        from .array import _element

        return _element(self, key)

    def __hash__(self) -> int:
        return hash((id(self._cube._model), self._name))

    def __repr__(self) -> str:
        return f"Measure({self._name!r}, data_type={self.data_type!r}, formatter={self.formatter!r})"


class Measures(MutableMapping[str, Measure]):
    """``cube.measures``: assign a measure description to a name to define or redefine a measure."""

    def __init__(self, cube: Cube) -> None:
        self._cube = cube

    def __getitem__(self, name: str) -> Measure:
        if name not in self._cube._model.measures:
            raise KeyError(f"No measure named {name!r}. Known measures: {sorted(self._cube._model.measures)}.")
        return Measure(self._cube, name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._cube._model.measures))

    def __len__(self) -> int:
        return len(self._cube._model.measures)

    def __delitem__(self, name: str) -> None:
        model = self._cube._model
        if name not in model.measures:
            raise KeyError(f"No measure named {name!r}.")
        users = sorted(n for n, m in model.measures.items() if name in measure_refs(m.node) and n != name)
        if users:
            raise ValueError(f"Cannot delete measure {name!r}: measures {users} depend on it.")
        model.delete_measure(name)

    def __setitem__(self, name: str, value: Any) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"A measure name must be a non-empty string, got {name!r}.")
        node = to_node(value)
        if is_row_expression(node) and not isinstance(node, Lit):
            raise TypeError(
                f"Cannot define measure {name!r} from {describe(node)} directly: aggregate it first, "
                "e.g. tt.agg.sum(...)."
            )
        self._check(name, node)
        model = self._cube._model
        data_type = self._type(node)
        old = model.measures.get(name)
        model.set_measure(MeasureDef(
            name=name, node=node, data_type=data_type,
            formatter=old.formatter if old and old.data_type == data_type else default_pattern(data_type),
            folder=old.folder if old else None, visible=old.visible if old else True,
            description=old.description if old else None,
        ))
        self._retype_dependents(name)

    def _retype_dependents(self, name: str) -> None:
        """A redefinition can change the type of the measures built on it (long -> double)."""
        model = self._cube._model
        todo = [name]
        while todo:
            changed = todo.pop()
            for other, definition in list(model.measures.items()):
                if changed not in measure_refs(definition.node):
                    continue
                data_type = self._type(definition.node)
                if data_type != definition.data_type:
                    formatter = definition.formatter
                    if formatter == default_pattern(definition.data_type):
                        formatter = default_pattern(data_type)
                    model.update_measure(other, data_type=data_type, formatter=formatter)
                    todo.append(other)

    def _type(self, node: Node) -> str:
        model, db = self._cube._model, self._cube._session._database

        def column_type(ref: Any) -> str:
            return db.tables[ref.table].columns[ref.column].data_type

        return result_type(node, column_type, lambda n: model.measures[n].data_type)

    def _check(self, name: str, node: Node) -> None:
        """Unknown columns or measures, unjoined tables and cycles are reported before anything changes."""
        model, db = self._cube._model, self._cube._session._database

        def walk(n: Node) -> None:
            if isinstance(n, Col):
                table = db.tables.get(n.ref.table)
                if table is None or n.ref.column not in table.columns:
                    raise KeyError(f"Measure {name!r} uses unknown column {n.ref}.")
                try:
                    join_path(db, model.base_table, n.ref.table)
                except PathError as e:
                    raise ValueError(f"Measure {name!r} uses column {n.ref}: {e}") from None
            elif isinstance(n, MeasureRef):
                if n.name not in model.measures:
                    raise KeyError(f"Measure {name!r} uses unknown measure {n.name!r}.")
            elif isinstance(n, Agg):
                if n.operand is not None:
                    walk(n.operand)
            elif isinstance(n, Op):
                for a in children(n):
                    walk(a)

        walk(node)
        # A cycle: the new definition reaches itself through the measures it uses.
        todo, seen = list(measure_refs(node)), set()
        while todo:
            cur = todo.pop()
            if cur == name:
                raise ValueError(f"Measure {name!r} would depend on itself.")
            if cur in seen or cur not in model.measures:
                continue
            seen.add(cur)
            todo += list(measure_refs(model.measures[cur].node))
        self._type(node)  # raises for type mismatches (e.g. summing a string column)
