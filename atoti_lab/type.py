"""Data types of table columns (``tt.type.STRING`` ...), as atoti names them."""

from __future__ import annotations

from ._engine.types import (
    BOOLEAN,
    DOUBLE,
    DOUBLE_ARRAY,
    FLOAT,
    FLOAT_ARRAY,
    INT,
    INT_ARRAY,
    LOCAL_DATE,
    LOCAL_DATE_TIME,
    LOCAL_TIME,
    LONG,
    LONG_ARRAY,
    STRING,
    ZONED_DATE_TIME,
    DataType,
)

__all__ = [
    "BOOLEAN",
    "DOUBLE",
    "DOUBLE_ARRAY",
    "FLOAT",
    "FLOAT_ARRAY",
    "INT",
    "INT_ARRAY",
    "LOCAL_DATE",
    "LOCAL_DATE_TIME",
    "LOCAL_TIME",
    "LONG",
    "LONG_ARRAY",
    "STRING",
    "ZONED_DATE_TIME",
    "DataType",
]
