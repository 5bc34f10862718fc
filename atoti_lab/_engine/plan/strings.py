"""``tt.string.concat``: measures (and constants) joined into one string per cell.

``Op("string.concat", (Lit(separator), *operands))``. Numbers print as Java prints them (atoti's
server builds the string), e.g. ``2.0`` for a double and ``2`` for a long; a cell where any
operand is empty is empty, as in arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import types as T
from ..expr.measure import Lit, Node, Op

CONCAT = "string.concat"


def concat_type(node: Op, operand_type: Callable[[Node], str]) -> str:
    """String; types (and so validates) the non-constant operands."""
    for arg in node.args[1:]:
        if isinstance(arg, Lit):
            continue
        data_type = operand_type(arg)
        if T.is_array(data_type) or data_type == "Object[]":
            raise TypeError(f"tt.string.concat() joins single values, not arrays ({data_type}).")
    return T.STRING


def _texts(values: np.ndarray) -> list[str]:
    from ..result.formatter import format_values  # the result layer knows Java's number text

    if values.dtype == object:
        return [v if isinstance(v, str) else format_values([v], None)[0] for v in values.tolist()]
    return format_values(values, None)


def concat(node: Op, evaluate: Callable[[Node], Any], n: int) -> Any:
    from .evaluate import Vec

    separator = node.args[0].value
    columns: list[list[str]] = []
    present = np.ones(n, np.bool_)
    for arg in node.args[1:]:
        if isinstance(arg, Lit):
            columns.append([arg.value if isinstance(arg.value, str) else _texts(np.array([arg.value]))[0]] * n)
            continue
        vec = evaluate(arg)
        present &= vec.present
        columns.append(_texts(vec.values) if n else [])
    out = np.full(n, None, dtype=object)
    for i in np.flatnonzero(present):
        out[i] = separator.join(column[i] for column in columns)
    return Vec(out, present)


__all__ = ["CONCAT", "concat", "concat_type"]
