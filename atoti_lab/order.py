"""Member orders of a level: ``tt.NaturalOrder()`` and ``tt.CustomOrder(first_elements=...)``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NaturalOrder:
    """Members sorted by value (ascending unless told otherwise)."""

    ascending: bool = True


@dataclass(frozen=True)
class CustomOrder:
    """These members first, in this order; the others after them in natural order."""

    first_elements: Sequence[Any] = field(default_factory=tuple)
