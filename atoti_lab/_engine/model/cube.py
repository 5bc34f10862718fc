"""The definition of a cube: frozen level, hierarchy and measure definitions in a versioned model.

The public handles (Cube, Hierarchy, Level, Measure) edit a CubeModel; the planner reads it.
Every edit bumps `version`, which keys the query cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from ..expr.condition import ColumnRef
from ..expr.measure import Node

# How a level derives its members from its column's values: None (the value itself) or a
# date part ("y", "QQQ", "M", "d", ...) of a date column (create_date_hierarchy).
Transform = str | None


@dataclass(frozen=True)
class Order:
    """Member order: natural (ascending or not), or some members first then the natural order."""

    ascending: bool = True
    first_elements: tuple[Any, ...] = ()


@dataclass(frozen=True)
class LevelDef:
    name: str
    column: ColumnRef
    transform: Transform = None
    order: Order = Order()
    data_type: str = "String"


@dataclass(frozen=True)
class HierarchyDef:
    dimension: str
    name: str
    levels: tuple[LevelDef, ...]
    slicing: bool = False
    visible: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (self.dimension, self.name)


@dataclass(frozen=True)
class MeasureDef:
    name: str
    node: Node
    data_type: str
    formatter: str | None = None
    folder: str | None = None
    visible: bool = True
    description: str | None = None


@dataclass
class CubeModel:
    name: str
    base_table: str
    hierarchies: dict[tuple[str, str], HierarchyDef] = field(default_factory=dict)
    measures: dict[str, MeasureDef] = field(default_factory=dict)
    version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def bump(self) -> None:
        self.version += 1

    def set_hierarchy(self, h: HierarchyDef) -> None:
        with self.lock:
            self.hierarchies[h.key] = h
            self.bump()

    def delete_hierarchy(self, key: tuple[str, str]) -> None:
        with self.lock:
            del self.hierarchies[key]
            self.bump()

    def update_hierarchy(self, key: tuple[str, str], **changes: Any) -> None:
        with self.lock:
            self.hierarchies[key] = replace(self.hierarchies[key], **changes)
            self.bump()

    def set_measure(self, m: MeasureDef) -> None:
        with self.lock:
            self.measures[m.name] = m
            self.bump()

    def delete_measure(self, name: str) -> None:
        with self.lock:
            del self.measures[name]
            self.bump()

    def update_measure(self, name: str, **changes: Any) -> None:
        with self.lock:
            self.measures[name] = replace(self.measures[name], **changes)
            self.bump()
