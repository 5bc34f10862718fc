"""Security and the HTTP API: Basic authentication on every route, roles, hashed passwords,
malformed requests. Real servers on 127.0.0.1, queried with httpx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pandas as pd
import pyarrow as pa
import pytest

import atoti_lab as tt
from atoti_lab._server import ServerHandle, create_app
from atoti_lab._server.wire import ARROW_STREAM, from_ipc, to_ipc
from atoti_lab.security import REDACTED, _PasswordHash

REST = "/atoti/rest/v0"
SECRET_VALUE = "Zanzibar-Secret-City"  # a value of the data that must never show in error bodies


@pytest.fixture(scope="module")
def secured() -> Iterator[tt.Session]:
    session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))
    session.security.basic_authentication.credentials.update(
        {"admin": "admin-pw", "user": "user-pw", "nobody": "nobody-pw"}
    )
    session.security.individual_roles.update({"admin": {"ROLE_USER", "ROLE_ADMIN"}, "user": {"ROLE_USER"}})
    sales = session.read_pandas(
        pd.DataFrame({"City": ["Paris", "London", SECRET_VALUE], "Id": [1, 2, 3], "Price": [1.5, 2.0, 3.0]}),
        table_name="Sales",
        keys=["Id"],
    )
    session.create_cube(sales)
    yield session
    session.close()


ADMIN = ("admin", "admin-pw")
USER = ("user", "user-pw")
NOBODY = ("nobody", "nobody-pw")


def _arrow_rows() -> bytes:
    return to_ipc(pa.table({"City": ["Rome"], "Id": [100], "Price": [9.0]}))


# One request per route class: (method, path, body kwargs, needs admin).
ROUTES = [
    ("GET", "/versions/rest", {}, False),
    ("GET", f"{REST}/me", {}, False),
    ("GET", f"{REST}/tables", {}, False),
    ("GET", f"{REST}/tables/Sales", {}, False),
    ("GET", f"{REST}/tables/Sales/rows?limit=2", {}, False),
    ("GET", f"{REST}/cubes", {}, False),
    ("GET", f"{REST}/cubes/Sales", {}, False),
    ("POST", f"{REST}/cubes/Sales/query", {"json": {"measures": ["Price.SUM"]}}, False),
    ("GET", "/atoti/pyapi/health", {}, False),
    ("GET", "/no/such/route", {}, False),
    ("POST", f"{REST}/tables", {"json": {"name": "Created", "dataTypes": {"Id": "String"}}}, True),
    ("POST", f"{REST}/tables/Sales/rows", {"content": _arrow_rows(), "headers": {"Content-Type": ARROW_STREAM}}, True),
    ("POST", f"{REST}/tables/Sales/drop", {"json": [{"column": "Id", "op": "==", "value": 100}]}, True),
    ("POST", f"{REST}/cubes", {"json": {"baseTable": "Sales", "name": "Other"}}, True),
]
ROUTE_IDS = [f"{m} {p}" for m, p, _, _ in ROUTES]


_http = httpx.Client(timeout=10)  # one client: creating one per request costs an SSL context each time


def _send(session: tt.Session, method: str, path: str, kwargs: dict, auth: object = None) -> httpx.Response:
    return _http.request(method, session.url + path, auth=auth, **kwargs)


# -- the security objects --------------------------------------------------------------------------


def test_passwords_are_stored_as_salted_hashes_only(secured: tt.Session) -> None:
    credentials = secured.security.basic_authentication.credentials
    assert credentials["admin"] == REDACTED
    assert repr(credentials) == "{'admin': '**REDACTED**', 'user': '**REDACTED**', 'nobody': '**REDACTED**'}"
    assert dict(credentials) == {"admin": REDACTED, "user": REDACTED, "nobody": REDACTED}
    hashes = secured.security.basic_authentication._hashes
    for user, password in [ADMIN, USER, NOBODY]:
        record = hashes[user]
        assert isinstance(record, _PasswordHash)
        assert password.encode() not in record.digest + record.salt
        assert password not in repr(record)
        assert len(record.salt) >= 16
    # Same password, different salt, different hash.
    credentials["twin1"] = credentials["twin2"] = "same-password"
    assert hashes["twin1"].salt != hashes["twin2"].salt
    assert hashes["twin1"].digest != hashes["twin2"].digest
    del credentials["twin1"], credentials["twin2"]
    # Nothing in the security objects' reprs gives a password away.
    assert "admin-pw" not in repr(secured.security) + repr(secured.security.basic_authentication)


def test_credentials_and_roles_follow_atoti_semantics() -> None:
    with tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig())) as session:
        credentials = session.security.basic_authentication.credentials
        assert credentials == {} and repr(credentials) == "{}"
        roles = session.security.individual_roles
        assert "John" not in roles
        roles["John"] = {"ROLE_USA", "ROLE_USER"}
        assert sorted(roles["John"]) == ["ROLE_USA", "ROLE_USER"]
        roles["John"] -= {"ROLE_USA"}
        assert roles["John"] == frozenset({"ROLE_USER"})
        del roles["John"]
        assert "John" not in roles
        with pytest.raises(ValueError, match="':'"):
            credentials["a:b"] = "x"
        with pytest.raises(TypeError, match="password"):
            credentials["a"] = 123  # type: ignore[assignment]
        with pytest.raises(TypeError, match="set of role names"):
            roles["a"] = "ROLE_USER"  # type: ignore[assignment]


def test_security_needs_a_security_config() -> None:
    with tt.Session.start() as session, pytest.raises(RuntimeError, match=r"SessionConfig\(security="):
        session.security  # noqa: B018


def test_unsupported_security_settings_are_refused_not_ignored() -> None:
    with pytest.raises(NotImplementedError, match="sso"):
        tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig(sso=object())))
    with pytest.raises(TypeError, match="HttpsConfig"):
        tt.Session.start(tt.SessionConfig(https=object()))


# -- authentication on every route -----------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "kwargs", "admin"), ROUTES, ids=ROUTE_IDS)
def test_every_route_requires_authentication(secured: tt.Session, method: str, path: str, kwargs: dict,
                                             admin: bool) -> None:
    for auth in (None, ("admin", "wrong"), ("ghost", "admin-pw")):
        response = _send(secured, method, path, kwargs, auth)
        assert response.status_code == 401, (auth, response.text)
        assert response.headers["www-authenticate"].startswith('Basic realm="')
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == {"error"}
        for leak in (SECRET_VALUE, "Sales", "Price", "admin-pw", "ghost"):
            assert leak not in response.text


@pytest.mark.parametrize(("method", "path", "kwargs", "admin"), ROUTES, ids=ROUTE_IDS)
def test_roles_decide_what_a_user_may_do(secured: tt.Session, method: str, path: str, kwargs: dict,
                                         admin: bool) -> None:
    # Without any role: nothing.
    response = _send(secured, method, path, kwargs, NOBODY)
    assert response.status_code == 403
    assert "ROLE_" in response.json()["error"] and SECRET_VALUE not in response.text
    # ROLE_USER reads but does not change.
    response = _send(secured, method, path, kwargs, USER)
    if admin:
        assert response.status_code == 403
        assert response.json() == {"error": "This request changes data or the data model: it requires ROLE_ADMIN."}
    else:
        assert response.status_code == (404 if path == "/no/such/route" else 200), response.text


def test_admin_may_change_data_and_model(secured: tt.Session) -> None:
    sales = secured.tables["Sales"]
    before = len(sales)
    for method, path, kwargs, admin in ROUTES:
        if admin:
            response = _send(secured, method, path, kwargs, ADMIN)
            assert response.status_code in (200, 201), (path, response.text)
    assert "Created" in secured.tables and "Other" in secured.cubes
    assert len(sales) == before  # the row added by the load was dropped again


def test_malformed_authorization_headers_are_401(secured: tt.Session) -> None:
    for header in ("Basic", "Basic !!!notbase64", "Basic " + "YWRtaW4=", "Bearer abc", "Digest x", ""):
        response = _http.get(f"{secured.url}{REST}/tables", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_changed_or_deleted_credentials_take_effect_at_once(secured: tt.Session) -> None:
    credentials = secured.security.basic_authentication.credentials
    roles = secured.security.individual_roles
    credentials["temp"] = "first"
    roles["temp"] = {"ROLE_USER"}
    url = f"{secured.url}{REST}/tables"
    assert _http.get(url, auth=("temp", "first")).status_code == 200
    assert _http.get(url, auth=("temp", "first")).status_code == 200  # cached verification
    credentials["temp"] = "second"
    assert _http.get(url, auth=("temp", "first")).status_code == 401
    assert _http.get(url, auth=("temp", "second")).status_code == 200
    roles["temp"] = set()
    assert _http.get(url, auth=("temp", "second")).status_code == 403
    del credentials["temp"], roles["temp"]
    assert _http.get(url, auth=("temp", "second")).status_code == 401


def test_me_tells_who_the_request_runs_as(secured: tt.Session) -> None:
    assert _http.get(f"{secured.url}{REST}/me", auth=USER).json() == {
        "security": True, "user": "user", "roles": ["ROLE_USER"]
    }
    with tt.Session.start() as open_session:
        assert _http.get(f"{open_session.url}{REST}/me").json() == {
            "security": False, "user": None, "roles": []
        }


def test_without_security_routes_are_open() -> None:
    with tt.Session.start() as session:
        for method, path, kwargs, _ in ROUTES[:2] + ROUTES[10:11]:
            assert _send(session, method, path, kwargs).status_code in (200, 201)
        assert "Created" in session.tables


# -- the data API ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def open_session() -> Iterator[tt.Session]:
    session = tt.Session.start()
    table = session.read_pandas(
        pd.DataFrame({
            "Id": ["a", "b", "c", "d"],
            "Country": ["France", "France", "UK", "Germany"],
            "Date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"]).date,
            "Qty": [1, 2, 3, 4],
            "Price": [10.0, 20.0, 30.0, 40.0],
        }),
        table_name="Orders",
        keys=["Id"],
    )
    session.create_cube(table)
    yield session
    session.close()


@pytest.fixture(scope="module")
def api(open_session: tt.Session) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=open_session.url + REST, timeout=10) as client:
        yield client


def test_rows_are_an_arrow_stream_of_the_table(api: httpx.Client, open_session: tt.Session) -> None:
    response = api.get("/tables/Orders/rows")
    assert response.headers["content-type"] == ARROW_STREAM
    data = from_ipc(response.content)
    assert data.num_rows == 4
    frame = data.to_pandas().set_index("Id")
    pd.testing.assert_frame_equal(frame, open_session.tables["Orders"].head(10))
    metadata = {k.decode(): json.loads(v) for k, v in data.schema.metadata.items()}
    assert metadata["atoti_lab.keys"] == ["Id"]
    assert metadata["atoti_lab.data_types"]["Date"] == "LocalDate"
    assert from_ipc(api.get("/tables/Orders/rows", params={"limit": 2}).content).num_rows == 2
    assert from_ipc(api.get("/tables/Orders/rows", params={"limit": 0}).content).num_rows == 0


def test_query_as_arrow_and_as_json(api: httpx.Client, open_session: tt.Session) -> None:
    cube = open_session.cubes["Orders"]
    expected = cube.query(cube.measures["Qty.SUM"], levels=[cube.levels["Country"]],
                          filter=cube.levels["Country"].isin("France", "UK"), mode="raw")
    body = {"measures": ["Qty.SUM"], "levels": [["Orders", "Country", "Country"]],
            "filter": [{"level": "Country", "op": "isin", "value": ["France", "UK"]}]}
    response = api.post("/cubes/Orders/query", json=body)
    assert response.headers["content-type"] == ARROW_STREAM
    assert from_ipc(response.content).to_pydict() == {"Country": ["France", "UK"], "Qty.SUM": [3, 3]}
    assert expected.to_dict("list") == {"Country": ["France", "UK"], "Qty.SUM": [3, 3]}
    as_json = api.post("/cubes/Orders/query", json=body, headers={"Accept": "application/json"})
    assert as_json.json() == {"columns": ["Country", "Qty.SUM"], "data": [["France", 3], ["UK", 3]]}
    # Dates travel as ISO strings; totals on request.
    dated = api.post("/cubes/Orders/query", json={
        "measures": ["Qty.SUM"], "levels": ["Date"], "includeTotals": True,
        "filter": {"level": "Date", "op": ">=", "value": "2024-01-02"},
    }, headers={"Accept": "application/json"}).json()
    assert dated["data"] == [[None, 9], ["2024-01-02", 5], ["2024-01-03", 4]]


def test_drop_and_load_over_http(api: httpx.Client, open_session: tt.Session) -> None:
    table = open_session.tables["Orders"]
    rows = pa.table({"Id": ["x", "y"], "Country": ["Spain", "Spain"], "Qty": [5, 6]})
    response = api.post("/tables/Orders/rows", content=to_ipc(rows), headers={"Content-Type": ARROW_STREAM})
    assert response.json() == {"table": "Orders", "rowsReceived": 2, "rowCount": 6}
    assert table.head(10).loc["y", "Price"] != table.head(10).loc["y", "Price"]  # missing -> NaN default
    response = api.post("/tables/Orders/drop", json=[{"column": "Country", "op": "==", "value": "Spain"},
                                                     {"column": "Qty", "op": ">", "value": 5}])
    assert response.json() == {"table": "Orders", "dropped": 1, "rowCount": 5}
    assert api.post("/tables/Orders/drop", json={"column": "Id", "op": "isin", "value": ["x"]}).json()["dropped"] == 1
    assert len(table) == 4


# -- malformed requests ----------------------------------------------------------------------------

MALFORMED = [
    # (method, path, kwargs, status, words the message must contain)
    ("POST", "/cubes/Orders/query", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400,
     ["not valid JSON"]),
    # A cross-site form could send text/plain without a CORS preflight: refused.
    ("POST", "/tables/Orders/drop", {"content": b"[]", "headers": {"Content-Type": "text/plain"}}, 415,
     ["application/json"]),
    ("POST", "/cubes/Orders/query", {"json": ["measures"]}, 400, ["JSON object", "array"]),
    ("POST", "/cubes/Orders/query", {"json": {"measures": "Qty.SUM"}}, 400, ["'measures'", "array"]),
    ("POST", "/cubes/Orders/query", {"json": {"measures": ["Nope"]}}, 404, ["measure 'Nope'"]),
    ("POST", "/cubes/Orders/query", {"json": {"levels": ["Nope"]}}, 404, ["level", "'Nope'", "Country"]),
    ("POST", "/cubes/Nope/query", {"json": {}}, 404, ["No cube named 'Nope'"]),
    ("POST", "/cubes/Orders/query", {"json": {"filter": [{"level": "Country", "op": "~", "value": 1}]}}, 400,
     ["operator '~'"]),
    ("POST", "/cubes/Orders/query", {"json": {"filter": [{"level": "Date", "op": "==", "value": "soon"}]}}, 400,
     ["'soon'", "LocalDate"]),
    ("POST", "/cubes/Orders/query", {"json": {"includeTotals": "yes"}}, 400, ["'includeTotals'", "boolean"]),
    ("GET", "/tables/Nope", {}, 404, ["No table named 'Nope'"]),
    ("GET", "/tables/Nope/rows", {}, 404, ["No table named 'Nope'"]),
    ("GET", "/tables/Orders/rows?limit=-1", {}, 400, ["'limit'"]),
    ("GET", "/tables/Orders/rows?limit=ten", {}, 400, ["'limit'", "'ten'"]),
    ("POST", "/tables/Orders/rows", {"content": b"\x00garbage", "headers": {"Content-Type": ARROW_STREAM}}, 400,
     ["Arrow IPC"]),
    ("POST", "/tables/Orders/rows", {"content": b"", "headers": {"Content-Type": ARROW_STREAM}}, 400, ["empty"]),
    ("POST", "/tables/Orders/rows", {"json": {"Id": "z"}}, 415, ["Arrow IPC"]),
    ("POST", "/tables/Orders/rows", {"content": to_ipc(pa.table({"Nope": [1]})), "headers": {"Content-Type": ARROW_STREAM}},
     400, ["Nope"]),
    ("POST", "/tables/Orders/rows", {"content": to_ipc(pa.table({"Id": ["z"], "Qty": ["many"]})),
                                     "headers": {"Content-Type": ARROW_STREAM}}, 400, ["Qty"]),
    ("POST", "/tables/Nope/rows", {"content": b"x", "headers": {"Content-Type": ARROW_STREAM}}, 404, ["No table named 'Nope'"]),
    ("POST", "/tables/Orders/drop", {"json": [{"column": "Nope", "op": "==", "value": 1}]}, 404, ["column 'Nope'"]),
    ("POST", "/tables/Orders/drop", {"json": [{"column": "Qty", "op": "isin", "value": 3}]}, 400, ["list"]),
    ("POST", "/tables/Orders/drop", {"json": "everything"}, 400, ["JSON"]),
    ("POST", "/tables", {"json": {"dataTypes": {"Id": "String"}}}, 400, ["'name'"]),
    ("POST", "/tables", {"json": {"name": "T", "dataTypes": {"Id": "Text"}}}, 400, ["Text"]),
    ("POST", "/tables", {"json": {"name": "T", "dataTypes": {"Id": "String"}, "keys": ["Nope"]}}, 400, ["Nope"]),
    ("POST", "/tables", {"json": {"name": "Orders", "dataTypes": {"Id": "String"}}}, 409, ["already exists"]),
    ("POST", "/cubes", {"json": {"baseTable": "Nope"}}, 404, ["No table named 'Nope'"]),
    ("POST", "/cubes", {"json": {"baseTable": "Orders", "mode": "magic"}}, 400, ["mode", "'magic'"]),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "words"), MALFORMED,
                         ids=[f"{m} {p} {s}" for m, p, _, s, _ in MALFORMED])
def test_malformed_requests_get_a_clear_4xx(api: httpx.Client, open_session: tt.Session, method: str, path: str,
                                            kwargs: dict, status: int, words: list[str]) -> None:
    rows_before = len(open_session.tables["Orders"])
    response = api.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    message = response.json()["error"]
    for word in words:
        assert word in message, (word, message)
    # The server keeps serving, and nothing changed.
    assert api.get("/tables/Orders").json()["rowCount"] == rows_before
    assert set(open_session.tables) == {"Orders"} and set(open_session.cubes) == {"Orders"}


def test_oversized_bodies_are_413_and_the_server_keeps_serving(open_session: tt.Session) -> None:
    with ServerHandle.start(create_app(open_session, max_body_bytes=1024)) as handle, \
            httpx.Client(base_url=handle.url + REST, timeout=10) as client:
        big = to_ipc(pa.table({"Id": [f"id{i}" for i in range(1000)]}))
        response = client.post("/tables/Orders/rows", content=big, headers={"Content-Type": ARROW_STREAM})
        assert response.status_code == 413
        assert "larger than the limit of 1024 bytes" in response.json()["error"]

        def chunked() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
            for _ in range(10):
                yield b"{" + b" " * 200

        response = client.post("/cubes/Orders/query", content=chunked(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert client.get("/tables").status_code == 200
    assert len(open_session.tables["Orders"]) == 4


def test_a_wrong_method_lists_the_allowed_ones(api: httpx.Client) -> None:
    response = api.delete("/tables")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert api.head("/tables").status_code == 200
