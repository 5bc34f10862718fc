"""Custom endpoints (``@session.endpoint``) on the real server, called with httpx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pandas as pd
import pytest

import atoti_lab as tt

PYAPI = "/atoti/pyapi"


@pytest.fixture(scope="module")
def session() -> Iterator[tt.Session]:
    session = tt.Session.start()
    session.read_pandas(pd.DataFrame({"Year": [2019, 2019], "Day": [1, 2], "Qty": [15, 20]}),
                        table_name="Quantity", keys=["Year", "Day"])

    @session.endpoint("tables/{table_name}/count", method="GET")
    def count(request, user, session, /):
        return len(session.tables[request.path_parameters["table_name"]])

    @session.endpoint("tables/{table_name}/rows", method="POST")
    def add(request, user, session, /):
        table = session.tables[request.path_parameters["table_name"]]
        table += tuple(request.body)
        return {"rowCount": len(table), "user": user.name, "roles": sorted(user.roles)}

    @session.endpoint("echo", method="PUT")
    def echo(request, user, session, /):
        return {"url": request.url, "body": request.body, "np": np.int64(3), "params": dict(request.path_parameters)}

    @session.endpoint("broken")
    def broken(request, user, session, /):
        raise RuntimeError("secret detail 12345")

    yield session
    session.close()


def test_get_with_path_parameter(session: tt.Session) -> None:
    response = httpx.get(f"{session.url}{PYAPI}/tables/Quantity/count")
    assert response.status_code == 200, response.text
    assert response.json() == len(session.tables["Quantity"]) == 2


def test_post_json_body_changes_the_session(session: tt.Session) -> None:
    response = httpx.post(f"{session.url}{PYAPI}/tables/Quantity/rows", json=[2020, 5, 7])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rowCount"] == 3 == len(session.tables["Quantity"])
    # An unsecured session runs requests as atoti's anonymous user.
    assert body["user"] == "anonymousUser"
    assert body["roles"] == ["ROLE_ADMIN", "ROLE_ANONYMOUS", "ROLE_USER"]
    assert httpx.get(f"{session.url}{PYAPI}/tables/Quantity/count").json() == 3


def test_request_fields_and_numpy_results(session: tt.Session) -> None:
    url = f"{session.url}{PYAPI}/echo?x=1"
    body = httpx.put(url, json={"a": [1, 2]}).json()
    assert body == {"url": url, "body": {"a": [1, 2]}, "np": 3, "params": {}}


def test_errors(session: tt.Session) -> None:
    base = f"{session.url}{PYAPI}"
    missing = httpx.get(f"{base}/nothing/here")
    assert missing.status_code == 404 and "No custom endpoint for GET /atoti/pyapi/nothing/here" in missing.text
    wrong_method = httpx.delete(f"{base}/echo")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "PUT"
    bad_json = httpx.put(f"{base}/echo", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and "must be JSON" in bad_json.json()["error"]
    failing = httpx.get(f"{base}/broken")
    assert failing.status_code == 500
    assert "12345" not in failing.text and "/atoti/pyapi/broken" in failing.json()["error"]
    assert "secret detail 12345" in session.logs_path.read_text()
    # A handler's KeyError is the handler's failure, not a missing route: still 500, still serving.
    assert httpx.get(f"{base}/tables/Nope/count").status_code == 500
    assert httpx.get(f"{base}/tables/Quantity/count").status_code == 200


def test_redefining_replaces_and_bad_routes_are_refused(session: tt.Session) -> None:
    @session.endpoint("version")
    def one(request, user, session, /):
        return 1

    @session.endpoint("/version/")
    def two(request, user, session, /):
        return 2

    assert httpx.get(f"{session.url}{PYAPI}/version").json() == 2
    with pytest.raises(ValueError, match="method"):
        session.endpoint("x", method="TRACE")
    with pytest.raises(ValueError, match="query"):
        session.endpoint("x?y=1")
    with pytest.raises(ValueError, match="route"):
        session.endpoint("")


def test_roles_apply_to_endpoints() -> None:
    session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))
    try:
        session.security.basic_authentication.credentials.update({"u": "u-pw", "x": "x-pw"})
        session.security.individual_roles["u"] = {"ROLE_USER", "ROLE_PILOT"}

        @session.endpoint("whoami", method="POST")
        def whoami(request, user, session, /):
            return {"name": user.name, "roles": sorted(user.roles)}

        url = f"{session.url}{PYAPI}/whoami"
        assert httpx.post(url, json={}).status_code == 401
        assert httpx.post(url, json={}, auth=("u", "wrong")).status_code == 401
        assert httpx.post(url, json={}, auth=("x", "x-pw")).status_code == 403  # no role
        ok = httpx.post(url, json={}, auth=("u", "u-pw"))
        assert ok.status_code == 200
        assert ok.json() == {"name": "u", "roles": ["ROLE_PILOT", "ROLE_USER"]}
    finally:
        session.close()
