"""The web app in Chromium (Playwright, Debian's /usr/bin/chromium): log in, build a pivot, save a
dashboard, restart the session on the same user content storage and find the dashboard again."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab._server.webapp import STATIC_DIR

CHROMIUM = os.environ.get("ATOTI_LAB_CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)) or not (STATIC_DIR / "app.js").is_file(),
    reason="needs Chromium and the built web app",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Kept tiny so it merges with the shared browser helper (tests/_browser.py) once that lands.
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _session(storage: Path) -> tt.Session:
    session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig(), user_content_storage=storage))
    session.security.basic_authentication.credentials["ana"] = "ana-pw"
    session.security.individual_roles["ana"] = {"ROLE_USER"}
    sales = session.read_pandas(
        pd.DataFrame({"Id": [1, 2, 3], "City": ["Paris", "London", "Paris"], "Qty": [1, 2, 3]}),
        table_name="Sales", keys=["Id"])
    session.create_cube(sales)
    return session


def _login(page: object, url: str) -> None:
    page.goto(url)
    page.fill("#atl-login-user", "ana")
    page.fill("#atl-login-password", "wrong")
    page.click("#atl-login-submit")
    page.wait_for_selector("text=Wrong user name or password.")
    page.fill("#atl-login-password", "ana-pw")
    page.click("#atl-login-submit")
    page.wait_for_selector("#atl-new-dashboard")


def test_log_in_build_a_pivot_save_restart_and_find_it(browser: object, tmp_path: Path) -> None:
    storage = tmp_path / "content"
    session = _session(storage)
    try:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        _login(page, session.url + "/")
        page.click("#atl-new-dashboard")
        page.wait_for_selector(".atl-pivot-root")
        # Build the pivot from the side panel: a measure, then a level on rows.
        page.click(".atl-measure:has-text('Qty.SUM')")
        page.click(".atl-level:has-text('City')")
        page.wait_for_selector(".atl-pivot-root :text('London')")
        text = page.inner_text(".atl-pivot-root")
        assert "Paris" in text and "4" in text
        page.fill("#atl-dashboard-name", "City sales")
        page.click("#atl-save-dashboard")
        page.wait_for_selector("#atl-dashboard-status:has-text('Saved')")
        assert not errors, errors
        page.close()
    finally:
        session.close()

    session = _session(storage)
    try:
        page = browser.new_page()
        _login(page, session.url + "/")
        page.click(".atl-dashboard-link:has-text('City sales')")
        page.wait_for_selector(".atl-pivot-root :text('London')")
        assert page.input_value("#atl-dashboard-name") == "City sales"
        assert "Paris" in page.inner_text(".atl-pivot-root")
        page.close()
    finally:
        session.close()


def test_the_pivot_follows_the_data_through_the_live_websocket(browser: object, tmp_path: Path) -> None:
    session = _session(tmp_path / "content")
    try:
        page = browser.new_page()
        sockets: list[str] = []
        pivot_queries: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.on("request", lambda r: pivot_queries.append(r.url) if r.url.endswith("/pivot") else None)
        _login(page, session.url + "/")
        page.click("#atl-new-dashboard")
        page.wait_for_selector(".atl-pivot-root")
        page.click(".atl-measure:has-text('Qty.SUM')")
        page.click(".atl-level:has-text('City')")
        page.wait_for_selector(".atl-pivot-root :text('London')")
        page.wait_for_timeout(300)  # let the subscription go out
        before = len(pivot_queries)
        page.wait_for_timeout(1500)  # no polling: nothing changes, nothing is asked
        assert len(pivot_queries) == before
        # The socket carries a token: the browser cannot send Basic credentials on a websocket.
        assert [url for url in sockets if "/atoti/rest/v0/live?token=" in url], sockets
        session.tables["Sales"].append((4, "Berlin", 10))
        page.wait_for_selector(".atl-pivot-root :text('Berlin')", timeout=10_000)
        assert len(pivot_queries) > before
        page.close()
    finally:
        session.close()


def test_another_user_cannot_overwrite_a_dashboard(browser: object, tmp_path: Path) -> None:
    session = _session(tmp_path / "content")
    try:
        session.security.basic_authentication.credentials["bob"] = "bob-pw"
        session.security.individual_roles["bob"] = {"ROLE_USER"}
        dashboards = f"{session.url}/atoti/rest/v0/dashboards"
        created = httpx.post(dashboards, json={"name": "Ana's board", "data": {"widgets": []}}, auth=("ana", "ana-pw"))
        page = browser.new_page()
        page.goto(session.url + "/")
        page.fill("#atl-login-user", "bob")
        page.fill("#atl-login-password", "bob-pw")
        page.click("#atl-login-submit")
        page.click(".atl-dashboard-link:has-text(\"Ana's board\")")
        page.wait_for_selector("#atl-dashboard-status:has-text('belongs to another user')")
        assert page.is_disabled("#atl-save-dashboard") and page.is_disabled("#atl-delete-dashboard")
        # The server refuses even when the page is bypassed (the HTTP tests check every route).
        page.fill("#atl-dashboard-name", "Bob was here")
        page.evaluate("document.getElementById('atl-save-dashboard').disabled = false")
        page.click("#atl-save-dashboard")
        page.wait_for_selector("#atl-dashboard-status:has-text('only its owner or a ROLE_ADMIN user')")
        page.close()
        item = httpx.get(f"{dashboards}/{created.json()['id']}", auth=("ana", "ana-pw")).json()
        assert item["name"] == "Ana's board" and item["owner"] == "ana"
    finally:
        session.close()
