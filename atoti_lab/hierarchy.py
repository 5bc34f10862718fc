"""Hierarchies, levels and dimensions of a cube, as mappings with atoti's lookup rules.

A name alone finds the one hierarchy (or level) with that name; when several share it, pass a
tuple: ``h["Dimension", "Hierarchy"]``, ``l["Hierarchy", "Level"]`` or
``l["Dimension", "Hierarchy", "Level"]``. Errors list the candidates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypeVar

from ._condition import Condition
from ._engine.expr.condition import And, Compare, LevelRef, Or
from ._engine.model.cube import HierarchyDef, LevelDef
from ._engine.plan.levels import PathError, join_path
from .column import Column
from .level import Level

if TYPE_CHECKING:
    from .cube import Cube

K = TypeVar("K", bound=tuple)


_PLURAL = {"hierarchy": "hierarchies", "level": "levels"}


def find(key: Any, candidates: list[K], kind: str) -> K:
    """The candidate tuple that `key` (a name or a tuple of trailing names) designates."""
    parts = (key,) if isinstance(key, str) else tuple(key) if isinstance(key, tuple) else ()
    if not parts or not all(isinstance(p, str) for p in parts):
        raise KeyError(f"A {kind} is looked up by name or by a tuple of names, got {key!r}.")
    matches = [c for c in candidates if c[-len(parts):] == parts]
    if len(matches) == 1:
        return matches[0]
    plural = _PLURAL.get(kind, f"{kind}s")
    if not matches:
        known = sorted({c[-1] for c in candidates})
        raise KeyError(f"No {kind} named {key!r}. Known {plural}: {known}.")
    raise KeyError(f"Several {plural} are named {key!r}: {sorted(matches)}; pass one of these tuples instead.")


class Hierarchy(Mapping[str, Level]):
    """A hierarchy: ordered levels, from the coarsest to the finest."""

    def __init__(self, cube: Cube, key: tuple[str, str]) -> None:
        self._cube = cube
        self._key = key

    @property
    def _def(self) -> HierarchyDef:
        found = self._cube._model.hierarchies.get(self._key)
        if found is None:
            raise KeyError(f"Hierarchy {self._key} no longer exists in cube {self._cube.name!r}.")
        return found

    @property
    def name(self) -> str:
        return self._key[1]

    @property
    def dimension(self) -> str:
        return self._key[0]

    @property
    def levels(self) -> Mapping[str, Level]:
        return {lvl.name: Level(self._cube, LevelRef(*self._key, lvl.name)) for lvl in self._def.levels}

    def __getitem__(self, name: str) -> Level:
        levels = self.levels
        if name not in levels:
            raise KeyError(f"Hierarchy {self.name!r} has no level {name!r}; its levels are {list(levels)}.")
        return levels[name]

    def __iter__(self) -> Iterator[str]:
        return iter([lvl.name for lvl in self._def.levels])

    def __len__(self) -> int:
        return len(self._def.levels)

    @property
    def slicing(self) -> bool:
        """When True, the hierarchy has no total: queries not expressing it show its first member."""
        return self._def.slicing

    @slicing.setter
    def slicing(self, value: bool) -> None:
        self._cube._model.update_hierarchy(self._key, slicing=bool(value))

    @property
    def visible(self) -> bool:
        return self._def.visible

    @visible.setter
    def visible(self, value: bool) -> None:
        self._cube._model.update_hierarchy(self._key, visible=bool(value))

    def isin(self, *member_paths: tuple[Any, ...]) -> Condition:
        """Members on any of `member_paths`, each a tuple of members from the top level down,
        e.g. ``h["Geography"].isin(("America",), ("Europe", "Germany"))``."""
        levels = list(self._def.levels)
        alternatives = []
        for path in member_paths:
            path = tuple(path) if isinstance(path, (tuple, list)) else (path,)
            if not path or len(path) > len(levels):
                raise ValueError(
                    f"A member path of hierarchy {self.name!r} has 1 to {len(levels)} members, got {path!r}."
                )
            tests = tuple(Compare(LevelRef(*self._key, lvl.name), "==", member) for lvl, member in zip(levels, path))
            alternatives.append(tests[0] if len(tests) == 1 else And(tests))
        if not alternatives:
            raise ValueError("isin() needs at least one member path.")
        return Condition(alternatives[0] if len(alternatives) == 1 else Or(tuple(alternatives)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hierarchy) and (self._cube, self._key) == (other._cube, other._key)

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"Hierarchy({self.dimension!r}, {self.name!r}, levels={list(self)})"


class Hierarchies(MutableMapping[tuple[str, str], Hierarchy]):
    """``cube.hierarchies``: by name or (dimension, name); assign a list or dict of columns/levels to define one."""

    def __init__(self, cube: Cube) -> None:
        self._cube = cube

    def _keys(self) -> list[tuple[str, str]]:
        return list(self._cube._model.hierarchies)

    def __getitem__(self, key: Any) -> Hierarchy:
        return Hierarchy(self._cube, find(key, self._keys(), "hierarchy"))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __delitem__(self, key: Any) -> None:
        self._cube._model.delete_hierarchy(find(key, self._keys(), "hierarchy"))

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, Mapping):
            items = list(value.items())
        elif isinstance(value, (list, tuple)):
            items = [(_default_name(v), v) for v in value]
        else:
            raise TypeError("A hierarchy is defined by a list of columns/levels or a dict of level name -> column/level.")
        if not items:
            raise ValueError("A hierarchy needs at least one level.")
        levels = tuple(self._level_def(name, v) for name, v in items)
        names = [lvl.name for lvl in levels]
        if len(set(names)) != len(names):
            raise ValueError(f"A hierarchy cannot have two levels with the same name: {names}.")
        if isinstance(key, tuple):
            dimension, name = key
        else:
            name = key
            existing = [k for k in self._keys() if k[1] == name]
            dimension = existing[0][0] if len(existing) == 1 else _default_dimension(items[0][1])
        old = self._cube._model.hierarchies.get((dimension, name))
        self._cube._model.set_hierarchy(HierarchyDef(dimension, name, levels, old.slicing if old else False,
                                                     old.visible if old else True))

    def _level_def(self, name: str, value: Any) -> LevelDef:
        if isinstance(value, Level):
            base = value._def
            return LevelDef(name, base.column, base.transform, base.order, base.data_type)
        if isinstance(value, Column):
            try:
                join_path(self._cube._session._database, self._cube._model.base_table, value._ref.table)
            except PathError as e:
                raise ValueError(f"Column {value._ref}: {e}") from None
            return LevelDef(name, value._ref, None, data_type=value.data_type)
        raise TypeError(f"A level is defined by a column or a level, got {value!r}.")

    def __repr__(self) -> str:
        return f"Hierarchies({[f'{d}/{h}' for d, h in self._keys()]})"


def _default_name(value: Any) -> str:
    if isinstance(value, (Column, Level)):
        return value.name
    raise TypeError(f"A level is defined by a column or a level, got {value!r}.")


def _default_dimension(value: Any) -> str:
    if isinstance(value, Level):
        return value.dimension
    return value._ref.table


class Levels(Mapping[tuple[str, str, str], Level]):
    """``cube.levels``: by name, (hierarchy, name) or (dimension, hierarchy, name)."""

    def __init__(self, cube: Cube) -> None:
        self._cube = cube

    def _keys(self) -> list[tuple[str, str, str]]:
        return [(h.dimension, h.name, lvl.name) for h in self._cube._model.hierarchies.values() for lvl in h.levels]

    def __getitem__(self, key: Any) -> Level:
        return Level(self._cube, LevelRef(*find(key, self._keys(), "level")))

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __repr__(self) -> str:
        return f"Levels({[k[-1] for k in self._keys()]})"


class Dimension(Mapping[str, Hierarchy]):
    """The hierarchies of one dimension."""

    def __init__(self, cube: Cube, name: str) -> None:
        self._cube = cube
        self.name = name

    def _names(self) -> list[str]:
        return [h for d, h in self._cube._model.hierarchies if d == self.name]

    def __getitem__(self, name: str) -> Hierarchy:
        if name not in self._names():
            raise KeyError(f"Dimension {self.name!r} has no hierarchy {name!r}; it has {self._names()}.")
        return Hierarchy(self._cube, (self.name, name))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        return f"Dimension({self.name!r}, hierarchies={self._names()})"


class Dimensions(Mapping[str, Dimension]):
    def __init__(self, cube: Cube) -> None:
        self._cube = cube

    def _names(self) -> list[str]:
        return list(dict.fromkeys(d for d, _ in self._cube._model.hierarchies))

    def __getitem__(self, name: str) -> Dimension:
        if name not in self._names():
            raise KeyError(f"No dimension named {name!r}; the dimensions are {self._names()}.")
        return Dimension(self._cube, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())
