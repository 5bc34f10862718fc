"""Live query subscriptions over the websocket, with a real websocket client against the real server."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

import atoti_lab as tt
from atoti_lab._server.auth import TOKEN_TTL
from atoti_lab._server.wire import from_ipc

PATH = "/atoti/rest/v0/live"
TOKEN_PATH = "/atoti/rest/v0/live/token"


@pytest.fixture
def session() -> Iterator[tt.Session]:
    session = tt.Session.start()
    sales = session.read_pandas(
        pd.DataFrame({"Id": [1, 2, 3], "City": ["Paris", "London", "Paris"], "Qty": [1, 2, 3]}),
        table_name="Sales", keys=["Id"])
    session.create_table("Other", data_types={"K": "String"})
    session.create_cube(sales)
    yield session
    session.close()


def _ws(session: tt.Session, auth: tuple[str, str] | None = None) -> ClientConnection:
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    return connect(session.url.replace("http://", "ws://") + PATH, additional_headers=headers, open_timeout=10)


def _recv(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=timeout))
    if message.get("type") == "result" and message["format"] == "arrow":
        message["table"] = from_ipc(ws.recv(timeout=timeout))
    return message


def _expected(session: tt.Session) -> dict[str, int]:
    cube = session.cubes["Sales"]
    frame = cube.query(cube.measures["Qty.SUM"], levels=[cube.levels["City"]], mode="raw")
    return dict(zip(frame["City"], frame["Qty.SUM"]))


def _as_dict(message: dict[str, Any]) -> dict[str, int]:
    if "table" in message:
        table = message["table"]
        return dict(zip(table.column("City").to_pylist(), table.column("Qty.SUM").to_pylist()))
    columns = message["data"]["columns"]
    return {row[columns.index("City")]: row[columns.index("Qty.SUM")] for row in message["data"]["data"]}


QUERY = {"type": "subscribe", "cube": "Sales", "measures": ["Qty.SUM"], "levels": ["City"]}


@pytest.mark.parametrize("fmt", ["arrow", "json"])
def test_result_then_a_new_result_after_each_commit(session: tt.Session, fmt: str) -> None:
    with _ws(session) as ws:
        ws.send(json.dumps({**QUERY, "id": "q", "format": fmt}))
        first = _recv(ws)
        assert first["type"] == "result" and first["id"] == "q" and first["seq"] == 0
        assert _as_dict(first) == _expected(session) == {"Paris": 4, "London": 2}
        session.tables["Sales"].append((4, "Berlin", 10))
        second = _recv(ws)
        assert second["seq"] == 1
        assert _as_dict(second) == _expected(session) == {"Paris": 4, "London": 2, "Berlin": 10}
        # A commit to a table the cube does not use sends nothing.
        session.tables["Other"].append(("x",))
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


def test_commits_are_coalesced_to_one_result_per_interval(session: tt.Session) -> None:
    with _ws(session) as ws:
        ws.send(json.dumps({**QUERY, "id": 7, "format": "json", "interval": 0.5}))
        _recv(ws)
        started = time.monotonic()
        for i in range(20):
            session.tables["Sales"].append((100 + i, "Rome", 1))
        results = []
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                results.append(_recv(ws, timeout=max(0.01, deadline - time.monotonic())))
            except TimeoutError:
                break
        # 20 commits in well under an interval: at most two results (one may start mid-burst), and the
        # last one holds all of them.
        assert 1 <= len(results) <= 2, [r["seq"] for r in results]
        assert _as_dict(results[-1])["Rome"] == 20 == _expected(session)["Rome"]
        if len(results) == 2:
            assert time.monotonic() - started >= 0.5


def test_errors_keep_the_socket_open(session: tt.Session) -> None:
    with _ws(session) as ws:
        ws.send("{not json")
        assert "not valid JSON" in _recv(ws)["error"]
        ws.send(json.dumps({**QUERY, "id": "a", "cube": "Nope"}))
        error = _recv(ws)
        assert error["type"] == "error" and error["id"] == "a" and "No cube named 'Nope'" in error["error"]
        ws.send(json.dumps({**QUERY, "id": "b", "measures": ["Nope"]}))
        assert "no measure 'Nope'" in _recv(ws)["error"]
        ws.send(json.dumps({**QUERY, "id": "c", "levels": ["Nope"]}))
        assert "Nope" in _recv(ws)["error"]
        ws.send(json.dumps({**QUERY, "id": "d", "format": "xml"}))
        assert "'format'" in _recv(ws)["error"]
        ws.send(json.dumps({"type": "unsubscribe", "id": "zzz"}))
        assert "No subscription" in _recv(ws)["error"]
        # Still serving: subscribe, then unsubscribe, then commits send nothing.
        ws.send(json.dumps({**QUERY, "id": "ok", "format": "json"}))
        assert _recv(ws)["type"] == "result"
        ws.send(json.dumps({"type": "unsubscribe", "id": "ok"}))
        assert _recv(ws) == {"type": "unsubscribed", "id": "ok"}
        session.tables["Sales"].append((50, "Oslo", 1))
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


def test_the_socket_is_authenticated() -> None:
    session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))
    try:
        session.security.basic_authentication.credentials.update({"u": "u-pw", "x": "x-pw"})
        session.security.individual_roles["u"] = {"ROLE_USER"}
        session.create_cube(session.read_pandas(pd.DataFrame({"City": ["A"], "Qty": [1]}), table_name="Sales"))
        for auth in (None, ("u", "bad"), ("x", "x-pw")):
            with pytest.raises(InvalidStatus) as refused:
                _ws(session, auth)
            assert refused.value.response.status_code == 403
        with _ws(session, ("u", "u-pw")) as ws:
            ws.send(json.dumps({**QUERY, "id": 1, "format": "json"}))
            assert _as_dict(_recv(ws)) == {"A": 1}
    finally:
        session.close()


def _token(session: tt.Session, auth: tuple[str, str]) -> str:
    response = httpx.post(f"{session.url}{TOKEN_PATH}", auth=auth)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["token"]


def _ws_token(session: tt.Session, token: str) -> ClientConnection:
    return connect(f"{session.url.replace('http://', 'ws://')}{PATH}?token={token}", open_timeout=10)


def test_a_browser_opens_the_socket_with_a_single_use_token(monkeypatch: pytest.MonkeyPatch) -> None:
    session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))
    try:
        session.security.basic_authentication.credentials.update({"u": "u-pw", "x": "x-pw"})
        session.security.individual_roles["u"] = {"ROLE_USER"}
        session.create_cube(session.read_pandas(pd.DataFrame({"City": ["A"], "Qty": [1]}), table_name="Sales"))
        # Issuing a token needs credentials, and ROLE_USER.
        assert httpx.post(f"{session.url}{TOKEN_PATH}").status_code == 401
        assert httpx.post(f"{session.url}{TOKEN_PATH}", auth=("u", "bad")).status_code == 401
        assert httpx.post(f"{session.url}{TOKEN_PATH}", auth=("x", "x-pw")).status_code == 403
        token = _token(session, ("u", "u-pw"))
        with _ws_token(session, token) as ws:
            ws.send(json.dumps({**QUERY, "id": 1, "format": "json"}))
            assert _as_dict(_recv(ws)) == {"A": 1}
            session.tables["Sales"].append(("B", 2))
            assert _as_dict(_recv(ws)) == {"A": 1, "B": 2}
        # Used once; a made-up token, an empty one and none are refused; tokens are not credentials
        # for other routes.
        for bad in (token, "made-up", ""):
            with pytest.raises(InvalidStatus) as refused:
                _ws_token(session, bad)
            assert refused.value.response.status_code == 403
        other = _token(session, ("u", "u-pw"))
        assert httpx.get(f"{session.url}/atoti/rest/v0/tables?token={other}").status_code == 401
        # Expired tokens are refused.
        expired = _token(session, ("u", "u-pw"))
        monkeypatch.setattr("atoti_lab._server.auth._now", lambda: time.monotonic() + TOKEN_TTL + 1)
        with pytest.raises(InvalidStatus):
            _ws_token(session, expired)
    finally:
        session.close()


def test_without_security_no_token_is_needed(session: tt.Session) -> None:
    assert httpx.post(f"{session.url}{TOKEN_PATH}").json()["token"] is None
