"""The code base passes ruff (the same rules the generated code is held to)."""

import subprocess
from pathlib import Path

from codegen.formatting import ruff_binary

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean():
    result = subprocess.run([ruff_binary(), "check", "graph", "codegen", "runtime", "app", "tests", "tools"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_source_file_is_over_500_lines():
    """Small modules, one concept each: a file past 500 lines holds more than one (issue #13.8)."""
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for folder in ("graph", "codegen", "runtime", "app", "tests", "tools")
             for path in (ROOT / folder).rglob("*.py")}
    assert len(sizes) > 300
    assert {path: n for path, n in sizes.items() if n > 500} == {}
