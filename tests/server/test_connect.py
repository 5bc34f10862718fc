"""``tt.Session.connect``: a second Python process runs the target sessions; this one connects."""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import atoti_lab as tt
from atoti_lab._client.session import ConnectedSession
from atoti_lab.errors import (
    AccessDeniedError,
    AuthenticationError,
    LiveExtensionUnavailableError,
    RemoteRequestError,
    SessionClosedError,
)

TARGET = textwrap.dedent(
    """
    import json, sys
    import atoti_lab as tt

    secure = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))
    secure.create_table("Example", data_types={"Id": "String"})
    secure.security.basic_authentication.credentials.update({"user": "passwd", "admin": "passwd"})
    secure.security.individual_roles.update({"user": {"ROLE_USER"}, "admin": {"ROLE_USER", "ROLE_ADMIN"}})
    unsecure = tt.Session.start()
    unsecure.create_table("Example", data_types={"Id": "String"})
    print(json.dumps({"secure": secure.url, "unsecure": unsecure.url}), flush=True)
    sys.stdin.read()  # serve until the test closes our stdin
    secure.close()
    unsecure.close()
    """
)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    script = tmp_path_factory.mktemp("target") / "target.py"
    script.write_text(TARGET)
    root = Path(__file__).resolve().parents[2]
    # The target imports this checkout's atoti_lab (not whichever one is installed): the script's
    # own folder, not the working directory, heads sys.path.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, cwd=root, env=env)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            raise RuntimeError(f"The target process exited with code {process.wait(30)} before printing its URLs.")
        yield json.loads(line)
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def admin(target: dict[str, str]) -> Iterator[ConnectedSession]:
    with tt.Session.connect(target["secure"], authentication=tt.BasicAuthentication("admin", "passwd")) as session:
        yield session


# -- seed 002 --------------------------------------------------------------------------------------

SEED_002 = """
>>> session_config = tt.SessionConfig(security=tt.SecurityConfig())
>>> secure_session = tt.Session.start(session_config)
>>> _ = secure_session.create_table("Example", types={"Id": "String"})
>>> secure_session.security.basic_authentication.credentials.update(
...     {"user": "passwd", "admin": "passwd"}
... )
>>> secure_session.security.individual_roles.update(
...     {"user": {"ROLE_USER"}, "admin": {"ROLE_USER", "ROLE_ADMIN"}}
... )
>>> admin_session = tt.Session.connect(
...     secure_session.url,
...     authentication=tt.BasicAuthentication("admin", "passwd"),
... )
>>> table = admin_session.tables["Example"]
>>> table += ("foo",)
>>> table.head()
    Id
0  foo

>>> user_session = tt.Session.connect(
...     secure_session.url,
...     authentication=tt.BasicAuthentication("user", "passwd"),
... )
>>> list(user_session.tables)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
atoti_lab._live_extension_unavailable_error.LiveExtensionUnavailableError: Live extension is not available ...

>>> unsecure_session = tt.Session.start()
>>> _ = unsecure_session.create_table("Example", types={"Id": "String"})
>>> connected_session = tt.Session.connect(unsecure_session.url)
>>> list(connected_session.tables)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
atoti_lab._live_extension_unavailable_error.LiveExtensionUnavailableError: Live extension is not available ...
>>> for s in (admin_session, user_session, connected_session, secure_session, unsecure_session):
...     s.close()
"""


def test_seed_002_doctest_runs_as_written() -> None:
    test = doctest.DocTestParser().get_doctest(SEED_002, {"tt": tt}, "seed_002", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with pytest.warns(FutureWarning, match="types"):  # the seed uses the deprecated `types=`
        runner.run(test, out=lambda text: pytest.fail(text))
    assert runner.failures == 0 and runner.tries == 16


def test_seed_002_against_another_process(target: dict[str, str], admin: ConnectedSession) -> None:
    table = admin.tables["Example"]
    table += ("foo",)
    pd.testing.assert_frame_equal(table.head(), pd.DataFrame({"Id": ["foo"]}))
    assert len(admin.tables["Example"]) == 1

    user = tt.Session.connect(target["secure"], authentication=tt.BasicAuthentication("user", "passwd"))
    with user, pytest.raises(LiveExtensionUnavailableError, match=r"^Live extension is not available .*'user'.*ROLE_ADMIN"):
        list(user.tables)
    connected = tt.Session.connect(target["unsecure"])
    with connected, pytest.raises(LiveExtensionUnavailableError, match=r"^Live extension is not available .*not secured"):
        list(connected.tables)


def test_the_error_has_atoti_s_module_path() -> None:
    assert LiveExtensionUnavailableError.__module__ == "atoti_lab._live_extension_unavailable_error"
    assert issubclass(LiveExtensionUnavailableError, RuntimeError)
    from atoti_lab._live_extension_unavailable_error import LiveExtensionUnavailableError as direct

    assert direct is LiveExtensionUnavailableError


# -- tiers and credentials -------------------------------------------------------------------------


def test_every_live_extension_capability_needs_admin_on_a_secure_target(target: dict[str, str],
                                                                       admin: ConnectedSession) -> None:
    if "Tiny" not in admin.tables:
        tiny = admin.create_table("Tiny", data_types={"Id": "String", "Qty": "int"})
        tiny += [("a", 1), ("b", 2)]
        admin.create_cube(tiny)
    with tt.Session.connect(target["secure"], authentication=tt.BasicAuthentication("user", "passwd")) as user, \
            tt.Session.connect(target["unsecure"]) as unsecured:
        for connected in (user, unsecured):
            with pytest.raises(LiveExtensionUnavailableError):
                connected.tables  # noqa: B018
            with pytest.raises(LiveExtensionUnavailableError):
                connected.create_table("T", data_types={"Id": "String"})
            with pytest.raises(LiveExtensionUnavailableError):
                connected.create_cube("Example")
        assert "minimal" in repr(user) and "live extension" in repr(admin)
        # Minimal capabilities stay: cubes can be listed and queried.
        assert list(unsecured.cubes) == []
        cube = user.cubes["Tiny"]
        result = cube.query(cube.measures["Qty.SUM"], levels=[cube.levels["Id"]], mode="raw")
        assert result.to_dict("list") == {"Id": ["a", "b"], "Qty.SUM": [1, 2]}


def test_wrong_or_missing_credentials_fail_at_connect(target: dict[str, str]) -> None:
    url = target["secure"]
    with pytest.raises(AuthenticationError, match="rejected the credentials of user 'admin'") as caught:
        tt.Session.connect(url, authentication=tt.BasicAuthentication("admin", "wrong"))
    assert caught.value.status_code == 401
    with pytest.raises(AuthenticationError, match="rejected the credentials of user 'ghost'"):
        tt.Session.connect(url, authentication=tt.BasicAuthentication("ghost", "passwd"))
    with pytest.raises(AuthenticationError, match=r"requires authentication.*tt\.BasicAuthentication"):
        tt.Session.connect(url)


def test_connect_to_something_else_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="base URL"):
        tt.Session.connect("127.0.0.1:9")
    with pytest.raises(ConnectionError, match="cannot be reached"):
        tt.Session.connect("http://127.0.0.1:9")  # the discard port: nothing listens there
    with pytest.raises(TypeError, match="BasicAuthentication"):
        tt.Session.connect("http://127.0.0.1:9", authentication=("admin", "passwd"))
    with pytest.raises(FileNotFoundError, match="certificate authority"):
        tt.Session.connect("http://127.0.0.1:9", certificate_authority=tmp_path / "missing.pem")


def test_a_user_without_roles_is_denied(target: dict[str, str]) -> None:
    # The target has no user "nobody": checked in-process with a user who has a password and no role.
    with tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig())) as session:
        session.security.basic_authentication.credentials["nobody"] = "pw"
        with pytest.raises(AccessDeniedError, match="'nobody'"):
            tt.Session.connect(session.url, authentication=tt.BasicAuthentication("nobody", "pw"))


def test_closing(target: dict[str, str]) -> None:
    connected = tt.Session.connect(target["secure"], authentication=tt.BasicAuthentication("admin", "passwd"))
    table = connected.tables["Example"]
    assert not connected.closed
    with connected:
        pass
    assert connected.closed and "closed" in repr(connected)
    with pytest.raises(SessionClosedError):
        connected.tables  # noqa: B018
    with pytest.raises(SessionClosedError):
        table.head()
    connected.close()  # again: nothing happens


def test_basic_authentication_hides_its_password() -> None:
    auth = tt.BasicAuthentication("admin", "s3cret")
    assert "s3cret" not in repr(auth)
    assert auth("http://x") == {"Authorization": "Basic YWRtaW46czNjcmV0"}


# -- Live Extension: tables, loads, cubes, queries -------------------------------------------------


def _orders(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "Id": np.arange(n, dtype=np.int64),
        "Country": rng.choice(["France", "UK", "Germany", "Spain"], n),
        "Product": rng.choice([f"P{i}" for i in range(20)], n),
        "Date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 30, n), unit="D"),
        "Qty": rng.integers(1, 100, n),
        "Price": rng.random(n) * 100,
    })


def test_remote_tables_describe_themselves(admin: ConnectedSession) -> None:
    table = admin.create_table("Described", data_types={"Id": "int", "Name": "String", "When": "LocalDate"},
                               keys=["Id"])
    assert (table.name, table.keys, table.columns) == ("Described", ("Id",), ["Id", "Name", "When"])
    assert table["When"].data_type == "LocalDate"
    assert "Described" in admin.tables and len(admin.tables["Described"]) == 0
    with pytest.raises(KeyError, match="no column 'Nope'"):
        table["Nope"]
    with pytest.raises(KeyError, match="No table named 'Nope'"):
        admin.tables["Nope"]
    with pytest.raises(RemoteRequestError, match="already exists") as caught:
        admin.create_table("Described", data_types={"Id": "int"})
    assert caught.value.status_code == 409


def test_rows_added_remotely_read_back_like_local_ones(admin: ConnectedSession) -> None:
    table = admin.create_table("Rows", data_types={"Id": "int", "Name": "String", "When": "LocalDate"}, keys=["Id"])
    table += (1, "a", "2024-01-02")
    table += [(2, "b", None), (3, "c", pd.Timestamp("2024-03-04").date())]
    table.append({"Id": 1, "Name": "A", "When": "2024-01-05"})  # same key: replaces the row
    assert len(table) == 3
    local = tt.Session.start()
    try:
        mirror = local.create_table("Rows", data_types={"Id": "int", "Name": "String", "When": "LocalDate"},
                                    keys=["Id"])
        mirror += [(1, "a", "2024-01-02"), (2, "b", None), (3, "c", pd.Timestamp("2024-03-04").date())]
        mirror.append({"Id": 1, "Name": "A", "When": "2024-01-05"})
        pd.testing.assert_frame_equal(table.head(10), mirror.head(10))
        pd.testing.assert_frame_equal(table.head(2), mirror.head(2))
    finally:
        local.close()
    assert table.drop(table["Name"].isin("b", "c") & (table["Id"] > 2)) == 1
    assert len(table) == 2
    with pytest.raises(ValueError, match="'not an int' of column 'Id' cannot be converted to int"):
        table += ("not an int", "x", None)  # checked here, as locally
    with pytest.raises(RemoteRequestError, match="Id") as caught:  # checked by the target
        table.load(pd.DataFrame({"Id": ["x"], "Name": ["y"], "When": [None]}))
    assert caught.value.status_code == 400
    assert len(table) == 2  # nothing was loaded


def test_load_100k_rows_of_pandas_and_arrow(admin: ConnectedSession) -> None:
    data = _orders(100_000)
    types = {"Id": "long", "Country": "String", "Product": "String", "Date": "LocalDateTime", "Qty": "long",
             "Price": "double"}
    table = admin.create_table("Big", data_types=types, keys=["Id"])
    table.load(data)
    assert len(table) == 100_000
    head = table.head(3)
    expected = data.head(3).set_index("Id")
    pd.testing.assert_frame_equal(head, expected, check_dtype=False, check_index_type=False)
    # An Arrow table loads too; keyed rows replace the earlier ones.
    table.load(pa.Table.from_pandas(data.head(10).assign(Qty=0), preserve_index=False))
    assert len(table) == 100_000
    assert table.head(10)["Qty"].tolist() == [0] * 10
    with pytest.raises(TypeError, match="file would be read on the target's host"):
        table.load(tt.CsvLoad("orders.csv"))


def test_remote_query_equals_the_local_one(admin: ConnectedSession) -> None:
    data = _orders(5_000, seed=1)
    remote_table = admin.create_table("Orders", data_types={"Id": "long", "Country": "String", "Product": "String",
                                                            "Date": "LocalDateTime", "Qty": "long", "Price": "double"},
                                      keys=["Id"])
    remote_table.load(data)
    remote = admin.create_cube(remote_table, "Orders")
    assert remote.name == "Orders" and "Orders" in admin.cubes
    remote = admin.cubes["Orders"]

    local_session = tt.Session.start()
    try:
        local = local_session.create_cube(local_session.read_pandas(data, table_name="Orders", keys=["Id"],
                                                                    data_types={"Date": "LocalDateTime"}))
        assert sorted(remote.measures) == sorted(local.measures)
        assert sorted(remote.levels) == sorted(local.levels)
        rm, rl, lm, ll = remote.measures, remote.levels, local.measures, local.levels
        cases = [
            {"measures": ["Qty.SUM", "Price.MEAN", "contributors.COUNT"], "levels": ["Country"]},
            {"measures": ["Qty.SUM"], "levels": ["Country", "Product"], "include_totals": True},
            {"measures": ["Price.SUM"], "levels": [("Orders", "Product", "Product")], "filter": ("Country", "==", "UK")},
            {"measures": ["Qty.MEAN"], "levels": ["Product"], "filter": ("Country", "isin", ["France", "Spain"])},
            {"measures": ["Qty.SUM"], "levels": [], "include_totals": False},
        ]
        for case in cases:
            kwargs = {"include_totals": case.get("include_totals", False)}
            r_filter = l_filter = None
            if "filter" in case:
                level, op, value = case["filter"]
                r_filter = rl[level] == value if op == "==" else rl[level].isin(*value)
                l_filter = ll[level] == value if op == "==" else ll[level].isin(*value)
            for mode in ("raw", "pretty"):
                got = remote.query(*[rm[m] for m in case["measures"]], levels=[rl[lvl] for lvl in case["levels"]],
                                   filter=r_filter, mode=mode, **kwargs)
                want = local.query(*[lm[m] for m in case["measures"]], levels=[ll[lvl] for lvl in case["levels"]],
                                   filter=l_filter, mode=mode, **kwargs)
                pd.testing.assert_frame_equal(got, want, check_index_type=mode == "raw", obj=f"{case} {mode}")
                if mode == "pretty":
                    assert repr(got) == repr(want)
    finally:
        local_session.close()


def test_remote_query_mdx_equals_the_local_one(target: dict[str, str], admin: ConnectedSession) -> None:
    data = _orders(2_000, seed=2)
    table = admin.create_table("MdxOrders", data_types={"Id": "long", "Country": "String", "Product": "String",
                                                        "Date": "LocalDateTime", "Qty": "long", "Price": "double"},
                               keys=["Id"])
    table.load(data)
    admin.create_cube(table, "MdxOrders")
    queries = [
        ("SELECT NON EMPTY DrilldownLevel([MdxOrders].[Country].[ALL].[AllMember]) ON ROWS, "
         "NON EMPTY Crossjoin({[Measures].[Qty.SUM], [Measures].[Price.MEAN]}, "
         "[MdxOrders].[Product].[Product].Members) ON COLUMNS FROM [MdxOrders]"),
        ("SELECT [Measures].[Qty.SUM] ON COLUMNS FROM [MdxOrders] WHERE [MdxOrders].[Country].[Country].[UK]"),
    ]
    local_session = tt.Session.start()
    try:
        local_session.create_cube(local_session.read_pandas(data, table_name="MdxOrders", keys=["Id"],
                                                            data_types={"Date": "LocalDateTime"}))
        # ROLE_USER suffices to read.
        with tt.Session.connect(target["secure"], authentication=tt.BasicAuthentication("user", "passwd")) as user:
            for mdx in queries:
                for keep_totals in (False, True):
                    for mode in ("raw", "pretty"):
                        got = user.query_mdx(mdx, keep_totals=keep_totals, mode=mode)
                        want = local_session.query_mdx(mdx, keep_totals=keep_totals, mode=mode)
                        pd.testing.assert_frame_equal(got, want, check_index_type=mode == "raw",
                                                      obj=f"{mdx} {keep_totals} {mode}")
                        if mode == "pretty":
                            assert repr(got) == repr(want)
            by_pandas = data[data["Country"] == "UK"]["Qty"].sum()
            assert user.query_mdx(queries[1], mode="raw").to_dict("list") == {"Qty.SUM": [by_pandas]}
            with pytest.raises(RemoteRequestError, match=r"no measure 'Nope' \(MDX line 1, column 19\)"):
                user.query_mdx("SELECT [Measures].[Nope] ON 0 FROM [MdxOrders]")
    finally:
        local_session.close()
    anonymous = httpx.post(f"{target['secure']}/atoti/rest/v0/query/mdx", json={"mdx": queries[1]})
    assert anonymous.status_code == 401


def test_remote_query_errors(admin: ConnectedSession) -> None:
    table = admin.create_table("Q", data_types={"Id": "String", "Qty": "int"})
    table += ("a", 1)
    cube = admin.create_cube(table)
    other = admin.create_cube(table, "Q2")
    with pytest.raises(TypeError, match="not a measure of cube 'Q'"):
        cube.query(other.measures["Qty.SUM"])
    with pytest.raises(KeyError, match="no measure 'Nope'"):
        cube.measures["Nope"]
    with pytest.raises(KeyError, match="No level named 'Nope'"):
        cube.levels["Nope"]
    with pytest.raises(TypeError, match="only be combined with `&`"):
        (cube.levels["Id"] == "a") | (cube.levels["Id"] == "b")
    assert cube.query(cube.measures["Qty.SUM"], mode="raw").to_dict("list") == {"Qty.SUM": [1]}


def test_changes_from_a_connected_session_notify_the_target() -> None:
    # In-process target: its database commits are what live widgets subscribe to.
    with tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig())) as session:
        session.security.basic_authentication.credentials["admin"] = "pw"
        session.security.individual_roles["admin"] = {"ROLE_ADMIN"}
        local = session.create_table("Live", data_types={"Id": "String", "Qty": "int"}, keys=["Id"])
        commits: list[object] = []
        unsubscribe = session._database.subscribe(commits.append)
        try:
            with tt.Session.connect(session.url, authentication=tt.BasicAuthentication("admin", "pw")) as connected:
                remote = connected.tables["Live"]
                remote += ("a", 1)
                remote.load(pd.DataFrame({"Id": ["b", "c"], "Qty": [2, 3]}))
                remote.drop(remote["Id"] == "a")
        finally:
            unsubscribe()
        assert len(commits) == 3
        assert local.head().to_dict() == {"Qty": {"b": 2, "c": 3}}
