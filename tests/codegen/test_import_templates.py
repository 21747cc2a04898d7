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


def test_hand_edited_export_imports_with_the_edits(tmp_path: Path) -> None:
    """Rename a layer, change a width, add a Dropout in the exported file: the graph shows each edit."""
    from codegen import compile_document
    from tests.codegen.roundtrip import reimport

    doc = load(TEMPLATES[1], project_registry())  # MLP on digits: fc1 → act1 → drop → fc2
    source = compile_document(doc).source
    edited = (source.replace("self.fc1 = nn.Linear(64, 128)", "self.dense = nn.Linear(64, 96)")
              .replace("fc1 = self.fc1(x)", "fc1 = self.dense(x)")
              .replace("nn.Linear(128, 10)", "nn.Linear(96, 10)")
              .replace("self.drop = nn.Dropout(0.1)", "self.drop = nn.Dropout(0.1)\n        self.extra = nn.Dropout(p=0.3)")
              .replace("drop = self.drop(act1)", "drop = self.extra(self.drop(act1))"))
    assert edited.count("dense") == 2 and "self.extra" in edited
    doc2, _, _, summary = reimport(edited, compile_document(doc).class_name, doc, tmp_path, stem="edited")
    nodes = {n.label: n for n in doc2.graph.nodes.values()}
    assert "dense" in nodes and "fc1" not in nodes
    assert nodes["dense"].params["out_features"] == 96
    assert nodes["extra"].type == "Dropout" and nodes["extra"].params == {"p": 0.3}
    assert summary.max_abs_diff == 0.0
