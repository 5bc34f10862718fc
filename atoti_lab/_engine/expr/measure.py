"""Measure IR: immutable nodes describing how a measure is computed.

Two layers meet here:

* row expressions, evaluated once per fact row inside the aggregation kernels: ``Col`` (a column
  of the base table or of a joined table), ``Lit`` and ``Op`` over them;
* measure expressions, evaluated once per cell after aggregation: ``Agg`` (a leaf aggregation of
  a row expression), ``MeasureRef`` (another named measure), ``Lit`` and ``Op`` over them.

An ``Op`` whose leaves are all row expressions is itself a row expression; mixing columns and
measures in one ``Op`` is an error reported when the measure is defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from .condition import And, ColumnRef, Compare, IsIn, IsNull, LevelRef, Not, Or

ARITHMETIC = ("+", "-", "*", "/", "//", "**", "%")
UNARY = ("neg", "abs")
# tt.math functions of one measure, element by element.
FUNCTIONS = ("ceil", "floor", "round", "exp", "log", "log10", "sqrt", "sin", "cos", "tan", "erf", "erfc", "isnan")
# tt.stats: Op("<distribution>.<cdf|pdf|ppf>", (point, *parameters)), parameters in the order of
# plan/functions.py's DISTRIBUTIONS.
STATISTICS = tuple(f"{d}.{f}" for d in ("normal", "t", "beta", "chi2", "f") for f in ("cdf", "pdf", "ppf"))
# tt.finance.irr: Op("irr", (cash_flows, market_value, Lit(date LevelRef), Lit(precision), Lit(period), Lit(guess))).
FINANCE = ("irr",)
# Op("where", (condition, if_true, if_false)): the condition is a condition node over measures;
# Op("min" | "max", (a, b, ...)): the smallest or largest of several measures, cell by cell.

# Leaf aggregations the kernels compute, with how their per-cell partial results combine.
AGGREGATIONS = ("sum", "mean", "min", "max", "count", "count_distinct", "square_sum", "prod", "long", "short",
                "var", "std", "single_value", "median", "quantile")


@dataclass(frozen=True)
class Col:
    ref: ColumnRef


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Op:
    op: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Agg:
    """Aggregate `operand` (a row expression, or None for counting rows) over each cell's rows."""

    func: str
    operand: Node | None
    params: tuple[tuple[str, Any], ...] = ()  # e.g. quantile's q, mode and interpolation


@dataclass(frozen=True)
class MeasureRef:
    name: str


@dataclass(frozen=True)
class Nav:
    """`measure` evaluated at other locations of the cube: parent_value, total, shift, at, rank...

    `params` are the function's keyword arguments as sorted (name, value) pairs (hashable); a
    value that is itself a measure expression (e.g. parent_value's total_value) is a node."""

    kind: str
    measure: Any
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class OriginScope:
    levels: tuple[LevelRef, ...]


@dataclass(frozen=True)
class CumulativeScope:
    level: LevelRef
    window: tuple[Any, Any] | None = None  # (start, end): member offsets, or periods such as "-3D"
    partitioning: LevelRef | None = None
    dense: bool = False
    time_window: bool = False


@dataclass(frozen=True)
class SiblingsScope:
    hierarchy: tuple[str, str]
    exclude_self: bool = False


Scope = Union[OriginScope, CumulativeScope, SiblingsScope]


@dataclass(frozen=True)
class ScopedAgg:
    """Aggregation of a measure's values over the locations a scope selects around each cell."""

    func: str
    operand: Any
    scope: Scope
    params: tuple[tuple[str, Any], ...] = ()


Node = Union[Col, Lit, Op, Agg, MeasureRef, Nav, ScopedAgg]


def is_row_expression(node: Node) -> bool:
    """True when `node` is computed per row (columns and constants only)."""
    if isinstance(node, Col):
        return True
    if isinstance(node, Lit):
        return True
    if isinstance(node, Op):
        return all(is_row_expression(a) for a in node.args) and any(_has_column(a) for a in node.args)
    return False


def _has_column(node: Node) -> bool:
    if isinstance(node, Col):
        return True
    if isinstance(node, Op):
        return any(_has_column(a) for a in node.args)
    return False


def columns_of(node: Node | None) -> list[ColumnRef]:
    """The columns a row expression reads, in first-use order."""
    out: list[ColumnRef] = []

    def walk(n: Node | None) -> None:
        if isinstance(n, Col) and n.ref not in out:
            out.append(n.ref)
        elif isinstance(n, Op):
            for a in n.args:
                walk(a)

    walk(node)
    return out


def is_navigation(node: Any) -> bool:
    return isinstance(node, (Nav, ScopedAgg))


def _is_measure_node(value: Any) -> bool:
    return isinstance(value, (Col, Lit, Op, Agg, MeasureRef, Nav, ScopedAgg))


def children(node: Any) -> list[Any]:
    """The operands of an Op, with the conditions of `where` opened up to the measures they test."""
    if isinstance(node, Nav):
        return [node.measure] + [v for _, v in node.params if _is_measure_node(v)]
    if isinstance(node, ScopedAgg):
        return [node.operand]
    if isinstance(node, Op):
        return [c for a in node.args for c in ([a] if not _is_condition(a) else children(a))]
    if isinstance(node, (And, Or)):
        return [c for p in node.parts for c in children(p)]
    if isinstance(node, Not):
        return children(node.part)
    if isinstance(node, (Compare, IsIn, IsNull)):
        value = getattr(node, "value", None)
        subject = [] if isinstance(node.subject, LevelRef) else [node.subject]
        return subject + ([value] if _is_measure_node(value) else [])
    return []


def _is_condition(node: Any) -> bool:
    return isinstance(node, (Compare, IsIn, IsNull, And, Or, Not))


def measure_refs(node: Node) -> set[str]:
    """Names of the measures `node` depends on directly."""
    if isinstance(node, MeasureRef):
        return {node.name}
    return {name for a in children(node) for name in measure_refs(a)}


def describe(node: Node | None) -> str:
    if node is None:
        return "rows"
    if isinstance(node, Col):
        return f"{node.ref.table}[{node.ref.column!r}]"
    if isinstance(node, Lit):
        return repr(node.value)
    if isinstance(node, MeasureRef):
        return f"m[{node.name!r}]"
    if isinstance(node, Agg):
        return f"{node.func}({describe(node.operand)})"
    if isinstance(node, Nav):
        return f"{node.kind}({describe(node.measure)})"
    if isinstance(node, ScopedAgg):
        return f"{node.func}({describe(node.operand)}, scope={type(node.scope).__name__})"
    if not isinstance(node, Op):
        return repr(node)
    if node.op == "where":
        return f"where({', '.join(describe(a) for a in node.args)})"
    if node.op in UNARY or node.op in FUNCTIONS or node.op in STATISTICS or node.op in FINANCE \
            or node.op in ("min", "max") or node.op.startswith("array."):
        return f"{node.op}({', '.join(describe(a) for a in node.args)})"
    return f"({describe(node.args[0])} {node.op} {describe(node.args[1])})"

