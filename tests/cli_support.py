"""Running `torchcanvas ARGS` in tests: as its own process, or through the same entry function in this one."""

from __future__ import annotations

import subprocess
import sys

from app.cli import main


def torchcanvas(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m app ARGS` in a fresh interpreter (what a person types; costs an interpreter and torch start-up)."""
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=timeout)


def in_process(capsys, *args: str) -> subprocess.CompletedProcess:
    """`app.cli.main(ARGS)` — the function `python -m app` calls — here, with its exit code, stdout and stderr."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(["torchcanvas", *args], code, captured.out, captured.err)
