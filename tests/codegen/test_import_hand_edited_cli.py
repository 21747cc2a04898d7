"""Issue 14, done-when: `torchcanvas import FILE.py:Class` on hand-edited exported code, end to end.

The user's path through the CLI only: `export --to py`, edit the file in an
editor (rename a layer, change a width, add a Dropout), `import` it, `check`
the project; the project's graph holds each edit, wired where the code put it,
and exporting it again writes the edited layers. `import` runs the user's file,
so it runs as its own `python -m app` process; export and check go through the
same entry function in this process (no interpreter and torch start-up each).
"""

from __future__ import annotations

from pathlib import Path

from graph import load
from runtime.commands.check import project_registry
from tests.cli_support import in_process, torchcanvas

TEMPLATE = Path(__file__).resolve().parents[2] / "resources" / "templates" / "02_mlp_digits.json"


def _edit(source: str) -> str:
    edits = [
        ("self.fc1 = nn.Linear(64, 128)", "self.dense = nn.Linear(64, 96)"),  # rename + width
        ("fc1 = self.fc1(x)", "fc1 = self.dense(x)"),
        ("self.fc2 = nn.Linear(128, 10)", "self.fc2 = nn.Linear(96, 10)"),  # follow the width
        ("self.drop = nn.Dropout(0.1)", "self.drop = nn.Dropout(0.1)\n        self.extra = nn.Dropout(p=0.3)"),
        ("fc2 = self.fc2(drop)", "extra = self.extra(drop)\n        fc2 = self.fc2(extra)"),
    ]
    for old, new in edits:
        assert source.count(old) == 1, old  # the export still looks the way this test edits it
        source = source.replace(old, new)
    return source


def test_cli_imports_hand_edited_export_and_the_graph_shows_each_edit(tmp_path: Path, capsys) -> None:
    exported = tmp_path / "mlp.py"
    result = in_process(capsys, "export", str(TEMPLATE), "--to", "py", "-o", str(exported))
    assert result.returncode == 0, result.stderr
    exported.write_text(_edit(exported.read_text(encoding="utf-8")), encoding="utf-8")
    project = tmp_path / "edited.json"

    result = torchcanvas("import", f"{exported}:MLPOnDigits", "--input-shape", "64", "-o", str(project))
    assert result.returncode == 0, result.stderr
    assert "max abs diff: 0.00e+00" in result.stdout
    result = in_process(capsys, "check", str(project))
    assert result.returncode == 0, result.stdout + result.stderr

    doc = load(project, project_registry())
    nodes = {n.label: n for n in doc.graph.nodes.values()}
    assert "dense" in nodes and "fc1" not in nodes
    assert nodes["dense"].type == "Linear" and nodes["dense"].params["out_features"] == 96
    assert nodes["extra"].type == "Dropout" and nodes["extra"].params == {"p": 0.3}
    ids = {n.label: nid for nid, n in doc.graph.nodes.items()}
    wires = {(e.src, e.dst) for e in doc.graph.edges}
    chain = ["x", "dense", "act1", "drop", "extra", "fc2"]
    assert all((ids[a], ids[b]) in wires for a, b in zip(chain, chain[1:], strict=False)), wires
    assert doc.recipe["dataset"]["name"] == "digits"  # the metadata block still came back

    again = tmp_path / "again.py"
    result = in_process(capsys, "export", str(project), "--to", "py", "-o", str(again))
    assert result.returncode == 0, result.stderr
    text = again.read_text(encoding="utf-8")
    assert "self.dense = nn.Linear(64, 96)" in text and "self.extra = nn.Dropout(0.3)" in text
    assert "self.fc2 = nn.Linear(96, 10)" in text  # the width reached the next layer
    assert "self.fc1" not in text
