"""``tt.experimental``: the context that allows experimental features, as atoti 0.9 has it.

atoti marks some functions experimental (``tt.stats.*``, ``tt.finance.irr``): calling one outside
``with tt.experimental({"<key>"}):`` raises. The older spelling of the same functions,
``tt.experimental.stats.t.cdf(...)`` (atoti up to 0.9.4), works without the context.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_DISTRIBUTIONS = ("beta", "chi2", "f", "normal", "t")
FEATURES: frozenset[str] = frozenset(
    {f"stats.{d}.{f}" for d in _DISTRIBUTIONS for f in ("cdf", "pdf", "ppf")} | {"finance.irr", "agg.distinct"}
)

_allowed: ContextVar[frozenset[str]] = ContextVar("atoti_lab_experimental", default=frozenset())


def require(key: str) -> None:
    """Raise unless the experimental feature `key` is allowed in the current context."""
    if key not in _allowed.get():
        raise RuntimeError(f"tt.{key}() is experimental: call it inside `with tt.experimental({{{key!r}}}): ...`.")


class _Namespace:
    """A module seen through the old ``tt.experimental.<module>`` path: its functions run ungated."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        target = getattr(importlib.import_module(self._module), name)
        if isinstance(target, type(importlib)):  # a submodule, e.g. stats.t
            return _Namespace(target.__name__)
        if not callable(target):
            return target

        def ungated(*args: Any, **kwargs: Any) -> Any:
            with experimental(FEATURES):
                return target(*args, **kwargs)

        ungated.__name__ = ungated.__qualname__ = name
        ungated.__doc__ = target.__doc__
        return ungated

    def __dir__(self) -> list[str]:
        return list(getattr(importlib.import_module(self._module), "__all__", []))

    def __repr__(self) -> str:
        return f"<namespace {self._module.replace('atoti_lab', 'tt', 1)}>"


class Experimental:
    """``with tt.experimental({"stats.t.ppf"}): ...`` allows the experimental features named."""

    def __init__(self) -> None:
        self.stats = _Namespace("atoti_lab.stats")
        self.finance = _Namespace("atoti_lab.finance")
        self.agg = _Namespace("atoti_lab.agg")  # atoti 0.9.1: tt.experimental.agg.distinct

    def __call__(self, feature_keys: AbstractSet[str] | Callable[[set[str]], AbstractSet[str]], /) -> Any:
        keys = feature_keys(set(FEATURES)) if callable(feature_keys) else feature_keys
        if isinstance(keys, str):
            raise TypeError(f"tt.experimental() takes a set of feature keys, e.g. {{{keys!r}}}.")
        unknown = sorted(set(keys) - FEATURES)
        if unknown:
            raise ValueError(f"No experimental feature {unknown[0]!r}. Known keys: {sorted(FEATURES)}.")
        return _allow(frozenset(keys))

    def __repr__(self) -> str:
        return "tt.experimental"


@contextmanager
def _allow(keys: frozenset[str]) -> Iterator[None]:
    token = _allowed.set(_allowed.get() | keys)  # nested contexts add to the outer one
    try:
        yield
    finally:
        _allowed.reset(token)


experimental = Experimental()
