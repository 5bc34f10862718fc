"""atoti_lab: multidimensional analytics in a notebook, with atoti's API and no JVM.

>>> import atoti_lab as tt
>>> session = tt.Session.start()
"""

from __future__ import annotations

from . import agg, array, finance, math, stats, string, type
from ._condition import Condition
from ._experimental import experimental
from ._jupyter import _jupyter_server_extension_points
from ._version import __version__
from .authentication import BasicAuthentication
from .column import Column
from .config import LoggingConfig, SessionConfig, UserContentStorageConfig
from .cube import Cube
from .data_load import CsvLoad, ParquetLoad
from .function import switch, where
from .hierarchy import Hierarchy
from .level import Level
from .measure import Measure, MeasureDescription
from .navigation import at, date_diff, date_shift, filter, first, last, parent_value, rank, shift, total
from .order import CustomOrder, NaturalOrder
from .scope import CumulativeScope, OriginScope, SiblingsScope
from .security import BasicAuthenticationConfig, HttpsConfig, SecurityConfig
from .session import Session
from .table import Table
from .tables import Tables

__all__ = [
    "BasicAuthentication",
    "BasicAuthenticationConfig",
    "Column",
    "Condition",
    "CsvLoad",
    "Cube",
    "CumulativeScope",
    "CustomOrder",
    "Hierarchy",
    "HttpsConfig",
    "Level",
    "LoggingConfig",
    "Measure",
    "MeasureDescription",
    "NaturalOrder",
    "OriginScope",
    "ParquetLoad",
    "SecurityConfig",
    "Session",
    "SessionConfig",
    "SiblingsScope",
    "Table",
    "Tables",
    "UserContentStorageConfig",
    "__version__",
    "agg",
    "array",
    "at",
    "date_diff",
    "date_shift",
    "experimental",
    "filter",
    "finance",
    "first",
    "last",
    "math",
    "parent_value",
    "rank",
    "shift",
    "stats",
    "string",
    "switch",
    "total",
    "type",
    "where",
]
