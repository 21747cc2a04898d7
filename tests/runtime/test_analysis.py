"""One analysis for check, the editor, the train pre-flight and export (issue #12.4, #13.2).

Each observation from the issue is a project `check` used to call "ok".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.launch import EXAMPLE
from graph import save
from graph.builder import Builder
from graph.problems import Problem
from runtime.analysis import analyse
from tests.cli_support import in_process, torchcanvas
from tests.codegen.graphs import builder


def example(tmp_path: Path, change) -> Path:
    data = json.loads(EXAMPLE.read_text())
    change(data)
    path = tmp_path / "project.json"
    path.write_text(json.dumps(data))
    return path


def node_index(data: dict, label: str) -> int:
    return next(k for k, n in enumerate(data["nodes"]) if n["label"] == label)


def _shape_mismatch(data):
    data["nodes"][node_index(data, "fc2")]["params"]["in_features"] = 7


def _epochs_zero(data):
    data["recipe"]["epochs"] = 0


def _lr_negative(data):
    data["recipe"]["optimizer"] = {**data["recipe"].get("optimizer", {}), "lr": -1}


def _missing_dataset_file(data):
    data["recipe"]["dataset"] = {"name": "csv", "path": "no/such/file.csv", "target": "label"}


def _trillion_features(data):
    data["nodes"][node_index(data, "fc1")]["params"]["out_features"] = 10**12


def _hook_setting_not_a_number(data):
    data["recipe"]["hooks"] = [{"name": "revert_noise", "params": {"sigma": "__import__('os')"}}]


def _hook_setting_unknown(data):
    data["recipe"]["hooks"] = [{"name": "early_stopping", "params": {"patients": 3}}]


def _hook_setting_negative(data):
    data["recipe"]["hooks"] = [{"name": "revert_noise", "params": {"sigma": -1}}]


def _hook_params_not_an_object(data):
    data["recipe"]["hooks"] = [{"name": "revert_noise", "params": 3}]


def _code_hook_without_entry(data):
    data["recipe"]["hooks"] = [{"name": "code", "code": "nope"}]


def _param_group_without_node(data):
    data["recipe"]["param_groups"] = [{"nodes": ["fc9"], "lr": 0.1}]


@pytest.mark.parametrize(("change", "named"), [
    (_shape_mismatch, "(fc2.in_features)"),
    (_epochs_zero, "recipe.epochs"),
    (_lr_negative, "recipe.optimizer.lr"),
    (_missing_dataset_file, "recipe.dataset.path"),
    (_trillion_features, "node fc1"),
    (_hook_setting_not_a_number, "expected a non-negative number, got \"__import__('os')\" "
                                 "(recipe.hooks[0].params.sigma)"),
    (_hook_setting_negative, "expected a non-negative number, got -1 (recipe.hooks[0].params.sigma)"),
    (_hook_params_not_an_object, "expected an object, got 3 (recipe.hooks[0].params)"),
    (_hook_setting_unknown, "not a setting of early stopping; it takes: monitor, patience, min_delta, mode "
                            "(recipe.hooks[0].params.patients)"),
    (_code_hook_without_entry, "recipe.hooks[0].code"),
    (_param_group_without_node, "recipe.param_groups[0].nodes"),
], ids=["shape-mismatch", "epochs-0", "lr-negative", "dataset-missing", "1e12-features", "hook-setting-type",
        "hook-setting-negative", "hook-params-not-an-object", "hook-setting-unknown", "code-hook-entry", "param-group-label"])
def test_check_exits_1_naming_the_problem(tmp_path, capsys, change, named):
    result = in_process(capsys, "check", str(example(tmp_path, change)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert named in result.stdout + result.stderr
    assert " ok " not in result.stdout and "Traceback" not in result.stderr


def test_check_from_the_command_line_exits_1_with_one_line(tmp_path):
    path = example(tmp_path, _shape_mismatch)
    result = torchcanvas("check", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == "" and "Traceback" not in result.stdout
    named = [line for line in result.stdout.splitlines() if "(fc2.in_features)" in line]
    assert named == [f"error: {path}: Linear 'fc2' expects in_features=7, but receives 128 from 'drop' (x: (B, 128)); "
                     "clear in_features to infer it (fc2.in_features)"]
    assert " ok " not in result.stdout


def conv_too_big() -> Builder:
    b = builder("kernel too big")
    x = b.input("image", [1, 4, 4])
    h = b.add("Flatten", b.add("Conv2d", x, "conv", out_channels=2, kernel_size=9), "flat")
    b.output(b.add("Linear", h, "head", out_features=3))
    return b


def test_check_names_a_kernel_larger_than_its_input(tmp_path, capsys):
    path = tmp_path / "conv.json"
    save(conv_too_big().doc, path)
    result = in_process(capsys, "check", str(path))
    assert result.returncode == 1
    assert "(node conv)" in result.stdout and "kernel" in result.stdout.lower()


def huge_mlp() -> Builder:
    b = builder("huge")
    x = b.input("x", [64])
    h = b.add("Linear", x, "wide", out_features=100_000)
    b.output(b.add("Linear", h, "wider", out_features=100_000))
    b.doc.recipe = {"dataset": {"name": "digits", "flat": True}, "epochs": 1}
    return b


def test_memory_estimate_refuses_the_100k_by_100k_project_and_names_its_largest_layer():
    analysis = analyse(huge_mlp().doc)
    memory = [p for p in analysis.errors if p.recipe_path == "recipe.memory_limit_gb"]
    assert len(memory) == 1 and memory[0].label == "wider"
    assert analysis.memory is not None and analysis.memory.weight_bytes >= 4 * 100_000 * 100_000


def test_memory_limit_is_a_recipe_field():
    doc = huge_mlp().doc
    doc.recipe["memory_limit_gb"] = 100_000
    assert not [p for p in analyse(doc).errors if p.recipe_path == "recipe.memory_limit_gb"]


def test_train_refuses_the_huge_project_before_allocating_it(tmp_path):
    path = tmp_path / "huge.json"
    save(huge_mlp().doc, path)
    # The peak of the train process alone, measured by a fresh parent (this process's RUSAGE_CHILDREN
    # remembers every earlier child of the whole suite).
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")
    result = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "app", "train", str(path), "--out",
                             str(tmp_path / "run")], capture_output=True, text=True, timeout=180)
    peak_kib = int(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 1
    assert "wider" in result.stderr and "memory" in result.stderr and "Traceback" not in result.stderr
    assert peak_kib < 3 * 1024 * 1024  # far below the 40 GB the weights would take
    assert not (tmp_path / "run" / "weights.safetensors").exists()


def test_problems_survive_the_worker_boundary_as_data():
    problem = Problem("declares shape (3,)", "", "n1", param="shape", label="x", hint="set it to [64]")
    assert Problem.from_dict(json.loads(json.dumps(problem.to_dict()))) == problem


def test_a_dataset_that_does_not_fit_the_input_fails_the_worker_run_on_the_input_node(tmp_path):
    from runtime.worker import TrainingProcess, WorkerRequest

    data = json.loads(EXAMPLE.read_text())
    data["nodes"][0]["params"]["shape"] = [32]
    proc = TrainingProcess(WorkerRequest(json.dumps(data), str(EXAMPLE.parent), run_dir=str(tmp_path / "run"),
                                         num_threads=1))
    proc.start()
    proc.wait(timeout=120)
    assert proc.finished is not None and proc.finished.status == "failed"
    problems = [Problem.from_dict(p) for p in proc.finished.problems]
    assert [(p.node_id, p.param) for p in problems] == [(data["nodes"][0]["id"], "shape")]


def test_check_and_the_editor_analysis_agree_on_the_example():
    analysis = analyse(json_doc(EXAMPLE), project_dir=EXAMPLE.parent)
    assert analysis.errors == []
    assert torchcanvas("check", str(EXAMPLE)).returncode == 0


def json_doc(path: Path):
    from graph import load
    from runtime.analysis import project_registry

    return load(path, project_registry())


def test_a_failing_node_without_code_reports_only_itself():
    b = builder("mismatch")
    h = b.add("Linear", b.input("x", [8]), "fc1", out_features=4)
    b.output(b.add("ReLU", b.add("Linear", h, "fc2", in_features=7, out_features=2), "act"))
    problems = analyse(b.doc, training=False).problems
    assert [(p.label, p.param) for p in problems] == [("fc2", "in_features")]
