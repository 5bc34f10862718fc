"""Session: holds tables (and cubes) in this Python process and serves them."""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._engine import types as T
from ._engine.load import arrow as arrow_source
from ._engine.load import csv as csv_source
from ._engine.load import parquet as parquet_source
from ._engine.load import paths as source_paths
from ._engine.load.report import LoadIssue
from ._engine.store.columns import ColumnSpec
from ._engine.store.database import Store
from .config import LoggingConfig, SessionConfig, UserContentStorageConfig
from .cube import Cube, Cubes, build_model
from .data_load import CsvLoad
from .errors import SessionClosedError
from .security import require_security as _require_security
from .security import security_from_config as _security_from_config
from .table import Table, csv_options
from .tables import Tables
from .watch import Watcher
from .watch import watch as _watch

_ids = itertools.count(1)
_running_by_name: dict[str, weakref.ref[Session]] = {}
_registry_lock = threading.Lock()


def _close_resources(state: dict[str, Any]) -> None:
    """Free what a session holds; runs on close() and when the session is garbage collected."""
    server = state.pop("server", None)
    if server is not None:
        server.stop()
    content = state.pop("content", None)
    if content is not None:
        content.close()
    handler = state.pop("handler", None)
    logger = state.get("logger")
    if handler is not None and logger is not None:
        logger.removeHandler(handler)
        handler.close()
    closed = state.get("closed_event")
    if closed is not None:
        closed.set()


class Session:
    """A session: tables, cubes and the server that exposes them.

    >>> import atoti_lab as tt
    >>> session = tt.Session.start()
    >>> table = session.create_table("Example", data_types={"Id": "String", "Qty": "int"}, keys={"Id"})
    >>> table += ("a", 1)
    >>> len(table)
    1
    >>> session.close()
    """

    def __init__(
        self,
        *,
        name: str | None = "Unnamed",
        port: int = 0,
        user_content_storage: Path | str | UserContentStorageConfig | None = None,
        ready: bool = True,
        logging: LoggingConfig | None = None,
        **kwargs: Any,
    ) -> None:
        config = kwargs.pop("_config", None) or SessionConfig(
            port=port, user_content_storage=user_content_storage, ready=ready, logging=logging,
            security=kwargs.pop("security", None), https=kwargs.pop("https", None),
        )
        self._config: SessionConfig = config
        self._security = _security_from_config(config)  # before anything to undo: it may refuse the config
        self._name = name
        self._id = f"{os.getpid()}-{next(_ids)}"
        self._database_store = Store()
        self._cubes: dict[str, Cube] = {}
        self._ready = config.ready
        self._closed = False
        self._state: dict[str, Any] = {"closed_event": threading.Event()}
        self._log = self._make_logger(config.logging)
        if name is not None:
            self._replace_running(name)
        self._finalizer = weakref.finalize(self, _close_resources, self._state)
        from ._server.content import ContentStore, storage_path
        from ._server.endpoints import Endpoints

        self._endpoints = Endpoints()
        self._content = ContentStore(storage_path(config.user_content_storage))
        self._state["content"] = self._content
        self._server = self._start_server(config.port)
        self._log.info("Session %s started (name=%r)", self._id, name)

    @classmethod
    def start(cls, config: SessionConfig | None = None, /) -> Session:
        """Start a new session (atoti 0.9's entry point)."""
        return cls(name=None, _config=config or SessionConfig())

    @classmethod
    def connect(cls, url: str, *, authentication: Any = None, certificate_authority: Any = None) -> Any:
        """Connect to a running session at `url`; see :func:`atoti_lab._client.session.connect`."""
        from ._client.session import connect

        return connect(url, authentication=authentication, certificate_authority=certificate_authority)

    @property
    def security(self) -> Any:
        """Users, passwords and roles (needs ``tt.SessionConfig(security=tt.SecurityConfig())``)."""
        return _require_security(self._security)

    # -- lifecycle ------------------------------------------------------------------------------
    def _start_server(self, port: int) -> Any:
        from ._server import ServerHandle, create_app

        # The app holds a weak reference so that an unused session can still be garbage collected.
        from .security import https_from_config

        server = ServerHandle.start(create_app(_SessionProxy(self)), port=port, logger=self._log,
                                    https=https_from_config(self._config))
        self._state["server"] = server
        return server

    def _replace_running(self, name: str) -> None:
        # Notebooks re-run cells: a new session with a running one's name replaces it.
        with _registry_lock:
            previous = _running_by_name.get(name)
            _running_by_name[name] = weakref.ref(self)
        older = previous() if previous is not None else None
        if older is not None and older is not self and not older.closed:
            older.close()

    def _make_logger(self, config: LoggingConfig | None) -> logging.Logger:
        if config is not None and config.destination is not None:
            path = Path(config.destination)
        else:
            path = Path(tempfile.gettempdir()) / "atoti_lab" / self._id / "logs" / "session.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        logger = logging.getLogger(f"atoti_lab.session.{self._id}")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        self._state.update(logger=logger, handler=handler)
        self._logs_path = path
        return logger

    def close(self) -> None:
        """Close the session and free its resources (the port, the data)."""
        if self._closed:
            return
        self._log.info("Session %s closed", self._id)
        self._closed = True
        if self._name is not None:
            with _registry_lock:
                ref = _running_by_name.get(self._name)
                if ref is not None and ref() is self:
                    del _running_by_name[self._name]
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(self) -> None:
        """Block until the session is closed (e.g. from another thread or a signal)."""
        self._state["closed_event"].wait()

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def port(self) -> int:
        """The port the session's web app and HTTP API listen on."""
        return self._server.port

    @property
    def url(self) -> str:
        """The base URL of the session's web app and HTTP API."""
        return self._server.url

    @property
    def logs_path(self) -> Path:
        """The file the session writes its log to."""
        return self._logs_path

    @property
    def ready(self) -> bool:
        """Whether the session accepts queries from its users (False while preparing data)."""
        return self._ready

    @ready.setter
    def ready(self, value: bool) -> None:
        self._ready = bool(value)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running"
        return f"Session(name={self._name!r}, {state}, tables={list(self._database_store.tables)})"

    @property
    def _database(self) -> Store:
        if self._closed:
            raise SessionClosedError("This session is closed; start a new one with tt.Session.start().")
        return self._database_store

    # -- tables ---------------------------------------------------------------------------------
    @property
    def tables(self) -> Tables:
        self._database  # noqa: B018 - raises when closed
        return Tables(self)

    def create_table(
        self,
        name: str,
        *,
        data_types: Mapping[str, str] | None = None,
        keys: AbstractSet[str] | Sequence[str] = frozenset(),
        default_values: Mapping[str, Any] | None = None,
        partitioning: str | None = None,
        types: Mapping[str, str] | None = None,
    ) -> Table:
        """Create an empty table with columns of the given types."""
        data_types = _data_types_arg(data_types, types)
        if not data_types:
            raise ValueError(f"Table {name!r} needs at least one column: pass data_types={{column: type}}.")
        columns = list(data_types)
        key_list = _ordered_keys(keys, columns)
        specs = _column_specs(name, {c: data_types[c] for c in columns}, key_list, default_values or {})
        self._database.create_table(name, specs, key_list)
        self._log.info("Created table %r", name)
        return Table(self, name)

    def _read(self, data: pa.Table, *, table_name: str, keys: Any, data_types: Mapping[str, str] | None,
              default_values: Mapping[str, Any] | None, source: str, issues: Sequence[LoadIssue] = ()) -> Table:
        inferred = arrow_source.infer_types(data.schema)
        inferred.update({c: T.normalize(t, where=f"column {c!r}") for c, t in (data_types or {}).items()})
        table = self.create_table(table_name, data_types=inferred, keys=keys, default_values=default_values)
        try:
            table._load_arrow(data, source, issues)
        except BaseException:
            self._database.drop_table(table_name)
            raise
        return table

    def read_pandas(self, dataframe: pd.DataFrame, /, *, table_name: str, keys: Any = frozenset(),
                    partitioning: str | None = None, data_types: Mapping[str, str] | None = None,
                    default_values: Mapping[str, Any] | None = None, types: Mapping[str, str] | None = None,
                    **kwargs: Any) -> Table:
        """Create a table from a pandas DataFrame."""
        data = arrow_source.from_pandas(dataframe)
        return self._read(data, table_name=table_name, keys=keys, data_types=_data_types_arg(data_types, types),
                          default_values=default_values, source="pandas DataFrame")

    def read_arrow(self, table: pa.Table, /, *, table_name: str, keys: Any = frozenset(),
                   partitioning: str | None = None, data_types: Mapping[str, str] | None = None,
                   default_values: Mapping[str, Any] | None = None, types: Mapping[str, str] | None = None) -> Table:
        """Create a table from a pyarrow Table."""
        return self._read(table, table_name=table_name, keys=keys, data_types=_data_types_arg(data_types, types),
                          default_values=default_values, source="pyarrow Table")

    def read_numpy(self, array: np.ndarray, /, *, columns: Sequence[str], table_name: str, keys: Any = frozenset(),
                   partitioning: str | None = None, data_types: Mapping[str, str] | None = None,
                   default_values: Mapping[str, Any] | None = None, types: Mapping[str, str] | None = None) -> Table:
        """Create a table from a 2D NumPy array, naming its columns."""
        data = arrow_source.from_numpy(array, columns)
        return self._read(data, table_name=table_name, keys=keys, data_types=_data_types_arg(data_types, types),
                          default_values=default_values, source="NumPy array")

    def read_csv(self, path: Path | str, /, *, keys: Any = frozenset(), table_name: str | None = None,
                 separator: str | None = ",", encoding: str = "utf-8", process_quotes: bool | None = True,
                 partitioning: str | None = None, data_types: Mapping[str, str] | None = None,
                 default_values: Mapping[str, Any] | None = None, array_separator: str | None = None,
                 date_patterns: Mapping[str, str] | None = None, columns: Mapping[str, str] | Sequence[str] = {},
                 true_values: Sequence[str] = (), false_values: Sequence[str] = (),
                 types: Mapping[str, str] | None = None, client_side_encryption: object | None = None,
                 **kwargs: Any) -> Table:
        """Create a table from CSV file(s): a path or a glob such as ``"data/*.csv"``.

        Rows that cannot be parsed are skipped and listed in ``table.loading_report``.
        """
        spec = CsvLoad(path, columns=columns, separator=separator, encoding=encoding, process_quotes=process_quotes,
                       array_separator=array_separator, date_patterns=date_patterns or {},
                       true_values=true_values, false_values=false_values)
        files = source_paths.expand(path)
        given = _data_types_arg(data_types, types)
        data, issues = csv_source.read_csv(files, csv_options(spec), given or None)
        name = table_name or _name_from_path(path)
        return self._read(data, table_name=name, keys=keys, data_types=given, default_values=default_values,
                          source=str(path), issues=issues)

    def read_parquet(self, path: Path | str, /, *, keys: Any = frozenset(), columns: Mapping[str, str] = {},
                     table_name: str | None = None, partitioning: str | None = None,
                     default_values: Mapping[str, Any] | None = None, data_types: Mapping[str, str] | None = None,
                     client_side_encryption: object | None = None) -> Table:
        """Create a table from Parquet file(s): a path or a glob."""
        files = source_paths.expand(path)
        data = parquet_source.read_parquet(files, columns=columns, data_types=data_types)
        name = table_name or _name_from_path(path)
        return self._read(data, table_name=name, keys=keys, data_types=data_types, default_values=default_values,
                          source=str(path))

    # -- cubes ----------------------------------------------------------------------------------
    @property
    def cubes(self) -> Cubes:
        self._database  # noqa: B018 - raises when closed
        return Cubes(self)

    def create_cube(self, base_table: Table, name: str | None = None, *, mode: str = "auto",
                    filter: object | None = None, **kwargs: Any) -> Cube:
        """A cube over `base_table` and the tables joined to it.

        mode="auto": a hierarchy for each key or non-numeric column, ``X.SUM`` and ``X.MEAN`` for
        each numeric column of the base table, and ``contributors.COUNT``;
        "no_measures": the same hierarchies, no measures but the count; "manual": no hierarchy and
        no measure but the count (define them yourself).
        """
        if not isinstance(base_table, Table):
            raise TypeError(f"create_cube() takes a table of the session, got {base_table!r}.")
        if filter is not None:
            raise NotImplementedError("create_cube(filter=...) is not supported yet.")
        name = name or base_table.name
        model = build_model(self, base_table, name, mode)
        cube = Cube(self, model)
        self._cubes[name] = cube
        self._log.info("Created cube %r over %r (%d hierarchies, %d measures)", name, base_table.name,
                       len(model.hierarchies), len(model.measures))
        return cube

    def query_mdx(self, mdx: str, /, *, keep_totals: bool = False, timeout: Any = None, mode: str = "pretty",
                  context: Mapping[str, Any] | None = None, explain: bool = False, **kwargs: Any) -> pd.DataFrame:
        """Run an MDX SELECT query: levels of every axis as the index (ROWS first), measures as columns.

        >>> session.query_mdx("SELECT [Measures].[Price.SUM] ON COLUMNS, "  # doctest: +SKIP
        ...                   "NON EMPTY [Prices].[Country].[Country].Members ON ROWS FROM [Prices]")

        ``keep_totals=True`` keeps the total rows the query asks for (an ``[AllMember]``, a
        ``DrilldownLevel``). `timeout` and `context` are accepted for atoti compatibility (queries run
        in memory, to completion)."""
        from ._engine.result.to_pandas import to_frame

        if mode not in ("pretty", "raw"):
            raise ValueError(f"mode must be 'pretty' or 'raw', got {mode!r}.")
        if explain:
            raise NotImplementedError("query_mdx(explain=True) is not supported.")
        cells, formatters = self._run_mdx(mdx, keep_totals=keep_totals)
        if len(cells) == 1:
            return to_frame(cells[0], mode=mode, formatters=formatters)
        combined = self._mdx_combined(cells, formatters)
        if mode == "raw":
            return combined.raw()
        from ._engine.result.frame import QueryResult

        return QueryResult.from_frame(combined.pretty(), formatters)

    def _run_mdx(self, mdx: str, *, keep_totals: bool) -> tuple[list[Any], dict[str, str | None]]:
        """The cell sets of an MDX query (rows without totals first, then each combination of
        totals) and its measures' formatters: for query_mdx and the server's route."""
        from ._engine.mdx import MdxError, from_cube, translate

        cube_token = from_cube(mdx)
        name = cube_token.text
        cubes = self.cubes
        if name not in cubes:
            raise MdxError(f"The session has no cube [{name}]; its cubes are {sorted(cubes)}", mdx, cube_token.pos)
        cube = cubes[name]
        runner = cube._runner

        def members_of(ref: Any) -> list[Any]:
            h = cube._model.hierarchies[(ref.dimension, ref.hierarchy)]
            level = next(lvl for lvl in h.levels if lvl.name == ref.level)
            return runner.resolver.members(level).values

        query = translate(mdx, cube._model, members_of, keep_totals=keep_totals)
        measures = query.specs[0].measures
        return [cube._cells(spec) for spec in query.specs], {m: cube._model.measures[m].formatter for m in measures}

    @staticmethod
    def _mdx_combined(cells: list[Any], formatters: dict[str, str | None]) -> Any:
        """`_run_mdx`'s cell sets as one result (see ``_engine.mdx.Combined``)."""
        from ._engine.mdx import combine
        from ._engine.result.to_pandas import to_frame

        return combine(cells, [to_frame(c, mode="raw", formatters=formatters)[list(formatters)] for c in cells])

    # -- server ---------------------------------------------------------------------------------
    @property
    def link(self) -> Any:
        """Link to the session's web app: return it from a notebook cell to display it.

        Add a path with ``/``: ``session.link / "#/dashboard/1"``. Under a Jupyter server the
        displayed link goes through the server extension's proxy (``{base_url}atoti-lab/proxy/{port}/``).
        """
        from ._server.link import Link

        return Link(self.url, self.port)

    def endpoint(self, route: str, *, method: str = "GET") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Serve the decorated function at ``{session.url}/atoti/pyapi/{route}``.

        The function takes ``(request, user, session, /)`` and returns the response body as JSON-convertible
        data; ``request.path_parameters`` holds the ``{name}`` parts of `route`, ``request.body`` the
        parsed JSON body (DELETE, PATCH, POST and PUT). See :mod:`atoti_lab._server.endpoints`.
        """
        from ._server.endpoints import check_route

        route, method = check_route(route, method)

        def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
            self._endpoints.add(route, method, handler)
            return handler

        return decorator

    # -- widgets --------------------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """A live pivot over the session's cube: return it from a notebook cell to display it."""
        from .widgets.pivot import Pivot

        return Pivot.of_session(self)

    def visualize(self, name: str | None = None) -> Any:
        """A live pivot over the session's cube, titled `name` (the older API of ``widget``)."""
        from .widgets.pivot import Pivot

        return Pivot.of_session(self, title=name or "")

    def watch(self, path_or_glob: Path | str, table: Table | str, /, **kwargs: Any) -> Watcher:
        return _watch(self, path_or_glob, table, **kwargs)

    watch.__doc__ = _watch.__doc__

    @contextmanager
    def start_transaction(self) -> Iterator[None]:
        """Deprecated: use ``session.tables.data_transaction()``."""
        warnings.warn(
            "start_transaction() is deprecated, use session.tables.data_transaction() instead.",
            FutureWarning,
            stacklevel=3,
        )
        with self.tables.data_transaction():
            yield


class _SessionProxy:
    """What the server sees of a session: its attributes, through a weak reference."""

    def __init__(self, session: Session) -> None:
        self._ref = weakref.ref(session)

    def __getattr__(self, name: str) -> Any:
        session = self._ref()
        if session is None:
            raise SessionClosedError("The session was garbage collected.")
        return getattr(session, name)


def _data_types_arg(data_types: Mapping[str, str] | None, types: Mapping[str, str] | None) -> dict[str, str]:
    if types is not None:
        warnings.warn("The `types` parameter is deprecated, use `data_types` instead.", FutureWarning, stacklevel=3)
        if data_types:
            raise ValueError("Pass either `data_types` or the deprecated `types`, not both.")
        data_types = types
    return {c: T.normalize(t, where=f"column {c!r}") for c, t in (data_types or {}).items()}


def _ordered_keys(keys: Any, columns: Sequence[str]) -> list[str]:
    if isinstance(keys, str):
        keys = [keys]
    unknown = [k for k in keys if k not in columns]
    if unknown:
        raise ValueError(f"Key columns {unknown} are not among the table's columns {list(columns)}.")
    if isinstance(keys, AbstractSet):
        return [c for c in columns if c in keys]  # sets have no order: use the columns'
    return list(dict.fromkeys(keys))


def _column_specs(table: str, data_types: Mapping[str, str], keys: Sequence[str],
                  default_values: Mapping[str, Any]) -> list[ColumnSpec]:
    unknown = [c for c in default_values if c not in data_types]
    if unknown:
        raise ValueError(f"default_values names columns {unknown} that table {table!r} does not have.")
    specs = []
    for column, data_type in data_types.items():
        is_key = column in keys
        if column in default_values:
            default = default_values[column]
            if default is None and is_key:
                raise ValueError(f"Key column {column!r} of table {table!r} cannot have None as default value.")
        else:
            default = T.default_value(data_type, key=is_key)
        specs.append(ColumnSpec(column, data_type, default))
    return specs


def _name_from_path(path: Path | str) -> str:
    name = Path(str(path)).name
    for suffix in (".csv", ".parquet", ".gz", ".zip", ".txt"):
        name = name.removesuffix(suffix)
    name = name.replace("*", "").strip("_-. ") or "table"
    return name
