"""MDX SELECT queries -> a cube query (``QuerySpec``) and the cube they read.

Covers the forms atoti's documentation and UI write::

    SELECT NON EMPTY Hierarchize(DrilldownLevel([Prices].[Country].[ALL].[AllMember])) ON ROWS,
           NON EMPTY Crossjoin([Measures].[Price.SUM], [Prices].[Date].[Date].Members) ON COLUMNS
    FROM [Prices] WHERE ([Prices].[City].[City].[Paris], [Measures].[Qty.SUM])

Sets are measures, levels (``[D].[H].[L]``, ``.Members``), hierarchies (``[D].[H].Members``),
members (``[D].[H].[L].[m]`` or by path ``[D].[H].[AllMember].[m1].[m2]``, ``.Children``), ``{...}``
unions of one hierarchy's members, tuples ``(a, b)``, ``Crossjoin(a, b, ...)`` / ``a * b``,
``Hierarchize``, ``DrilldownLevel``, ``Descendants`` (SELF, SELF_AND_BEFORE), ``NonEmpty`` and
``Distinct``. Whatever the axes, the result has the levels of ROWS, then COLUMNS, then further
axes, and the measures as columns (atoti's ``query_mdx`` shape); with ``keep_totals``, the totals
the sets ask for (an AllMember, drilled levels) in every combination across hierarchies, totals
before their members. Errors are :class:`MdxError` naming the line and column of the offending text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .expr.condition import And, Compare, LevelRef, Node, Or
from .model.cube import CubeModel, HierarchyDef
from .plan.query import CellSet, QuerySpec

__all__ = ["Combined", "MdxError", "MdxQuery", "combine", "from_cube", "parse", "translate"]

DEFAULT_MEASURE = "contributors.COUNT"


class MdxError(ValueError):
    """Bad MDX, or a name the cube does not have: the message says where (line, column)."""

    def __init__(self, message: str, text: str, pos: int) -> None:
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        super().__init__(f"{message} (MDX line {line}, column {column})")
        self.position = pos
        self.line = line
        self.column = column


# -- lexer ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # "name" ([bracketed]), "word" (bare identifier or keyword), "num", "punct", "end"
    text: str
    pos: int


_TOKEN = re.compile(r"\s+|--[^\n]*|//[^\n]*|/\*.*?\*/|(?P<name>\[(?:[^\]\[]|\]\])*\])|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<num>\d+)|(?P<punct>[{}(),.*])", re.DOTALL)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos] == "[":
                raise MdxError("Unclosed '[': a name must end with ']'", text, pos)
            raise MdxError(f"Unexpected character {text[pos]!r}", text, pos)
        kind = m.lastgroup
        if kind == "name":
            tokens.append(Token("name", m.group()[1:-1].replace("]]", "]"), pos))
        elif kind is not None:
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- parser: text -> AST -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Name:
    parts: tuple[Token, ...]  # the bracketed parts, in order
    suffix: Token | None  # Members, AllMembers or Children
    pos: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Any, ...]
    pos: int


@dataclass(frozen=True)
class Braces:  # {a, b, ...}
    items: tuple[Any, ...]
    pos: int


@dataclass(frozen=True)
class Paren:  # (a, b, ...): a tuple, or a parenthesised set when it has one item
    items: tuple[Any, ...]
    pos: int


@dataclass(frozen=True)
class Axis:
    set: Any
    non_empty: bool
    number: int  # 0 COLUMNS, 1 ROWS, 2 PAGES ...
    pos: int


@dataclass(frozen=True)
class Select:
    axes: tuple[Axis, ...]
    cube: Token
    where: Any


_FLAGS = ("ASC", "DESC", "BASC", "BDESC", "PRE", "POST", "SELF", "AFTER", "BEFORE", "BEFORE_AND_AFTER",
          "SELF_AND_AFTER", "SELF_AND_BEFORE", "SELF_BEFORE_AFTER", "LEAVES")
_AXIS_NAMES = {"COLUMNS": 0, "ROWS": 1, "PAGES": 2, "SECTIONS": 3, "CHAPTERS": 4}
_SUFFIXES = {"MEMBERS": "Members", "ALLMEMBERS": "Members", "CHILDREN": "Children"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: Token | None = None) -> MdxError:
        return MdxError(message, self.text, (tok or self.tok).pos)

    def _found(self) -> str:
        t = self.tok
        return "the end of the query" if t.kind == "end" else repr("[" + t.text + "]" if t.kind == "name" else t.text)

    def keyword(self, *words: str) -> bool:
        t = self.tok
        if t.kind == "word" and t.text.upper() in words:
            self.i += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.error(f"Expected {word}, found {self._found()}")

    def punct(self, char: str) -> bool:
        if self.tok.kind == "punct" and self.tok.text == char:
            self.i += 1
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.punct(char):
            raise self.error(f"Expected '{char}', found {self._found()}")

    def select(self) -> Select:
        if self.keyword("WITH"):
            raise self.error("WITH (calculated members and named sets) is not supported", self.tokens[self.i - 1])
        self.expect_keyword("SELECT")
        axes: list[Axis] = []
        if not (self.tok.kind == "word" and self.tok.text.upper() == "FROM"):
            axes.append(self.axis())
            while self.punct(","):
                axes.append(self.axis())
        seen: set[int] = set()
        for a in axes:
            if a.number in seen:
                raise MdxError("The same axis appears twice", self.text, a.pos)
            seen.add(a.number)
        self.expect_keyword("FROM")
        if self.tok.kind not in ("name", "word"):
            raise self.error(f"Expected the cube's name after FROM, found {self._found()}")
        cube = self.tok
        self.i += 1
        where = None
        if self.keyword("WHERE"):
            where = self.set_expr()
        if self.tok.kind != "end":
            raise self.error(f"Unexpected {self._found()} after the end of the query")
        return Select(tuple(axes), cube, where)

    def axis(self) -> Axis:
        pos = self.tok.pos
        non_empty = False
        if self.keyword("NON"):
            self.expect_keyword("EMPTY")
            non_empty = True
        expr = self.set_expr()
        self.expect_keyword("ON")
        t = self.tok
        if t.kind == "num":
            number = int(t.text)
        elif t.kind == "word" and t.text.upper() in _AXIS_NAMES:
            number = _AXIS_NAMES[t.text.upper()]
        elif t.kind == "word" and t.text.upper() == "AXIS":
            self.i += 1
            self.expect("(")
            if self.tok.kind != "num":
                raise self.error(f"Expected an axis number, found {self._found()}")
            number = int(self.tok.text)
            self.i += 1
            if self.tok.text != ")":
                raise self.error(f"Expected ')', found {self._found()}")
        else:
            raise self.error(f"Expected an axis (COLUMNS, ROWS or a number), found {self._found()}")
        self.i += 1
        return Axis(expr, non_empty, number, pos)

    def set_expr(self) -> Any:
        left = self.primary()
        while self.tok.kind == "punct" and self.tok.text == "*":
            pos = self.tok.pos
            self.i += 1
            left = Call("CROSSJOIN", (left, self.primary()), pos)
        return left

    def primary(self) -> Any:
        t = self.tok
        if self.punct("{"):
            items = [] if self.tok.text == "}" else self.items()
            self.expect("}")
            return Braces(tuple(items), t.pos)
        if self.punct("("):
            items = self.items()
            self.expect(")")
            return Paren(tuple(items), t.pos)
        if t.kind == "name":
            return self.name()
        if t.kind == "word" and self.tokens[self.i + 1].text == "(":
            self.i += 2
            args = [] if self.tok.text == ")" else self.items()
            self.expect(")")
            return Call(t.text.upper(), tuple(args), t.pos)
        if t.kind == "num" or (t.kind == "word" and t.text.upper() in _FLAGS):
            self.i += 1
            return t  # a number or flag argument (Hierarchize(set, POST), Order(...)): not a set
        raise self.error(f"Expected a set, a member or a measure, found {self._found()}")

    def items(self) -> list[Any]:
        out = [self.set_expr()]
        while self.punct(","):
            out.append(self.set_expr())
        return out

    def name(self) -> Name:
        start = self.tok.pos
        parts = [self.tok]
        self.i += 1
        suffix = None
        while self.punct("."):
            t = self.tok
            if t.kind == "name":
                parts.append(t)
                self.i += 1
            elif t.kind == "word" and t.text.upper() in _SUFFIXES:
                suffix = t
                self.i += 1
                break
            else:
                raise self.error(f"Expected a [name], Members or Children after '.', found {self._found()}")
        return Name(tuple(parts), suffix, start)


def parse(text: str) -> Select:
    """The AST of an MDX SELECT query (syntax only: names are resolved by :func:`translate`)."""
    if not isinstance(text, str):
        raise TypeError(f"An MDX query is a string, got {type(text).__name__}.")
    return _Parser(text).select()


def from_cube(text: str) -> Token:
    """The cube the query reads (``FROM [Cube]``): its name and position."""
    return parse(text).cube


# -- semantics: AST -> what each hierarchy shows ---------------------------------------------------------
@dataclass(frozen=True)
class _HierSel:
    """One hierarchy's part of a set: its members at level `depth` (-1: the AllMember only), all of
    them or those matching one of `members` (each a {level index: value} conjunction), plus, as
    totals, the members above them at the depths in `totals` (-1: the AllMember)."""

    hierarchy: HierarchyDef
    depth: int
    members: tuple[tuple[tuple[int, Any], ...], ...] | None = None
    totals: frozenset[int] = frozenset()


@dataclass
class _Set:
    measures: list[str] = field(default_factory=list)
    hierarchies: dict[tuple[str, str], _HierSel] = field(default_factory=dict)
    non_empty: bool = False


@dataclass(frozen=True)
class MdxQuery:
    """A translated query on cube `cube`: `specs[0]` gives the rows without totals, the others the
    total rows asked for (one query per combination of totals across hierarchies)."""

    cube: str
    specs: tuple[QuerySpec, ...]


class _Translator:
    def __init__(self, text: str, model: CubeModel, members_of: Callable[[LevelRef], Sequence[Any]]) -> None:
        self.text = text
        self.model = model
        self.members_of = members_of

    def error(self, message: str, pos: int) -> MdxError:
        return MdxError(message, self.text, pos)

    def evaluate(self, node: Any) -> _Set:
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Paren):
            return self.crossjoin(node.items)
        if isinstance(node, Braces):
            return self.union(node)
        if isinstance(node, Call):
            return self.call(node)
        raise self.error(f"{node.text!r} is not a set", node.pos)

    def call(self, node: Call) -> _Set:
        func, args = node.func, node.args
        if func == "CROSSJOIN":
            if len(args) < 2:
                raise self.error("Crossjoin takes at least two sets", node.pos)
            return self.crossjoin(args)
        sets = [a for a in args if not isinstance(a, Token)]
        if func == "DESCENDANTS":
            return self.descendants(node)
        # Hierarchize only orders (results always come hierarchized); Order is not supported, as it
        # would be silently ignored.
        if func in ("HIERARCHIZE", "DISTINCT", "NONEMPTY", "DRILLDOWNLEVEL"):
            if not sets:
                raise self.error(f"{func.title()} needs a set", node.pos)
            result = self.evaluate(sets[0])
            if func == "NONEMPTY":
                result.non_empty = True
            if func == "DRILLDOWNLEVEL":
                result.hierarchies = {k: self.drilldown(h) for k, h in result.hierarchies.items()}
            return result
        raise self.error(f"Unsupported MDX function {func}: use Crossjoin, Hierarchize, DrilldownLevel, "
                         "Descendants, NonEmpty or Distinct", node.pos)

    def descendants(self, node: Call) -> _Set:
        """Descendants(member or set, level or distance[, SELF | SELF_AND_BEFORE])."""
        args = node.args
        if not args or isinstance(args[0], Token):
            raise self.error("Descendants needs a member or a set of one hierarchy", node.pos)
        base = self.evaluate(args[0])
        if base.measures or len(base.hierarchies) != 1:
            raise self.error("Descendants takes the members of one hierarchy", _pos(args[0]))
        h = next(iter(base.hierarchies.values()))
        target = h.depth + 1
        if len(args) > 1:
            arg = args[1]
            if isinstance(arg, Token) and arg.kind == "num":
                target = h.depth + int(arg.text)
            elif isinstance(arg, Name):
                level = self.evaluate(arg).hierarchies.get(h.hierarchy.key)
                if level is None or level.members is not None or level.depth < 0:
                    raise self.error("The second argument of Descendants is a level of the same hierarchy, or a "
                                     "distance", arg.pos)
                target = level.depth
            else:
                raise self.error("The second argument of Descendants is a level or a distance", _pos(arg))
        flag = "SELF"
        if len(args) > 2:
            if not isinstance(args[2], Token) or args[2].kind != "word":
                raise self.error("The third argument of Descendants is a flag such as SELF", _pos(args[2]))
            flag = args[2].text.upper()
        if flag not in ("SELF", "SELF_AND_BEFORE"):
            raise self.error(f"Descendants flag {flag} is not supported: use SELF or SELF_AND_BEFORE", args[2].pos)
        target = min(target, len(h.hierarchy.levels) - 1)
        if target < h.depth:
            raise self.error("Descendants goes down the hierarchy, not up", node.pos)
        totals = frozenset()
        if flag == "SELF_AND_BEFORE":
            totals = (h.totals | set(range(h.depth, target))) - {target}
        return _Set(hierarchies={h.hierarchy.key: replace(h, depth=target, totals=frozenset(totals))},
                    non_empty=base.non_empty)

    @staticmethod
    def drilldown(h: _HierSel) -> _HierSel:
        # The set keeps the drilled members and gains their children: one level down, with totals.
        if h.depth + 1 >= len(h.hierarchy.levels):
            return h
        return replace(h, depth=h.depth + 1, totals=h.totals | {h.depth})

    def crossjoin(self, items: Sequence[Any]) -> _Set:
        out = _Set()
        for item in items:
            part = self.evaluate(item)
            if part.measures and out.measures:
                raise self.error("Measures appear twice in one tuple or crossjoin", _pos(item))
            out.measures += part.measures
            for key, h in part.hierarchies.items():
                if key in out.hierarchies:
                    raise self.error(f"Hierarchy [{key[0]}].[{key[1]}] appears twice in one tuple or crossjoin",
                                     _pos(item))
                out.hierarchies[key] = h
            out.non_empty = out.non_empty or part.non_empty
        return out

    def union(self, node: Braces) -> _Set:
        parts = [(item, self.evaluate(item)) for item in node.items]
        out = _Set()
        if not parts:
            return out
        for item, part in parts:
            if part.measures and part.hierarchies:
                raise self.error("Sets of tuples mixing measures and members are not supported; use Crossjoin",
                                 _pos(item))
            if len(part.hierarchies) > 1:
                raise self.error("Sets of several tuples are not supported; use Crossjoin", _pos(item))
            out.measures += [m for m in part.measures if m not in out.measures]
        selections = [(item, h) for item, part in parts for h in part.hierarchies.values()]
        if selections and out.measures:
            raise self.error("A set holds measures or members of one hierarchy, not both",
                             _pos(selections[0][0]))
        if selections:
            keys = {h.hierarchy.key for _, h in selections}
            if len(keys) > 1:
                item = next(i for i, h in selections if h.hierarchy.key != selections[0][1].hierarchy.key)
                raise self.error("A set holds the members of one hierarchy; use Crossjoin to combine hierarchies",
                                 _pos(item))
            depth = max(h.depth for _, h in selections)
            totals = frozenset().union(*(h.totals for _, h in selections))
            members: list[tuple[tuple[int, Any], ...]] | None = []
            for item, h in selections:
                if h.depth != depth and (h.depth == -1 or h.members is None):
                    totals |= {h.depth}  # the AllMember, or a whole level above: totals of the deeper members
                    continue
                if h.depth != depth:
                    raise self.error("A set mixing members of different levels (other than the AllMember or "
                                     "whole levels) is not supported", _pos(item))
                if h.members is None or members is None:
                    members = None
                else:
                    members += [m for m in h.members if m not in members]
            first = selections[0][1]
            out.hierarchies[first.hierarchy.key] = _HierSel(first.hierarchy, depth,
                                                             None if members is None else tuple(members),
                                                             frozenset(t for t in totals if t < depth))
        out.non_empty = any(p.non_empty for _, p in parts)
        return out

    def hierarchy(self, node: Name) -> tuple[HierarchyDef, list[Token]]:
        parts = node.parts
        if len(parts) >= 2:
            h = self.model.hierarchies.get((parts[0].text, parts[1].text))
            if h is not None:
                return h, list(parts[2:])
        # [Hierarchy] alone, when no other dimension has a hierarchy of that name.
        found = [h for h in self.model.hierarchies.values() if h.name == parts[0].text]
        if len(found) == 1:
            return found[0], list(parts[1:])
        shown = ".".join(f"[{p.text}]" for p in parts[:2])
        if len(found) > 1:
            raise self.error(f"Hierarchy [{parts[0].text}] is ambiguous: prefix it with its dimension", node.pos)
        raise self.error(f"The cube has no hierarchy {shown}; its hierarchies are "
                         f"{sorted(f'[{d}].[{n}]' for d, n in self.model.hierarchies)}", node.pos)

    def name(self, node: Name) -> _Set:
        parts = node.parts
        if parts[0].text.lower() == "measures":
            if len(parts) != 2 or node.suffix is not None:
                if len(parts) == 1 and node.suffix is not None:
                    return _Set(measures=[m for m in self.model.measures])
                raise self.error("A measure is written [Measures].[name]", node.pos)
            measure = parts[1].text
            if measure not in self.model.measures:
                raise self.error(f"The cube has no measure {measure!r}", parts[1].pos)
            return _Set(measures=[measure])
        h, rest = self.hierarchy(node)
        levels = [lvl.name for lvl in h.levels]
        suffix = node.suffix.text.upper() if node.suffix is not None else None
        if not rest:  # the hierarchy: its default member (the AllMember), or all its members
            if suffix == "MEMBERS":
                return self._one(h, len(levels) - 1, None, totals=frozenset(range(-1, len(levels) - 1)))
            if suffix == "CHILDREN":
                return self._one(h, 0, None)
            return self._one(h, -1, None)
        if rest[0].text in levels and not (rest[0].text.upper() == "ALL" and "ALL" not in levels):
            depth = levels.index(rest[0].text)
            if len(rest) == 1:  # a level: its members (.Members or implied)
                if suffix == "CHILDREN":
                    raise self.error("Children is a member's, not a level's: use Members", node.suffix.pos)
                return self._one(h, depth, None)
            if len(rest) > 2:
                raise self.error("A member of a level is written [Dim].[Hierarchy].[Level].[member]", rest[2].pos)
            value = self.member(h, depth, rest[1])
            if suffix == "MEMBERS":
                raise self.error("Members is a level's, not a member's: use Children", node.suffix.pos)
            if suffix == "CHILDREN":
                if depth + 1 >= len(levels):
                    return _Set()  # a member of the last level has no children
                return self._one(h, depth + 1, (((depth, value),),))
            return self._one(h, depth, (((depth, value),),))
        # A member path from the top: [AllMember] (or [ALL].[AllMember]) then one member per level.
        path = list(rest)
        if len(path) >= 2 and path[0].text.upper() == "ALL" and path[1].text.lower() == "allmember":
            path = path[2:]
        elif path[0].text.lower() == "allmember":
            path = path[1:]
        else:
            raise self.error(f"Hierarchy [{h.dimension}].[{h.name}] has no level [{rest[0].text}]; its levels are "
                             f"{levels}", rest[0].pos)
        if len(path) > len(levels):
            raise self.error(f"The member path is longer than the {len(levels)} levels of [{h.dimension}].[{h.name}]",
                             path[len(levels)].pos)
        conditions = tuple((i, self.member(h, i, t)) for i, t in enumerate(path))
        depth = len(path) - 1
        if suffix == "MEMBERS":
            raise self.error("Members is a level's, not a member's: use Children", node.suffix.pos)
        if suffix == "CHILDREN":
            if depth + 1 >= len(levels):
                return _Set()
            return self._one(h, depth + 1, (conditions,) if conditions else None)
        if depth == -1:
            return self._one(h, -1, None)
        return self._one(h, depth, (conditions,))

    @staticmethod
    def _one(h: HierarchyDef, depth: int, members: Any, totals: frozenset[int] = frozenset()) -> _Set:
        return _Set(hierarchies={h.key: _HierSel(h, depth, members, totals)})

    def member(self, h: HierarchyDef, depth: int, tok: Token) -> Any:
        """The level's member written `tok` (members are named by their text, dates in ISO form)."""
        level = h.levels[depth]
        ref = LevelRef(h.dimension, h.name, level.name)
        for value in self.members_of(ref):
            if _member_text(value) == tok.text:
                return value
        raise self.error(f"Level [{h.dimension}].[{h.name}].[{level.name}] has no member [{tok.text}]", tok.pos)


def _member_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def _pos(node: Any) -> int:
    return node.pos


def _condition(h: _HierSel, depth: int | None = None) -> Node | None:
    """The filter the selected members put on rows shown at `depth` (the selection's own by
    default): their conditions on that level and above (a total above them is not filtered)."""
    depth = h.depth if depth is None else depth
    if h.members is None:
        return None
    parts: list[Node] = []
    for conj in h.members:
        cmp = [Compare(LevelRef(h.hierarchy.dimension, h.hierarchy.name, h.hierarchy.levels[i].name), "==", v)
               for i, v in conj if i <= depth]
        if not cmp:
            return None  # one of the members covers every row at that depth
        parts.append(cmp[0] if len(cmp) == 1 else And(tuple(cmp)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


def translate(text: str, model: CubeModel, members_of: Callable[[LevelRef], Sequence[Any]], *,
              keep_totals: bool = False) -> MdxQuery:
    """The cube query `text` asks of `model`; `members_of(level)` lists a level's members (to check
    the members the query names and type them as the level does)."""
    select = parse(text)
    if select.cube.text != model.name:
        raise MdxError(f"The query reads cube [{select.cube.text}] but this is cube [{model.name}]", text,
                       select.cube.pos)
    tr = _Translator(text, model, members_of)
    # Levels of ROWS come first, then COLUMNS, then further axes (the order atoti's frames have).
    axes = sorted(select.axes, key=lambda a: (0 if a.number == 1 else 1 if a.number == 0 else 2, a.number))
    measures: list[str] = []
    shown: dict[tuple[str, str], _HierSel] = {}
    filters: list[Node] = []
    empty_rows = False
    for axis in axes:
        part = tr.evaluate(axis.set)
        if part.measures and measures:
            raise MdxError("Measures appear on two axes", text, axis.pos)
        measures += part.measures
        for key, h in part.hierarchies.items():
            if key in shown:
                raise MdxError(f"Hierarchy [{key[0]}].[{key[1]}] appears on two axes", text, axis.pos)
            shown[key] = h
        if part.hierarchies and not (axis.non_empty or part.non_empty):
            empty_rows = True
    if select.where is not None:
        where = tr.evaluate(select.where)
        if where.measures:
            if measures or len(where.measures) > 1:
                raise MdxError("The slicer names a measure already chosen on an axis, or several measures", text,
                               _pos(select.where))
            measures = where.measures
        for key, h in where.hierarchies.items():
            if key in shown:
                raise MdxError(f"Hierarchy [{key[0]}].[{key[1]}] is both on an axis and in the slicer", text,
                               _pos(select.where))
            condition = _condition(h)
            if condition is not None:
                filters.append(condition)
    if not measures and DEFAULT_MEASURE in model.measures:
        measures = [DEFAULT_MEASURE]
    # One query per combination of the depths each hierarchy shows: the deepest first (the rows
    # without totals), then, with keep_totals, every combination with a total in it.
    choices = [[h.depth] + (sorted(h.totals, reverse=True) if keep_totals else []) for h in shown.values()]
    specs = []
    for combo in itertools.product(*choices):
        parts, levels = list(filters), []
        for h, depth in zip(shown.values(), combo):
            if depth >= 0:
                condition = _condition(h, depth)
                if condition is not None:
                    parts.append(condition)
                levels.append(LevelRef(h.hierarchy.dimension, h.hierarchy.name, h.hierarchy.levels[depth].name))
        node = None if not parts else parts[0] if len(parts) == 1 else And(tuple(parts))
        specs.append(QuerySpec(measures=tuple(measures), levels=tuple(levels), filter=node,
                               include_empty_rows=empty_rows))
    return MdxQuery(model.name, tuple(specs))


@dataclass(frozen=True)
class Combined:
    """The cell sets of a query's total combinations as one result: per level (those of the deepest
    cell set) its members and, per row, a member position (-1 on a total); the measures' columns;
    rows in hierarchy order, totals before their members (atoti's hierarchized order)."""

    names: list[str]
    members: list[np.ndarray]
    codes: list[np.ndarray]
    measures: pd.DataFrame

    def raw(self) -> pd.DataFrame:
        """cube.query's raw shape: levels as columns (None on totals), then the measures."""
        columns: dict[str, Any] = {}
        for name, members, codes in zip(self.names, self.members, self.codes):
            values = np.append(members, None)
            columns[name] = values[np.where(codes < 0, len(members), codes)]
        # Built as to_frame builds raw results, so both infer the same column types.
        return pd.DataFrame({**columns, **{m: self.measures[m].array for m in self.measures.columns}})

    def pretty(self) -> pd.DataFrame:
        """The measures indexed by the levels, "Total" on a total in the first level and "" below."""
        if not self.names:
            return self.measures
        parts = []
        for i, (members, codes) in enumerate(zip(self.members, self.codes)):
            values = pd.Index([*members, "Total" if i == 0 else ""], dtype=object)
            parts.append((values, np.where(codes < 0, len(members), codes)))
        if len(parts) == 1:
            values, codes = parts[0]
            index: pd.Index = pd.Index(values.take(codes), name=self.names[0], tupleize_cols=False)
        else:
            index = pd.MultiIndex(levels=[p[0] for p in parts], codes=[p[1] for p in parts], names=self.names,
                                  verify_integrity=False)
        return self.measures.set_axis(index, axis=0)


def combine(cells: Sequence[CellSet], measures: Sequence[pd.DataFrame]) -> Combined:
    """`cells` (the deepest first) and their measures' columns as one :class:`Combined` result."""
    full = cells[0].levels
    members = [_objects(g.members.values) for g in full]
    codes: list[list[np.ndarray]] = [[] for _ in full]
    for cell_set, frame in zip(cells, measures):
        present = {g.ref: (g, idx) for g, idx in zip(cell_set.levels, cell_set.member_index)}
        rows = len(frame)
        for i, g in enumerate(full):
            if g.ref not in present:
                codes[i].append(np.full(rows, -1, dtype=np.int64))
                continue
            level, index = present[g.ref]
            # Map this cell set's member positions onto the deepest one's (commits may come between
            # the queries): a lookup over the level's members, not over the rows.
            position = {v: j for j, v in enumerate(g.members.values)}
            remap = np.array([position.get(v, -1) for v in level.members.values] + [-1], dtype=np.int64)
            codes[i].append(remap[np.where(index < 0, len(remap) - 1, index)])
    joined = [np.concatenate(c) for c in codes]
    frame = pd.concat(list(measures), ignore_index=True)
    order = np.lexsort(joined[::-1]) if joined else np.arange(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    return Combined([g.ref.level for g in full], members, [c[order] for c in joined], frame)


def _objects(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out
