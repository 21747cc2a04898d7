"""Variants × seeds: run folders that name their variant, and a mean ± std table."""

import json

from graph.builder import Builder
from runtime.cli import run as cli
from runtime.commands.check import project_registry
from runtime.compare import compare, table
from runtime.runs import list_runs


def mlp():
    b = Builder("tiny").use_registry(project_registry())
    x = b.input("x", [64])
    b.output(b.add("Linear", b.add("ReLU", b.add("Linear", x, "fc1", out_features=16)), "fc2", out_features=10))
    b.doc.recipe = {"dataset": {"name": "digits", "flat": True}, "epochs": 1, "max_steps": 6, "batch_size": 64,
                    "hooks": [{"name": "revert_noise", "params": {"sigma": 0.01}}]}
    return b.doc


def test_variants_over_seeds_write_tagged_runs_and_a_table(tmp_path):
    lines = []
    results = compare(mlp(), {"plain": {"hooks": []}, "revert+noise": {}}, 2, project_dir=None, runs_home=tmp_path,
                      progress=lines.append)
    assert [r.name for r in results] == ["plain", "revert+noise"]
    assert all(len(r.metrics) == 2 for r in results)
    assert results[0].metrics[0] != results[0].metrics[1]  # the seed changed the run
    runs = list_runs(tmp_path / "runs")
    assert sorted((r.variant, r.seed) for r in runs) == [("plain", 0), ("plain", 1), ("revert+noise", 0),
                                                         ("revert+noise", 1)]
    assert sum(r.decisions[0].get("accepted", 0) + r.decisions[0].get("reverted+noise", 0)
               for r in results[1:]) == 6
    text = table(results, ["val_accuracy"])
    assert text.splitlines()[2].startswith("| plain | 0.") and "±" in text
    assert "accepted" in text.splitlines()[3]
    assert len(lines) == 4


def test_compare_command_reads_the_variants_file_beside_the_project(tmp_path, capsys):
    from graph import save

    project = tmp_path / "p.json"
    save(mlp(), project)
    (tmp_path / "p.compare.json").write_text(json.dumps({"seeds": 1, "variants": {"a": {}, "b": {"hooks": []}}}))
    assert cli(["compare", str(project)]) == 0
    out = capsys.readouterr().out
    assert "| a |" in out and "| b |" in out
    assert len(list_runs(tmp_path / "runs")) == 2
    (tmp_path / "q.json").write_text(project.read_text())
    assert cli(["compare", str(tmp_path / "q.json")]) == 1
    assert "no variants" in capsys.readouterr().err
