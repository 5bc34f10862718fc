"""pydeephaven-style client pieces: context manager, ``is_alive``, ``close()``, and a table published
under a shared name that a second Python process fetches as a live, read-only table."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab.errors import LiveExtensionUnavailableError, RemoteRequestError


@pytest.fixture
def secured() -> Iterator[tt.Session]:
    session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))
    session.security.basic_authentication.credentials.update({"admin": "a-pw", "reader": "r-pw"})
    session.security.individual_roles.update({"admin": {"ROLE_ADMIN"}, "reader": {"ROLE_USER"}})
    session.read_pandas(pd.DataFrame({"Id": [1, 2], "Qty": [10, 20]}), table_name="Trades", keys=["Id"])
    yield session
    session.close()


def test_context_manager_is_alive_and_close(secured: tt.Session) -> None:
    with tt.Session.connect(secured.url, authentication=tt.BasicAuthentication("reader", "r-pw")) as connected:
        assert connected.is_alive
    assert not connected.is_alive and connected.closed
    other = tt.Session.connect(secured.url, authentication=tt.BasicAuthentication("reader", "r-pw"))
    secured.close()
    assert not other.is_alive  # the target is gone
    other.close()


CHILD = textwrap.dedent("""
    import json, sys
    import atoti_lab as tt
    url = sys.argv[1]
    with tt.Session.connect(url, authentication=tt.BasicAuthentication("reader", "r-pw")) as connected:
        shared = connected.fetch_table("trades-feed")
        print(json.dumps({"rows": len(shared), "ids": sorted(shared.to_arrow().column("Id").to_pylist())}), flush=True)
        sys.stdin.readline()  # the parent appends rows meanwhile
        print(json.dumps({"rows": len(shared), "head": shared.head(10)["Qty"].sum().item()}), flush=True)
        try:
            shared.append((9, 9))
        except TypeError as error:
            print(json.dumps({"error": str(error)}), flush=True)
""")


def test_a_second_process_fetches_a_live_read_only_shared_table(secured: tt.Session) -> None:
    with tt.Session.connect(secured.url, authentication=tt.BasicAuthentication("admin", "a-pw")) as admin:
        admin.publish_table("trades-feed", admin.tables["Trades"])
    child = subprocess.Popen([sys.executable, "-c", CHILD, secured.url], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(child.stdout.readline() or child.stderr.read())
        assert first == {"rows": 2, "ids": [1, 2]}
        secured.tables["Trades"].append((3, 30))
        child.stdin.write("go\n")
        child.stdin.flush()
        second = json.loads(child.stdout.readline() or child.stderr.read())
        assert second == {"rows": 3, "head": int(secured.tables["Trades"].head(10)["Qty"].sum())} == {"rows": 3, "head": 60}
        assert "read-only" in json.loads(child.stdout.readline())["error"]
        assert child.wait(30) == 0, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
    assert len(secured.tables["Trades"]) == 3  # the child's write did not happen


def test_publishing_needs_the_live_extension_and_names_must_exist(secured: tt.Session) -> None:
    with tt.Session.connect(secured.url, authentication=tt.BasicAuthentication("reader", "r-pw")) as reader:
        with pytest.raises(LiveExtensionUnavailableError):
            reader.publish_table("x", "Trades")
        with pytest.raises(RemoteRequestError, match="Nothing is shared under the name 'nope'"):
            reader.fetch_table("nope")
    with (tt.Session.connect(secured.url, authentication=tt.BasicAuthentication("admin", "a-pw")) as admin,
          pytest.raises(RemoteRequestError, match="No table named 'Missing'")):
        admin.publish_table("x", "Missing")
