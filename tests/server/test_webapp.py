"""The web app's page, bundle and routes (pivot queries, dashboards in user content) on the real server."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab._server.webapp import STATIC_DIR
from atoti_lab._server.wire import from_ipc

REST = "/atoti/rest/v0"


def _sales(session: tt.Session) -> None:
    sales = session.read_pandas(
        pd.DataFrame({"Id": [1, 2, 3], "City": ["Paris", "London", "Paris"], "Qty": [1, 2, 3]}),
        table_name="Sales", keys=["Id"])
    session.create_cube(sales)


def test_page_and_bundle_are_public_and_data_is_not() -> None:
    with tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig())) as session:
        page = httpx.get(f"{session.url}/")
        assert page.status_code == 200 and 'src="static/app.js"' in page.text
        if (STATIC_DIR / "app.js").is_file():
            bundle = httpx.get(f"{session.url}/static/app.js")
            assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
        assert httpx.get(f"{session.url}/static/../session.py").status_code in (401, 404)
        # Data needs credentials; the app's requests get no browser challenge.
        plain = httpx.get(f"{session.url}{REST}/dashboards")
        assert plain.status_code == 401 and "www-authenticate" in plain.headers
        app = httpx.get(f"{session.url}{REST}/dashboards", headers={"X-Atoti-Lab-App": "1"})
        assert app.status_code == 401 and "www-authenticate" not in app.headers


def test_pivot_route_runs_the_widget_query(tmp_path: Path) -> None:
    with tt.Session.start() as session:
        _sales(session)
        cube = session.cubes["Sales"]
        model = httpx.get(f"{session.url}{REST}/cubes/Sales/model").json()
        assert "Qty.SUM" in [m["name"] for m in model["measures"]]
        state = {"rows": [["Sales", "City", "City"]], "columns": [], "measures": ["Qty.SUM"], "filters": []}
        answer = httpx.post(f"{session.url}{REST}/cubes/Sales/pivot", json={"state": state})
        assert answer.status_code == 200, answer.text
        table = from_ipc(base64.b64decode(answer.json()["data"]))
        got = dict(zip(table.column("City").to_pylist(), table.column("Qty.SUM").to_pylist()))
        expected = cube.query(cube.measures["Qty.SUM"], levels=[cube.levels["City"]], mode="raw")
        assert got == dict(zip(expected["City"], expected["Qty.SUM"]))
        bad = httpx.post(f"{session.url}{REST}/cubes/Sales/pivot", json={"state": {**state, "measures": ["Nope"]}})
        assert bad.status_code == 400 and "Nope" in bad.json()["error"]
        assert httpx.post(f"{session.url}{REST}/cubes/Nope/pivot", json={"state": state}).status_code == 404


def test_dashboards_survive_a_restart_on_the_same_storage(tmp_path: Path) -> None:
    storage = tmp_path / "content"
    with tt.Session.start(tt.SessionConfig(user_content_storage=storage)) as session:
        url = f"{session.url}{REST}/dashboards"
        created = httpx.post(url, json={"name": "Sales", "data": {"widgets": [{"title": "t", "state": {"cube": "S"}}]}})
        assert created.status_code == 201
        id = created.json()["id"]
        assert httpx.put(f"{url}/{id}", json={"name": "Sales by city"}).json()["data"]["widgets"][0]["title"] == "t"
        other = httpx.post(url, json={"name": "Gone"}).json()["id"]
        assert httpx.delete(f"{url}/{other}").status_code == 204
        assert httpx.get(f"{url}/{other}").status_code == 404
        assert httpx.post(f"{session.url}{REST}/widgets", json={"name": "W", "data": {"state": {}}}).status_code == 201
    assert (storage / "content.sqlite").is_file()
    with tt.Session.start(tt.SessionConfig(user_content_storage=storage)) as session:
        items = httpx.get(f"{session.url}{REST}/dashboards").json()
        assert [(d["id"], d["name"]) for d in items] == [(id, "Sales by city")]
        assert items[0]["data"] == {"widgets": [{"title": "t", "state": {"cube": "S"}}]}
        assert [w["name"] for w in httpx.get(f"{session.url}{REST}/widgets").json()] == ["W"]
    # Without a storage path, content lives in memory: a new session starts empty.
    with tt.Session.start() as session:
        assert httpx.get(f"{session.url}{REST}/dashboards").json() == []


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("POST", "dashboards", {"data": {}}, 400, "Missing field 'name'"),
    ("POST", "dashboards", {"name": ""}, 400, "non-empty"),
    ("GET", "dashboards/abc", None, 400, "integer"),
    ("GET", "dashboards/999", None, 404, "No dashboard with id 999"),
    ("PUT", "dashboards/999", {"name": "x"}, 404, "No dashboard"),
])
def test_content_errors(method: str, path: str, body: object, status: int, message: str) -> None:
    with tt.Session.start() as session:
        response = httpx.request(method, f"{session.url}{REST}/{path}", json=body)
        assert response.status_code == status and message in response.json()["error"]


def test_user_content_needs_role_user_only() -> None:
    with tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig())) as session:
        session.security.basic_authentication.credentials.update({"u": "u-pw", "x": "x-pw"})
        session.security.individual_roles["u"] = {"ROLE_USER"}
        url = f"{session.url}{REST}/dashboards"
        created = httpx.post(url, json={"name": "Mine"}, auth=("u", "u-pw"))
        assert created.status_code == 201 and created.json()["owner"] == "u"
        assert httpx.get(url, auth=("x", "x-pw")).status_code == 403


def test_dashboards_belong_to_their_owner() -> None:
    with tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig())) as session:
        session.security.basic_authentication.credentials.update({"ana": "a-pw", "bob": "b-pw", "root": "r-pw"})
        session.security.individual_roles.update({"ana": {"ROLE_USER"}, "bob": {"ROLE_USER"},
                                                  "root": {"ROLE_USER", "ROLE_ADMIN"}})
        ana, bob, root = (httpx.Client(base_url=session.url + REST, auth=(u, p))
                          for u, p in (("ana", "a-pw"), ("bob", "b-pw"), ("root", "r-pw")))
        with ana, bob, root:
            for kind in ("dashboards", "widgets"):
                item = ana.post(f"/{kind}", json={"name": "Ana's", "data": {"v": 1}}).json()
                path = f"/{kind}/{item['id']}"
                assert item["owner"] == "ana"
                # Everyone reads it; another user can neither overwrite nor delete it, and learns nothing.
                assert bob.get(path).json()["data"] == {"v": 1}
                for response in (bob.put(path, json={"name": "Bob's", "data": {"v": 2}}), bob.delete(path)):
                    assert response.status_code == 403
                    assert "belongs to another user" in response.json()["error"]
                    assert "ana" not in response.text.lower().replace("another", "")
                assert ana.get(path).json() == {**item, "updated": ana.get(path).json()["updated"]}
                assert ana.get(path).json()["name"] == "Ana's"
                # The owner changes it (and stays its owner); an admin may change or delete anyone's.
                assert ana.put(path, json={"data": {"v": 3}}).json()["data"] == {"v": 3}
                changed = root.put(path, json={"name": "Renamed by root"}).json()
                assert changed["name"] == "Renamed by root" and changed["owner"] == "ana"
                # Bob's own items are his to change.
                own = bob.post(f"/{kind}", json={"name": "Bob's", "data": {}}).json()
                assert bob.delete(f"/{kind}/{own['id']}").status_code == 204
                assert root.delete(path).status_code == 204
                assert ana.get(path).status_code == 404
