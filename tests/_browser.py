"""Playwright on Debian's chromium, for the browser tests (widgets end to end, the web app).

Playwright cannot download its own browsers here, so every suite launches the system chromium
(``/usr/bin/chromium``, installed by ``scripts/test.sh``). Use the fixtures from a test module or a
``conftest.py``::

    from tests._browser import browser, page  # noqa: F401  (pytest fixtures)

    def test_title(page):
        page.goto("http://127.0.0.1:8000/")
        assert page.title()

or, outside pytest, the context manager :func:`launch`. Tests using them are skipped (with the
reason) when chromium or the ``playwright`` package is missing, so a machine without a browser
still runs the rest of the suite; CI installs both.

Helpers for servers under test: :func:`free_port`, :func:`wait_for_http`, :func:`jupyter_server`
(a JupyterLab / Notebook 7 server in a temp directory), :func:`artifact_path` (screenshots go to
``test-artifacts/``, gitignored).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = [
    "ARTIFACTS",
    "CHROMIUM_ARGS",
    "artifact_path",
    "browser",
    "chromium_path",
    "free_port",
    "jupyter_server",
    "launch",
    "page",
    "printed_json",
    "require_browser",
    "run_cell",
    "wait_for_http",
    "wait_for_kernel_idle",
    "write_notebook",
]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # /dev/shm is small in containers
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--mute-audio",
)

DEFAULT_TIMEOUT_MS = 60_000
"""Generous: CI has 2 cores shared with the kernel and the Jupyter server under test."""


def chromium_path() -> str | None:
    """The chromium to drive: ``$ATOTI_LAB_CHROMIUM``, else Debian's, else one on the PATH."""
    for candidate in (os.environ.get("ATOTI_LAB_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_browser() -> str:
    """The chromium path; skips the calling test when chromium or playwright is missing."""
    path = chromium_path()
    if path is None:
        pytest.skip("no chromium (scripts/test.sh installs Debian's chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    return path


@contextlib.contextmanager
def launch(*, executable: str | None = None, args: tuple[str, ...] = CHROMIUM_ARGS) -> Iterator[Browser]:
    """A headless chromium driven by Playwright (closed on exit)."""
    from playwright.sync_api import sync_playwright

    path = executable or chromium_path()
    if path is None:
        msg = "No chromium found; install Debian's (apt-get install chromium) or set ATOTI_LAB_CHROMIUM."
        raise RuntimeError(msg)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=list(args), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium per test module: Playwright's sync API runs an asyncio loop in this thread
    while it lives, which later suites (asyncio.run, other Playwright users) must not see."""
    path = require_browser()
    with launch(executable=path) as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own context: no shared cookies or storage), console errors kept on
    ``page.console_errors`` for assertions and failure messages."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    p = context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.console_errors = errors  # type: ignore[attr-defined]
    try:
        yield p
    finally:
        context.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, *, timeout: float = 60.0, process: Any = None) -> None:
    """Wait until ``url`` answers (any HTTP status); fails early if ``process`` (a Popen) exits."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            msg = f"The server exited with code {process.returncode} before answering {url}."
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError as e:
            last = e
            time.sleep(0.2)
    msg = f"{url} did not answer within {timeout:.0f} s (last error: {last})."
    raise TimeoutError(msg)


def artifact_path(name: str) -> Path:
    """``test-artifacts/<name>`` (directory created), for screenshots kept by CI."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


@contextlib.contextmanager
def jupyter_server(root: Path, *, token: str, python: str = sys.executable) -> Iterator[str]:
    """A Jupyter server (JupyterLab 4 and Notebook 7 pages) serving ``root/work``, on a free port;
    yields its base URL. Its config, runtime and settings live under ``root/home`` (nothing of the
    user's is read or written); its log is ``root/server.log``. The kernel is ``python``'s."""
    home = root / "home"
    settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    # No news or update checks: CI has no internet, and their toasts cover the page.
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    work = root / "work"
    work.mkdir(exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        python,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        "--allow-root",  # CI runs as root
        "--LabApp.news_url=",
        "--LabApp.extension_manager=readonly",  # no PyPI queries from the extension manager
    ]
    log_path = root / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_for_http(f"{base}/api/status?token={token}", timeout=120, process=process)
            except Exception:
                log.flush()
                print(log_path.read_text()[-4000:])
                raise
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def write_notebook(path: Path, sources: list[str]) -> None:
    """A notebook of code cells ``sources`` (Python 3 kernel), not run."""
    cells = [
        {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
        for source in sources
    ]
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook))


def wait_for_kernel_idle(page: Any, timeout_ms: int = 180_000) -> None:
    """Wait until the notebook's kernel says idle (the toolbar's execution indicator)."""
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=timeout_ms)


def run_cell(page: Any, index: int, *, attempts: int = 3) -> None:
    """Run cell ``index`` of the notebook open in ``page`` (JupyterLab or Notebook 7): select it
    in command mode, then Shift+Enter, once the kernel is idle. Checks that the run started (the
    prompt shows ``[*]`` or a number): a key press racing the kernel's start-up can be lost."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputPrompt").first
    for attempt in range(attempts):
        wait_for_kernel_idle(page)
        prompt.click()
        page.keyboard.press("Escape")
        prompt.click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function(
                "el => /\\[(\\*|\\d+)\\]/.test(el.textContent)", arg=prompt.element_handle(), timeout=15_000
            )
            return
        except Exception:
            if attempt == attempts - 1:
                raise


def printed_json(page: Any, tag: str, timeout_ms: int = 180_000) -> Any:
    """The JSON a cell printed on the line starting with ``tag``."""
    locator = page.locator(".jp-OutputArea-output", has_text=tag).first
    locator.wait_for(timeout=timeout_ms)
    text = locator.inner_text()
    return json.loads(text[text.index(tag) + len(tag) :].strip().splitlines()[0])
