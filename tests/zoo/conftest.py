"""The zoo runs in .venv-zoo (torch + torchvision + timm + transformers): `make zoo`. It prints a table."""

from __future__ import annotations

import pytest

ROWS: list = []


def pytest_terminal_summary(terminalreporter) -> None:
    if not ROWS:
        return
    from codegen.importer.report import table

    terminalreporter.write_sep("=", "import zoo")
    terminalreporter.write_line(table(ROWS))


@pytest.fixture
def zoo_rows() -> list:
    return ROWS
