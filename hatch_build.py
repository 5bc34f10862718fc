"""Hatchling build hook: build the front-end bundles into atoti_lab/static/ for wheels.

For wheel and editable builds it runs, at the repository root,

    npm ci            (npm install when there is no package-lock.json; skipped when
                       node_modules is already in step with the lock)
    node js/build.mjs (esbuild -> atoti_lab/static/*.js, *.css)

and adds the outputs to the wheel (they are gitignored). ``ATOTI_LAB_SKIP_JS_BUILD=1``
skips all of it when the bundles already exist. sdists get the sources only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MIN_NODE = (20, 0)
STATIC = Path("atoti_lab", "static")
REQUIRED = ("table.js", "table.css", "pivot.js", "pivot.css")
SKIP_ENV = "ATOTI_LAB_SKIP_JS_BUILD"


class FrontendBuildError(RuntimeError):
    pass


class FrontendBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        if not self._skip_requested(root):
            self._build(root)
        missing = [name for name in REQUIRED if not (root / STATIC / name).is_file()]
        if missing:
            msg = f"atoti_lab: the front-end build did not produce {', '.join(missing)} in {root / STATIC}"
            raise FrontendBuildError(msg)
        outputs = sorted(p for p in (root / STATIC).iterdir() if p.suffix in {".js", ".css", ".txt"})
        build_data.setdefault("artifacts", []).extend(p.relative_to(root).as_posix() for p in outputs)

    def _skip_requested(self, root: Path) -> bool:
        if os.environ.get(SKIP_ENV, "").strip() not in {"1", "true", "yes"}:
            return False
        if all((root / STATIC / name).is_file() for name in REQUIRED):
            self.app.display_info(f"atoti_lab: {SKIP_ENV}=1, using the existing bundles in {STATIC}/")
            return True
        self.app.display_warning(f"atoti_lab: {SKIP_ENV}=1 but {STATIC}/ has no bundles; building them")
        return False

    def _build(self, root: Path) -> None:
        node = shutil.which("node")
        npm = shutil.which("npm")
        if node is None or npm is None:
            names = [name for name, path in (("node", node), ("npm", npm)) if path is None]
            missing = " and ".join(names) + (" were" if len(names) > 1 else " was")
            msg = (
                f"atoti_lab: building the widgets' JavaScript needs Node.js >= {MIN_NODE[0]} with npm, "
                f"but {missing} not found on PATH. Install Node.js (https://nodejs.org), or build "
                f"the bundles elsewhere (`npm ci && npm run build`), copy {STATIC}/ here and set "
                f"{SKIP_ENV}=1."
            )
            raise FrontendBuildError(msg)
        self._check_node_version(node)

        lock = root / "package-lock.json"
        installed_lock = root / "node_modules" / ".package-lock.json"
        if not lock.is_file():
            self._run([npm, "install", "--no-audit", "--no-fund"], root)
        elif installed_lock.is_file() and installed_lock.stat().st_mtime >= lock.stat().st_mtime:
            self.app.display_info("atoti_lab: node_modules is up to date with package-lock.json")
        else:
            self._run([npm, "ci", "--no-audit", "--no-fund"], root)
        self._run([node, str(Path("js", "build.mjs"))], root)

    def _check_node_version(self, node: str) -> None:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
        match = re.match(r"v?(\d+)\.(\d+)", out)
        if match and (int(match.group(1)), int(match.group(2))) < MIN_NODE:
            msg = f"atoti_lab: Node.js >= {MIN_NODE[0]} is needed to build the widgets, found {out} at {node}"
            raise FrontendBuildError(msg)

    def _run(self, cmd: list[str], cwd: Path) -> None:
        shown = " ".join([Path(cmd[0]).name, *cmd[1:]])
        self.app.display_info(f"atoti_lab: {shown}")
        result = subprocess.run(cmd, cwd=cwd, check=False)
        if result.returncode != 0:
            msg = f"atoti_lab: `{shown}` failed (exit code {result.returncode}) in {cwd}"
            raise FrontendBuildError(msg)
