"""Issue 14: every template's exported .py imports again, and export → import → export is a fixed point."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph import load
from runtime.commands.check import project_registry
from tests.codegen.roundtrip import fixed_point

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "resources" / "templates").glob("*.json"))


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_export_import_export_is_a_fixed_point(path: Path, tmp_path: Path) -> None:
    doc = load(path, project_registry())
    first, second, keys1, keys2, summary, doc2 = fixed_point(doc, tmp_path)
    assert summary.max_abs_diff is not None and summary.max_abs_diff <= 1e-5
    assert second == first
    assert keys2 == keys1
    assert doc2.recipe == doc.recipe and doc2.description == doc.description and doc2.name == doc.name
