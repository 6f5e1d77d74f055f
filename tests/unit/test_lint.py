"""The house style is checked with the suite: ruff must be clean."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    targets = [d for d in ("pyexporter", "tests", "benchmarks", "docker") if os.path.isdir(os.path.join(ROOT, d))]
    proc = subprocess.run([ruff, "check", *targets], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
