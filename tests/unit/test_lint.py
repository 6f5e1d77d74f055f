"""The house style is checked with the suite: ruff clean, and mypy --strict clean for the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.helpers import require

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tool(name: str) -> str:
    path = shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)
    require(path is not None, f"{name} is not installed (pip install -e '.[test]')")
    assert path is not None
    return path


def test_ruff_clean() -> None:
    targets = [d for d in ("pyexporter", "tests", "benchmarks", "docker") if os.path.isdir(os.path.join(ROOT, d))]
    proc = subprocess.run([_tool("ruff"), "check", *targets], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_clean() -> None:
    proc = subprocess.run([_tool("mypy"), "--strict", "pyexporter"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
