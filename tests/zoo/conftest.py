"""The zoo runs in .venv-zoo (torch + torchvision + timm + transformers): `make zoo`. It prints a table.

Shared for the session: one rebuilding process (`rebuild.py --serve`) and each model's import, so a test that
looks at one model's structure does not import it again.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROWS: list = []
HERE = Path(__file__).resolve().parent


def pytest_terminal_summary(terminalreporter) -> None:
    if not ROWS:
        return
    from codegen.importer.report import table

    terminalreporter.write_sep("=", "import zoo")
    terminalreporter.write_line(table(ROWS))


@pytest.fixture
def zoo_rows() -> list:
    return ROWS


class Rebuilder:
    """A process of its own that rebuilds exported models (it imports only torch and safetensors)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(HERE / "rebuild.py"), "--serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def rebuild(self, *args: str, timeout: float = 300) -> None:
        assert self.process.poll() is None, "the rebuilding process ended"
        self.process.stdin.write(json.dumps([str(a) for a in args]) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        assert ready, f"rebuilding took over {timeout} s"
        answer = self.process.stdout.readline().strip()
        assert answer == "ok", json.loads(answer.removeprefix("error: ")) if answer.startswith("error: ") else answer

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def rebuilder():
    worker = Rebuilder()
    yield worker
    worker.close()


@dataclass
class Imported:
    original: Any
    inputs: list
    doc: Any
    origin: Any
    #: how long building and importing took, and when it ended (time.perf_counter)
    seconds: float
    finished: float


_IMPORTED: dict[str, Imported] = {}


@pytest.fixture(scope="session")
def imported():
    """entry → its model built, imported once per session (the zoo's slowest step after rebuilding)."""
    from codegen.importer import import_module
    from tests.zoo.models import build

    def get(entry) -> Imported:
        if entry.name not in _IMPORTED:
            start = time.perf_counter()
            original = build(entry)
            inputs = entry.inputs()
            doc, origin = import_module(original, inputs=inputs)
            end = time.perf_counter()
            _IMPORTED[entry.name] = Imported(original, inputs, doc, origin, end - start, end)
        return _IMPORTED[entry.name]
    return get
