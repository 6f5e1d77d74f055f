"""The package's folders are its layers: each imports only from the layers beneath it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pyexporter

PACKAGE = Path(pyexporter.__file__).parent

# What the modules of each part may import from the package (module or package prefixes).
ALLOWED = {
    "toolkit": ("pyexporter.toolkit", "pyexporter.paths", "pyexporter.flags"),
    "collectors": ("pyexporter.toolkit", "pyexporter.paths", "pyexporter.flags", "pyexporter.collectors"),
    "webconfig": ("pyexporter.webconfig", "pyexporter.flags", "pyexporter.settings"),
}
# The web layer reaches collectors only through scrape.
WEB_LAYER = ("web.py", "listener.py", "server.py", "exporter.py", "webconfig")
WEB_FORBIDDEN = ("pyexporter.collectors",)


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in names if name == "pyexporter" or name.startswith("pyexporter.")]


def _modules(part: str) -> list[Path]:
    target = PACKAGE / part
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_from_beneath_it(part: str) -> None:
    for path in _modules(part):
        for name in _imports(path):
            # `from pyexporter.toolkit import files` names pyexporter.toolkit and .files: judge the module.
            assert name.startswith(ALLOWED[part]) or name in ("pyexporter", "pyexporter.__version__"), (
                f"{path.relative_to(PACKAGE)} imports {name}"
            )


def test_the_web_layer_knows_no_collector() -> None:
    for part in WEB_LAYER:
        for path in _modules(part):
            for name in _imports(path):
                assert not name.startswith(WEB_FORBIDDEN), f"{path.relative_to(PACKAGE)} imports {name}"
