"""Packaging: one version, a clean sdist and wheel from `python -m build`, and a wheel that works
when installed on its own into a fresh venv (what `pipx install .` does)."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyexporter
from tests.helpers import require

ROOT = Path(__file__).resolve().parents[2]

# Left out of the copy the build runs on: local state, not part of a checkout.
_NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".ruff_cache")


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_version_comes_from_the_package_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    dynamic = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["dynamic"]
    assert dynamic["version"] == {"attr": "pyexporter.__version__"}


def test_version_flag_prints_version_and_python() -> None:
    out = _run([sys.executable, "-m", "pyexporter", "--version"]).stdout.strip()
    assert out == f"pyexporter, version {pyexporter.__version__} (python {platform.python_version()})"


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Build sdist and wheel from a copy of the tree (links copied as links, as git checks them out),
    so that the build's own files never land in the working tree."""
    require(importlib.util.find_spec("build") is not None, "`build` is not installed (pip install build)")
    work = tmp_path_factory.mktemp("packaging")
    src = work / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=_NOT_SOURCE)
    out = work / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(src)])
    (sdist,) = out.glob("pyexporter-*.tar.gz")
    (wheel,) = out.glob("pyexporter-*.whl")
    yield {"sdist": sdist, "wheel": wheel, "work": work}


def test_build_names_carry_the_version(dists: dict[str, Path]) -> None:
    version = pyexporter.__version__
    assert dists["sdist"].name == f"pyexporter-{version}.tar.gz"
    assert dists["wheel"].name == f"pyexporter-{version}-py3-none-any.whl"


def test_sdist_holds_the_package_and_no_test_fixtures(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as tar:
        members = tar.getmembers()
    prefix = f"pyexporter-{pyexporter.__version__}/"
    names = {m.name.removeprefix(prefix) for m in members}
    assert all(m.name.startswith(prefix) or m.name == prefix.rstrip("/") for m in members)
    # The fixture trees hold cyclic sysfs-style links: none of them, and no link at all, may ship.
    assert not [n for n in names if n.startswith("tests/fixtures")]
    assert not [m.name for m in members if m.issym() or m.islnk()]
    for required in ("pyproject.toml", "README.md", "PKG-INFO", "pyexporter/__init__.py", "pyexporter/cli.py"):
        assert required in names, required
    sources = {f"pyexporter/collectors/{p.name}" for p in (ROOT / "pyexporter" / "collectors").glob("*.py")}
    assert sources <= names, sorted(sources - names)
    # A bound on the size catches a data tree swept in by accident.
    assert len(members) < 400, len(members)


def test_wheel_holds_every_module_and_the_console_script(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as whl:
        names = set(whl.namelist())
        info = f"pyexporter-{pyexporter.__version__}.dist-info"
        entry_points = whl.read(f"{info}/entry_points.txt").decode()
        metadata = whl.read(f"{info}/METADATA").decode()
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "pyexporter").rglob("*.py") if "__pycache__" not in p.parts}
    assert modules <= names, sorted(modules - names)
    assert {f"pyexporter/collectors/{p.name}" for p in (ROOT / "pyexporter" / "collectors").glob("*.py")} <= names
    assert not [n for n in names if n.startswith("tests/")]
    assert "pyexporter = pyexporter.cli:main" in entry_points
    assert f"Version: {pyexporter.__version__}" in metadata
    assert "Requires-Python: >=3.11" in metadata


def test_wheel_installed_alone_runs(dists: dict[str, Path]) -> None:
    venv = dists["work"] / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    # pip resolves the dependencies from the package index, as `pipx install .` would.
    _run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(dists["wheel"])])
    exe = venv / "bin" / "pyexporter"
    # Run from an empty directory so that the working tree's pyexporter cannot be imported instead.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    version = _run([str(exe), "--version"], cwd=dists["work"], env=env).stdout
    assert f"version {pyexporter.__version__} " in version
    where = _run([str(venv / "bin" / "python"), "-c", "import pyexporter; print(pyexporter.__file__)"],
                 cwd=dists["work"], env=env).stdout.strip()
    assert where.startswith(str(venv)), where
    once = _run([str(exe), "--once", "--collector.disable-defaults", "--collector.loadavg"],
                cwd=dists["work"], env=env).stdout
    assert "# TYPE node_load1 gauge" in once
    assert 'node_scrape_collector_success{collector="loadavg"} 1.0' in once
