"""Every notebook under notebooks/ runs under nbval, and its stored outputs match a fresh run.

Each notebook runs in its own ``python -m pytest --nbval`` subprocess, from the notebook's folder
(so relative paths like ``data/current/*.csv`` work), on a kernel started with this interpreter
(``--nbval-current-env``: nothing is registered with Jupyter). A notebook must leave its folder
as it found it, so that it can run again; after a failed run, files it added under its ``data/``
folder are removed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT_S = 600  # a whole notebook
CELL_TIMEOUT_S = 180

pytest.importorskip("nbval")
pytest.importorskip("ipykernel")


def _notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _files(folder: Path) -> set[Path]:
    ignored = {"__pycache__", ".ipynb_checkpoints"}
    return {p for p in folder.rglob("*") if p.is_file() and not ignored & set(p.parts)}


@pytest.mark.parametrize("notebook", _notebooks(), ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_notebook(notebook: Path) -> None:
    folder = notebook.parent
    before = _files(folder)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable, "-m", "pytest", "--nbval", notebook.name,
        "--nbval-current-env", f"--nbval-cell-timeout={CELL_TIMEOUT_S}",
        "-p", "no:cacheprovider", "-q", "--rootdir", str(folder),
    ]
    try:
        result = subprocess.run(command, check=False, cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        _remove_new_data(folder, before)
        pytest.fail(f"{notebook.name} did not finish within {TIMEOUT_S} s:\n{_tail(error.stdout)}")
    if result.returncode != 0:
        _remove_new_data(folder, before)
        pytest.fail(f"nbval failed on {notebook.name} (exit {result.returncode}):\n{_tail(result.stdout)}\n"
                    f"{_tail(result.stderr)}")
    left = sorted(str(p.relative_to(folder)) for p in _files(folder) - before)
    assert not left, f"{notebook.name} left files behind; it must restore its folder to run again: {left}"


def _remove_new_data(folder: Path, before: set[Path]) -> None:
    """Undo what a failed run added under ``data/`` (so the next run starts from the same files)."""
    data = folder / "data"
    for path in _files(folder) - before:
        if data in path.parents:
            path.unlink(missing_ok=True)


def _tail(text: str | bytes | None, lines: int = 80) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join((text or "").splitlines()[-lines:])
