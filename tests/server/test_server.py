"""The session's HTTP server: real uvicorn servers on 127.0.0.1, queried with httpx."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

import atoti_lab as tt
from atoti_lab._server import ServerHandle, ServerStartError, create_app
from atoti_lab._server.wire import from_ipc


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, _Records]]:
    logger = logging.getLogger(f"tests.server.{id(object())}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    records = _Records()
    logger.addHandler(records)
    yield logger, records
    logger.removeHandler(records)


def _ping_app() -> Starlette:
    async def ping(request: object) -> JSONResponse:
        return JSONResponse({"pong": True})

    return Starlette(routes=[Route("/ping", ping)])


@pytest.fixture(scope="module")
def session() -> Iterator[tt.Session]:
    session = tt.Session.start()
    sales = session.read_pandas(
        pd.DataFrame({"City": ["Paris", "London", "Berlin"], "Price": [1.5, 2.0, 3.0], "Qty": [1, 2, 3]}),
        table_name="Sales",
        keys=["City"],
    )
    cube = session.create_cube(sales)
    cube.measures["Price.SUM"].folder = "Prices"
    yield session
    session.close()


@pytest.fixture(scope="module")
def server(session: tt.Session) -> Iterator[ServerHandle]:
    with ServerHandle.start(create_app(session), logger=session._log) as handle:
        yield handle


@pytest.fixture(scope="module")
def client(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


# -- runner -------------------------------------------------------------------------------------


def test_start_serves_on_a_random_port_and_stop_frees_it() -> None:
    handle = ServerHandle.start(_ping_app())
    assert handle.host == "127.0.0.1"
    assert handle.port > 0
    assert handle.url == f"http://127.0.0.1:{handle.port}"
    assert handle.running
    with httpx.Client(timeout=5) as client:
        assert client.get(f"{handle.url}/ping").json() == {"pong": True}
    handle.stop()
    assert not handle.running
    # The port is free right away: a plain socket can bind it, then a new server can too.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", handle.port))
    with ServerHandle.start(_ping_app(), port=handle.port) as again:
        assert httpx.get(f"{again.url}/ping", timeout=5).json() == {"pong": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{again.url}/ping", timeout=5)


def test_stop_is_idempotent() -> None:
    handle = ServerHandle.start(_ping_app())
    handle.stop()
    handle.stop()
    assert "stopped" in repr(handle)


def test_two_servers_get_different_ports() -> None:
    with ServerHandle.start(_ping_app()) as a, ServerHandle.start(_ping_app()) as b:
        assert a.port != b.port
        assert httpx.get(f"{a.url}/ping", timeout=5).status_code == 200
        assert httpx.get(f"{b.url}/ping", timeout=5).status_code == 200


def test_occupied_port_fails_with_a_clear_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServerStartError, match=rf"127\.0\.0\.1:{port}.*already in use"):
            ServerHandle.start(_ping_app(), port=port)


def test_server_started_inside_a_running_event_loop() -> None:
    # A Jupyter kernel runs an asyncio loop in the thread that executes cells: starting (a blocking
    # call) must not need that loop, and the loop must stay free to talk to the server.
    async def cell() -> object:
        assert asyncio.get_running_loop().is_running()
        with ServerHandle.start(_ping_app()) as handle:
            async with httpx.AsyncClient(timeout=5) as client:
                return (await client.get(f"{handle.url}/ping")).json()

    assert asyncio.run(cell()) == {"pong": True}


def test_uvicorn_logs_go_to_the_given_logger_not_to_the_console(log, capfd) -> None:
    logger, records = log
    handle = ServerHandle.start(_ping_app(), logger=logger)
    # A malformed request makes uvicorn log a warning from the server's thread.
    with handle, socket.create_connection(("127.0.0.1", handle.port), timeout=5) as conn:
        conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.1 400")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    messages = [r.getMessage() for r in records.records]
    assert "Invalid HTTP request received." in messages
    assert any(m.startswith("Server listening on http://127.0.0.1:") for m in messages)


# -- app ----------------------------------------------------------------------------------------


def test_versions_rest(client: httpx.Client) -> None:
    response = client.get("/versions/rest")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["serverVersion"] == f"atoti_lab {tt.__version__}"
    assert body["apis"]["atoti"] == {
        "versions": [{"id": "0", "restPath": "/atoti/rest/v0", "wsPath": "/atoti/rest/v0/live"}]
    }


def test_every_advertised_rest_path_is_served(client: httpx.Client) -> None:
    # atoti's clients append routes to restPath: each advertised API must answer below it.
    for api in client.get("/versions/rest").json()["apis"].values():
        for version in api["versions"]:
            base = version["restPath"]
            assert base.startswith("/")
            assert client.get(f"{base}/tables").status_code == 200


def test_tables(client: httpx.Client) -> None:
    assert client.get("/atoti/rest/v0/tables").json() == [
        {
            "name": "Sales",
            "keys": ["City"],
            "columns": [
                {"name": "City", "dataType": "String"},
                {"name": "Price", "dataType": "double"},
                {"name": "Qty", "dataType": "long"},
            ],
            "rowCount": 3,
        }
    ]


def test_cubes(client: httpx.Client, session: tt.Session) -> None:
    [cube] = client.get("/atoti/rest/v0/cubes").json()
    assert cube["name"] == "Sales"
    assert cube["dimensions"] == [
        {
            "name": "Sales",
            "hierarchies": [
                {"name": "City", "visible": True, "slicing": False, "levels": [{"name": "City", "dataType": "String"}]}
            ],
        }
    ]
    measures = {m["name"]: m for m in cube["measures"]}
    assert set(measures) == set(session.cubes["Sales"].measures)
    assert measures["Price.SUM"] == {
        "name": "Price.SUM",
        "dataType": "double",
        "formatter": "DOUBLE[#,###.00]",
        "folder": "Prices",
        "visible": True,
        "description": None,
    }
    assert measures["contributors.COUNT"]["dataType"] == "long"


def test_routes_follow_the_live_session() -> None:
    # The app reads the session on each request: a table created after the server started shows up.
    with tt.Session.start() as session, ServerHandle.start(create_app(session)) as handle:
        assert httpx.get(f"{handle.url}/atoti/rest/v0/tables", timeout=5).json() == []
        table = session.create_table("Late", data_types={"Id": "String", "Qty": "int"}, keys={"Id"})
        table += ("a", 1)
        [late] = httpx.get(f"{handle.url}/atoti/rest/v0/tables", timeout=5).json()
        assert (late["name"], late["rowCount"]) == ("Late", 1)


def test_health(client: httpx.Client) -> None:
    assert client.get("/atoti/pyapi/health").json() == {"status": "ok"}


def test_unknown_route_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "No route for GET /no/such/route."}


def test_wrong_method_is_a_json_405(client: httpx.Client) -> None:
    response = client.delete("/atoti/rest/v0/tables")
    assert response.status_code == 405
    assert "error" in response.json()
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_unhandled_error_is_a_generic_500_logged_once(log) -> None:
    logger, records = log

    class Broken:
        name = None
        _log = logger

        @property
        def tables(self) -> object:
            raise ValueError("secret value 42")

    with ServerHandle.start(create_app(Broken()), logger=logger) as handle:  # type: ignore[arg-type]
        response = httpx.get(f"{handle.url}/atoti/rest/v0/tables", timeout=5)
        assert httpx.get(f"{handle.url}/atoti/pyapi/health", timeout=5).status_code == 200
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error; see the session's logs."}
    assert "secret" not in response.text
    errors = [r for r in records.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None and "secret value 42" in str(errors[0].exc_info[1])


def test_app_works_without_a_server() -> None:
    # The app is plain ASGI and needs only the session's public attributes.
    fake = SimpleNamespace(name="fake", tables={}, cubes={}, _log=logging.getLogger("tests.server.fake"))

    async def get(path: str) -> object:
        transport = httpx.ASGITransport(app=create_app(fake))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return (await client.get(path)).json()

    assert asyncio.run(get("/atoti/rest/v0/tables")) == []
    assert asyncio.run(get("/atoti/rest/v0/cubes")) == []


def test_mdx_route(client: httpx.Client, session: tt.Session) -> None:
    mdx = ("SELECT [Measures].[Qty.SUM] ON COLUMNS, NON EMPTY DrilldownLevel([Sales].[City].[ALL].[AllMember]) "
           "ON ROWS FROM [Sales]")
    answer = client.post("/atoti/rest/v0/query/mdx", json={"mdx": mdx, "keepTotals": True},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    # Totals first, then the cities in level order; the grand total's level is null.
    assert answer.json() == {"columns": ["City", "Qty.SUM"],
                             "data": [[None, 6], ["Berlin", 3], ["London", 2], ["Paris", 1]]}
    arrow = client.post("/atoti/rest/v0/query/mdx", json={"mdx": mdx})
    assert arrow.headers["content-type"].startswith("application/vnd.apache.arrow.stream")
    assert from_ipc(arrow.content).to_pydict() == {"City": ["Berlin", "London", "Paris"], "Qty.SUM": [3, 2, 1]}
    for body, status, text in [
        ({"mdx": "SELECT [Measures].[Nope] ON 0 FROM [Sales]"}, 400, "no measure 'Nope' (MDX line 1, column 19)"),
        ({"mdx": "SELECT FROM"}, 400, "Expected the cube's name after FROM"),
        ({"query": mdx}, 400, "Missing field 'mdx'"),
        ({"mdx": mdx, "keepTotals": "yes"}, 400, "'keepTotals' must be a boolean"),
    ]:
        response = client.post("/atoti/rest/v0/query/mdx", json=body)
        assert response.status_code == status and text in response.json()["error"], response.text
    assert client.post("/atoti/rest/v0/query/mdx", content=mdx).status_code == 415


def test_identical_concurrent_queries_are_computed_once() -> None:
    from atoti_lab._server.app import _Coalescer

    coalescer = _Coalescer()
    release = threading.Event()
    results: list[object] = []

    def slow() -> object:
        # Hold the computation until the three other callers have joined it.
        deadline = time.monotonic() + 30
        while coalescer.joined < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        release.set()
        return object()

    threads = [threading.Thread(target=lambda: results.append(coalescer.run("q", slow))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert release.is_set() and coalescer.computed == 1 and coalescer.joined == 3
    assert len(results) == 4 and all(r is results[0] for r in results)
    # Done: the next call computes again; other keys never wait for each other; errors reach everyone.
    assert coalescer.run("q", object) is not results[0] and coalescer.computed == 2
    with pytest.raises(ValueError, match="boom"):
        coalescer.run("bad", lambda: (_ for _ in ()).throw(ValueError("boom")))
    assert coalescer.run("bad", lambda: 1) == 1


def test_http_queries_of_one_version_share_a_computation(client: httpx.Client, session: tt.Session) -> None:
    from atoti_lab._server.app import _QUERIES

    body = {"measures": ["Qty.SUM"], "levels": ["City"]}
    before = (_QUERIES.computed, _QUERIES.joined)
    answers = [client.post("/atoti/rest/v0/cubes/Sales/query", json=body, headers={"Accept": "application/json"})
               for _ in range(3)]
    assert [a.json() for a in answers] == [answers[0].json()] * 3
    assert _QUERIES.computed - before[0] + _QUERIES.joined - before[1] == 3  # every query went through it
