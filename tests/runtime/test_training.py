"""Training real projects end to end: session, worker process, command line."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from app.launch import EXAMPLE
from codegen import build_from_compiled
from codegen.export import load_weights
from graph import load
from graph.builder import Builder
from graph.fileformat import dumps
from runtime.commands.check import project_registry
from runtime.events import (
    BatchEnded,
    CheckpointSaved,
    EvalEnded,
    FitEnded,
    FitStarted,
    PauseChanged,
)
from runtime.session import prepare, run
from runtime.worker import TrainingProcess, WorkerRequest


def example():
    return load(EXAMPLE, project_registry())


def test_digits_mlp_reaches_95_percent(tmp_path):
    events = []
    job = prepare(example(), emit=events.append, run_dir=tmp_path / "run")
    metrics = run(job)
    assert metrics["val_accuracy"] >= 0.95, metrics
    assert isinstance(events[0], FitStarted) and isinstance(events[-1], FitEnded)
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["kind"] == "fit_ended"
    assert (tmp_path / "run" / "weights.safetensors").exists()
    assert "class DigitsMLP(nn.Module)" in (tmp_path / "run" / "model.py").read_text()


def test_spiral_mlp_separates_the_spirals():
    b = Builder("spirals").use_registry(project_registry())
    x = b.input("x", [2])
    h = b.add("ReLU", b.add("Linear", x, "fc1", out_features=64))
    h = b.add("ReLU", b.add("Linear", h, "fc2", out_features=64))
    b.output(b.add("Linear", h, "out", out_features=2))
    b.doc.recipe = {"dataset": {"name": "spirals", "n": 800, "noise": 0.05}, "epochs": 100, "batch_size": 32,
                    "optimizer": {"name": "adam", "lr": 0.01}}
    metrics = run(prepare(b.doc))
    assert metrics["val_accuracy"] >= 0.9, metrics


def request(tmp_path, **overrides):
    return WorkerRequest(dumps(example()), str(EXAMPLE.parent), overrides=overrides,
                         run_dir=str(tmp_path / "run"), num_threads=1)


def test_worker_streams_events_and_stop_ends_within_one_batch(tmp_path):
    proc = TrainingProcess(request(tmp_path, epochs=200))
    proc.start()
    events = []
    deadline = time.monotonic() + 60
    while not any(isinstance(e, BatchEnded) and e.step > 30 for e in events) and time.monotonic() < deadline:
        events += proc.poll(timeout=0.1)
    assert any(isinstance(e, FitStarted) for e in events)
    clicked_at = max(e.step for e in events if isinstance(e, BatchEnded))
    proc.pause()
    while not any(isinstance(e, PauseChanged) for e in events) and time.monotonic() < deadline + 60:
        events += proc.poll(timeout=0.1)
    (paused,) = [e for e in events if isinstance(e, PauseChanged)]
    # The worker waits between batches and reported every batch it did before it waits.
    assert paused.paused and paused.step == max(e.step for e in events if isinstance(e, BatchEnded)) >= clicked_at
    proc.stop()
    events += proc.wait(timeout=60)
    assert proc.finished.status == "stopped"
    assert proc.finished.step == paused.step  # a Stop while paused runs no further batch
    proc.process.join(5)
    last = tmp_path / "run" / "checkpoints" / "last.safetensors"
    model = build_from_compiled(__import__("codegen").compile_document(example()))
    load_weights(model, last)


def test_killing_the_worker_is_reported_and_checkpoint_stays_intact(tmp_path):
    proc = TrainingProcess(request(tmp_path, epochs=200))
    proc.start()
    events = []
    deadline = time.monotonic() + 60
    while not any(isinstance(e, CheckpointSaved) for e in events) and time.monotonic() < deadline:
        events += proc.poll(timeout=0.1)
    saved = [e for e in events if isinstance(e, CheckpointSaved)][0].path
    os.kill(proc.pid, signal.SIGKILL)
    events += proc.wait(timeout=10)
    assert proc.finished is not None and proc.finished.status == "failed"
    assert "died" in proc.finished.message and "signal 9" in proc.finished.message
    model = build_from_compiled(__import__("codegen").compile_document(example()))
    load_weights(model, saved)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_worker_reports_a_compile_error_without_crashing(tmp_path):
    doc = example()
    doc.graph.node_by_label("fc2").params["in_features"] = 3
    proc = TrainingProcess(WorkerRequest(dumps(doc), str(EXAMPLE.parent), num_threads=1))
    proc.start()
    proc.wait(timeout=60)
    assert proc.finished.status == "failed"
    assert "fc2" in proc.finished.message and "in_features=3" in proc.finished.message


def test_cli_train_writes_a_run_folder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "app", "train", str(EXAMPLE), "--epochs", "3", "--out",
                             str(tmp_path / "out"), "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "finished after" in result.stdout and "val_accuracy" in result.stdout
    records = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert sum(r["kind"] == "epoch_ended" for r in records) == 3


def test_cli_train_fails_clearly_on_a_bad_recipe(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["recipe"]["optimizer"]["lr"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = subprocess.run([sys.executable, "-m", "app", "train", str(bad), "--quiet"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 1
    assert "recipe.optimizer.lr" in result.stderr


@pytest.mark.parametrize("command", ["train", "export", "layers", "templates", "check", "import", "sweep"])
def test_command_help(command):
    result = subprocess.run([sys.executable, "-m", "app", command, "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "usage: torchcanvas" in result.stdout


def test_eval_events_carry_accuracy():
    events = []
    run(prepare(example(), overrides={"epochs": 1}, emit=events.append))
    evals = [e for e in events if isinstance(e, EvalEnded)]
    assert evals and "val_accuracy" in evals[-1].metrics
