"""Level: one level of a hierarchy; comparing it builds query filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._condition import ConditionSubject
from ._engine.expr.condition import LevelRef
from ._engine.model.cube import LevelDef, Order
from .order import CustomOrder, NaturalOrder

if TYPE_CHECKING:
    from .cube import Cube


class Level(ConditionSubject):
    """A level: ``cube.levels["Country"]``."""

    __slots__ = ("_cube", "_ref")

    def __init__(self, cube: Cube, ref: LevelRef) -> None:
        self._cube = cube
        self._ref = ref

    @property
    def _def(self) -> LevelDef:
        h = self._cube._model.hierarchies.get((self._ref.dimension, self._ref.hierarchy))
        found = next((lvl for lvl in h.levels if lvl.name == self._ref.level), None) if h else None
        if found is None:
            raise KeyError(f"Level {self._ref} no longer exists in cube {self._cube.name!r}.")
        return found

    @property
    def name(self) -> str:
        return self._ref.level

    @property
    def dimension(self) -> str:
        return self._ref.dimension

    @property
    def hierarchy(self) -> str:
        return self._ref.hierarchy

    @property
    def data_type(self) -> str:
        return self._def.data_type

    @property
    def order(self) -> NaturalOrder | CustomOrder:
        o = self._def.order
        return CustomOrder(first_elements=o.first_elements) if o.first_elements else NaturalOrder(ascending=o.ascending)

    @order.setter
    def order(self, value: NaturalOrder | CustomOrder) -> None:
        if isinstance(value, NaturalOrder):
            order = Order(ascending=value.ascending)
        elif isinstance(value, CustomOrder):
            order = Order(first_elements=tuple(value.first_elements))
        else:
            raise TypeError(f"Expected tt.NaturalOrder() or tt.CustomOrder(...), got {value!r}.")
        h = self._cube._model.hierarchies[(self._ref.dimension, self._ref.hierarchy)]
        levels = tuple(lvl if lvl.name != self.name else LevelDef(lvl.name, lvl.column, lvl.transform, order, lvl.data_type)
                       for lvl in h.levels)
        self._cube._model.update_hierarchy(h.key, levels=levels)

    @property
    def _subject(self) -> LevelRef:
        return self._ref

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"Level({self.dimension!r}, {self.hierarchy!r}, {self.name!r})"
