"""The code base passes ruff (the same rules the generated code is held to)."""

import subprocess
from pathlib import Path

from codegen.formatting import ruff_binary

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean():
    result = subprocess.run([ruff_binary(), "check", "graph", "codegen", "runtime", "app", "tests", "tools"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
