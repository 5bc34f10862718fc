"""Condition nodes: comparisons of a subject (a column or a level) with values, and their logic.

Nodes are data only; the store (for columns) and the planner (for levels) evaluate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


@dataclass(frozen=True)
class ColumnRef:
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.table}[{self.column!r}]"


@dataclass(frozen=True)
class Compare:
    subject: Any  # ColumnRef or a level reference
    op: str
    value: Any  # a constant, or another ColumnRef (join mappings)


@dataclass(frozen=True)
class IsIn:
    subject: Any
    values: tuple[Any, ...]


@dataclass(frozen=True)
class IsNull:
    subject: Any


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Union[Compare, IsIn, IsNull, And, Or, Not]


def conjuncts(node: Node) -> tuple[Node, ...]:
    """The parts of a conjunction (the node itself when it is not one)."""
    if isinstance(node, And):
        return tuple(p for part in node.parts for p in conjuncts(part))
    return (node,)


def subjects(node: Node) -> set[Any]:
    if isinstance(node, (Compare, IsIn, IsNull)):
        return {node.subject}
    if isinstance(node, Not):
        return subjects(node.part)
    return {s for part in node.parts for s in subjects(part)}


def describe(node: Node) -> str:
    """Readable form, as a user would write it."""
    if isinstance(node, Compare):
        return f"{node.subject} {node.op} {node.value!r}" if not isinstance(node.value, ColumnRef) else f"{node.subject} {node.op} {node.value}"
    if isinstance(node, IsIn):
        return f"{node.subject}.isin{node.values!r}"
    if isinstance(node, IsNull):
        return f"{node.subject}.isnull()"
    if isinstance(node, Not):
        return f"~({describe(node.part)})"
    sep = " & " if isinstance(node, And) else " | "
    return sep.join(f"({describe(p)})" for p in node.parts)


@dataclass(frozen=True)
class LevelRef:
    dimension: str
    hierarchy: str
    level: str

    def __str__(self) -> str:
        return f'l["{self.dimension}", "{self.hierarchy}", "{self.level}"]'
