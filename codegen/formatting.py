"""Formatting generated text with ruff, so exported code is what a careful person writes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path


@cache
def ruff_binary() -> str | None:
    local = Path(sys.executable).parent / "ruff"
    if local.exists():
        return str(local)
    return shutil.which("ruff")


def format_source(source: str, line_length: int = 88) -> str:
    """ruff format's output; the text unchanged when ruff is not installed or fails."""
    ruff = ruff_binary()
    if ruff is None:
        return source
    try:
        result = subprocess.run(
            [ruff, "format", "--isolated", f"--line-length={line_length}", "-"],
            input=source, capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return source
    return result.stdout if result.returncode == 0 else source


def lint_source(source: str) -> list[str]:
    """ruff check's findings on generated text (empty when clean or ruff is absent)."""
    ruff = ruff_binary()
    if ruff is None:
        return []
    result = subprocess.run(
        [ruff, "check", "--isolated", "--select=E,F,W,I,B", "--output-format=concise",
         "--stdin-filename=model.py", "-"],
        input=source, capture_output=True, text=True, timeout=30,
    )
    return [line for line in result.stdout.splitlines() if line.startswith("model.py")]

