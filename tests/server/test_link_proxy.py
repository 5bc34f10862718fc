"""``session.link`` and the Jupyter server extension's proxy, with a real ``jupyter server`` process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab._server.link import LINK_MIME_TYPE

TOKEN = "atoti-lab-test-token"


def test_link_renders_and_takes_a_path() -> None:
    with tt.Session.start() as session:
        link = session.link
        assert str(link) == f"{session.url}/"
        dashboard = link / "#/dashboard/1"
        assert str(dashboard) == f"{session.url}/#/dashboard/1"
        bundle = dashboard._repr_mimebundle_()
        assert bundle["text/plain"] == f"{session.url}/#/dashboard/1"
        assert f'href="{session.url}/#/dashboard/1"' in bundle["text/html"]
        assert f"atoti-lab/proxy/{session.port}/" in bundle["text/html"]
        assert bundle[LINK_MIME_TYPE] == {"url": str(dashboard), "port": session.port, "path": "#/dashboard/1"}
        assert httpx.get(str(link)).status_code == 200  # the web app's page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("jupyter")
    config = home / "config"
    config.mkdir()
    # Enable the extension as jupyter-config/ does when installed (the editable install may not have it).
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {
            # Only ours: the others (JupyterLab, notebook, LSP) take seconds to load and are not tested here.
            "atoti_lab": True, "jupyterlab": False, "notebook": False, "jupyter_lsp": False,
            "notebook_shim": False, "jupyter_server_terminals": False,
        }}}))
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_DATA_DIR": str(home / "data"), "HOME": str(home)}
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False", "--allow-root",
         "--ServerApp.base_url=/user/ana/", f"--ServerApp.root_dir={home}"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/user/ana/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}api/status", headers={"Authorization": f"token {TOKEN}"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("jupyter server did not start:\n" + (home / "server.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_the_proxy_serves_the_session_under_jupyters_url(jupyter: str) -> None:
    session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))
    try:
        session.security.basic_authentication.credentials["ana"] = "pw"
        session.security.individual_roles["ana"] = {"ROLE_USER"}
        session.create_cube(session.read_pandas(pd.DataFrame({"City": ["A", "B"], "Qty": [1, 2]}), table_name="S"))
        proxy = f"{jupyter}atoti-lab/proxy/{session.port}"
        token = {"Authorization": f"token {TOKEN}"}
        with httpx.Client(timeout=30) as client:
            # Jupyter's own authentication comes first.
            assert client.get(f"{proxy}/versions/rest").status_code in (302, 403)
            # Without a trailing slash the page redirects (its URLs are relative).
            redirect = client.get(proxy, headers=token)
            assert redirect.status_code in (301, 302) and redirect.headers["location"].endswith(f"/{session.port}/")
            page = client.get(f"{proxy}/", headers=token)
            assert page.status_code == 200 and 'src="static/app.js"' in page.text
            # Then the session's security: Jupyter's token is not forwarded as the session's credentials.
            assert client.get(f"{proxy}/atoti/rest/v0/cubes", params={"token": TOKEN}).status_code == 401
            direct = httpx.post(f"{session.url}/atoti/rest/v0/cubes/S/query", auth=("ana", "pw"),
                                json={"measures": ["Qty.SUM"], "levels": ["City"]},
                                headers={"Accept": "application/json"})
            proxied = client.post(f"{proxy}/atoti/rest/v0/cubes/S/query", params={"token": TOKEN}, auth=("ana", "pw"),
                                  json={"measures": ["Qty.SUM"], "levels": ["City"]},
                                  headers={"Accept": "application/json"})
            assert proxied.status_code == 200, proxied.text
            assert proxied.json() == direct.json() == {"columns": ["City", "Qty.SUM"], "data": [["A", 1], ["B", 2]]}
            closed_port = _free_port()
            assert client.get(f"{jupyter}atoti-lab/proxy/{closed_port}/", headers=token).status_code == 502
    finally:
        session.close()


def test_extension_config_enables_the_extension() -> None:
    path = Path(__file__).parents[2] / "jupyter-config" / "jupyter_server_config.d" / "atoti_lab.json"
    assert json.loads(path.read_text()) == {"ServerApp": {"jpserver_extensions": {"atoti_lab": True}}}
