"""Project code runs only after the person trusts this exact code (`--trust`, or the trust list)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from codegen import build_from_compiled, compile_document
from codegen.catalogue import registry
from codegen.summary import summarize
from graph import save
from graph.builder import Builder
from graph.trust import GRANT_CLI, UntrustedCode, code_digest, code_that_runs
from runtime.cli import run as cli
from runtime.session import prepare
from runtime.trust import TrustStore

# Writes a marker at import time, in __init__ and in forward: any of them means the code ran.
MARKING = '''import pathlib

pathlib.Path({marker!r} + ".module").write_text("ran")

import torch
from torch import nn


class Mark(nn.Module):
    def __init__(self):
        super().__init__()
        pathlib.Path({marker!r} + ".init").write_text("ran")

    def forward(self, x):
        pathlib.Path({marker!r} + ".forward").write_text("ran")
        return x * 2
'''

HOOK = '''import pathlib


class Spy(Callback):
    def on_fit_start(self, trainer):
        pathlib.Path({marker!r} + ".hook").write_text("ran")
'''

LOSS = '''import pathlib

import torch.nn.functional as F


def loss(output, target):
    pathlib.Path({marker!r} + ".loss").write_text("ran")
    return F.cross_entropy(output, target)
'''


def markers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.glob("marker.*"))


def project(tmp_path: Path, *, connected: bool = False, hook: bool = False, loss: bool = False) -> Path:
    """The digits MLP, plus code that leaves a marker file when it runs."""
    marker = str(tmp_path / "marker")
    b = Builder("trusting").use_registry(registry())
    x = b.input("x", [64])
    b.doc.code["mark"] = MARKING.format(marker=marker)
    code = b.add("Code", x, "mark", code="mark")
    h = b.add("ReLU", b.add("Linear", code if connected else x, "fc1", out_features=32), "act")
    b.output(b.add("Linear", h, "fc2", out_features=10), "logits")
    b.doc.recipe = {"dataset": {"name": "digits", "flat": True}, "epochs": 1, "batch_size": 64,
                    "checkpoint_every": 0, "activation_every": 0}
    if hook:
        b.doc.code["spy"] = HOOK.format(marker=marker)
        b.doc.recipe["hooks"] = [{"name": "code", "code": "spy"}]
    if loss:
        b.doc.code["my_loss"] = LOSS.format(marker=marker)
        b.doc.recipe["loss"] = {"name": "code", "code": "my_loss"}
    path = tmp_path / "downloaded.json"
    save(b.doc, path)
    return path


def test_a_dangling_code_node_is_code_that_runs(tmp_path):
    from graph import load

    doc = load(project(tmp_path), registry())
    assert code_that_runs(doc) == ["code node 'mark' runs entry 'mark'"]


def test_building_the_model_refuses_untrusted_code_even_when_the_code_node_is_dangling(tmp_path):
    from graph import load

    doc = load(project(tmp_path), registry())
    compiled = compile_document(doc)  # compiling reads the code with ast; it never runs it
    assert "class Mark(nn.Module)" in compiled.source
    with pytest.raises(UntrustedCode, match="--trust"):
        build_from_compiled(compiled)
    with pytest.raises(UntrustedCode):
        summarize(doc, compiled)
    assert markers(tmp_path) == []
    build_from_compiled(compile_document(doc, trusted=True))
    assert markers(tmp_path) == ["marker.forward", "marker.init", "marker.module"]  # shapes run forward


@pytest.mark.parametrize("connected", [False, True], ids=["dangling", "connected"])
def test_train_runs_no_untrusted_code_and_names_the_flag(tmp_path, capsys, connected):
    path = project(tmp_path, connected=connected)
    code = cli(["train", str(path), "--max-steps", "2", "--quiet", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1
    assert markers(tmp_path) == []
    line = err.strip()
    assert line.count("\n") == 0 and line.startswith(f"error: {path}: ") and "--trust" in line, err
    assert "code node 'mark'" in line
    assert not (tmp_path / "run").exists()  # refused before anything was written


@pytest.mark.parametrize("to", ["onnx", "safetensors", "pt2", "train"])
def test_exports_that_build_the_model_refuse_untrusted_code(tmp_path, capsys, to):
    path = project(tmp_path)
    code = cli(["export", str(path), "--to", to, "-o", str(tmp_path / f"out.{to}")])
    err = capsys.readouterr().err
    assert code == 1 and "--trust" in err and err.startswith(f"error: {path}: "), err
    assert markers(tmp_path) == []
    assert not (tmp_path / f"out.{to}").exists()


@pytest.mark.parametrize("command", [
    ["train", "--max-steps", "1", "--quiet"],
    ["export", "--to", "onnx"],
    ["study", "--param", "fc1.out_features=int:8..16", "--trials", "1"],
    ["sweep", "--node", "fc1", "--param", "out_features", "--values", "8,16"],
], ids=lambda c: c[0])
def test_every_command_refuses_untrusted_code_in_the_one_error_line(tmp_path, capsys, command):
    path = project(tmp_path, hook=True)
    assert cli([command[0], str(path), *command[1:]]) == 1
    err = capsys.readouterr().err
    hook = "" if command[0] == "export" else "; recipe.hooks[0] runs entry 'spy'"  # exporting runs no hook
    assert err == (f"error: {path}: this project's code is not trusted, so it does not run: code node 'mark' runs "
                   f"entry 'mark'{hook}; {GRANT_CLI}\n"), err
    assert markers(tmp_path) == [] and not list(tmp_path.glob("*.optuna.db"))


def test_trust_flag_runs_the_code(tmp_path, capsys):
    path = project(tmp_path, connected=True)
    code = cli(["train", str(path), "--max-steps", "2", "--quiet", "--trust", "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err
    assert markers(tmp_path) == ["marker.forward", "marker.init", "marker.module"]


def test_export_py_writes_the_text_without_running_code_and_says_so(tmp_path, capsys):
    path = project(tmp_path, connected=True)
    out = tmp_path / "model.py"
    assert cli(["export", str(path), "--to", "py", "-o", str(out)]) == 0, capsys.readouterr().err
    assert markers(tmp_path) == []
    text = out.read_text()
    ast.parse(text)
    assert "class Mark(nn.Module):" in text  # the code is there to read
    assert "# NOTE: this project's custom code was not trusted" in text
    assert "fc1" in text.split("NOTE:")[1].split("\n\n")[0]  # names the layers whose sizes are unknown
    assert "nn.Linear(None, 32)" in text
    trusted = tmp_path / "trusted.py"
    assert cli(["export", str(path), "--to", "py", "--trust", "-o", str(trusted)]) == 0
    assert "nn.Linear(64, 32)" in trusted.read_text() and "NOTE:" not in trusted.read_text()


def test_export_py_of_a_dangling_code_node_needs_no_note(tmp_path, capsys):
    out = tmp_path / "model.py"
    assert cli(["export", str(project(tmp_path)), "--to", "py", "-o", str(out)]) == 0
    assert markers(tmp_path) == []
    assert "nn.Linear(64, 32)" in out.read_text() and "NOTE:" not in out.read_text()


@pytest.mark.parametrize("what", ["hook", "loss"])
def test_user_hooks_and_losses_need_trust(tmp_path, capsys, what):
    path = project(tmp_path, **{what: True})
    code = cli(["train", str(path), "--max-steps", "2", "--quiet", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1 and "--trust" in err
    assert ("recipe.hooks[0]" if what == "hook" else "recipe.loss") in err
    assert markers(tmp_path) == []


def test_prepare_refuses_before_loading_data(tmp_path):
    from graph import load

    doc = load(project(tmp_path, hook=True), registry())
    doc.recipe["dataset"] = {"name": "csv", "path": str(tmp_path / "does-not-exist.csv")}
    with pytest.raises(UntrustedCode) as refused:
        prepare(doc)
    assert refused.value.parts == ["code node 'mark' runs entry 'mark'", "recipe.hooks[0] runs entry 'spy'"]


def test_a_remembered_trust_covers_exactly_this_code(tmp_path, capsys):
    from graph import load

    path = project(tmp_path)
    doc = load(path, registry())
    TrustStore().trust(doc)  # what the window's "Trust and run" records
    args = ["train", str(path), "--max-steps", "1", "--quiet", "--out", str(tmp_path / "run")]
    assert cli(args) == 0, capsys.readouterr().err
    assert markers(tmp_path) == ["marker.forward", "marker.init", "marker.module"]
    for m in tmp_path.glob("marker.*"):
        m.unlink()
    doc.code["mark"] += "\n# one more line\n"
    save(doc, path)
    assert cli(args[:-1] + [str(tmp_path / "run2")]) == 1
    assert "--trust" in capsys.readouterr().err
    assert markers(tmp_path) == []


def test_the_digest_ignores_built_in_settings_but_not_code(tmp_path):
    from graph import load

    doc = load(project(tmp_path, hook=True), registry())
    before = code_digest(doc)
    doc.recipe["optimizer"] = {"name": "sgd", "lr": 0.5}
    doc.recipe["hooks"].append({"name": "early_stopping", "params": {"patience": 2}})
    assert code_digest(doc) == before
    doc.code["spy"] = doc.code["spy"].replace("hook", "hook2")
    assert code_digest(doc) != before


def test_sweep_refuses_untrusted_code(tmp_path, capsys):
    path = project(tmp_path)
    code = cli(["sweep", str(path), "--node", "fc1", "--param", "out_features", "--values", "4,8",
                "--out", str(tmp_path / "sweep")])
    assert code == 1 and "--trust" in capsys.readouterr().err
    assert markers(tmp_path) == []
