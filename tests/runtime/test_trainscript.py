"""The exported train.py trains exactly as the app does: alone, resumed, and under torchrun (DDP, gloo).

Same seed, same data order, same recipe: the per-step loss curves, learning
rates, hook decisions and validation losses of the app and of the script are
compared number by number.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from codegen.formatting import ruff_binary
from graph import load
from graph.builder import Builder
from runtime.commands.check import project_registry
from runtime.recipe import Recipe
from runtime.trainscript import APP_ONLY, CARRIED, NOT_YET, ExportRefused, export_training
from tests.runtime.trainscript_support import (
    app_curve,
    assert_same_curve,
    export,
    run_script,
    run_scripts,
    script_curve,
)

ROOT = Path(__file__).resolve().parents[2] / "resources" / "templates"
TEMPLATES = sorted(ROOT.glob("*.json"))

LOSS_CODE = '''import torch.nn.functional as F


def smooth_nll(output, target):
    """Cross-entropy with a little label smoothing, written by hand."""
    return F.cross_entropy(output, target, label_smoothing=0.05)
'''

HOOK_CODE = '''class SkipEveryThird(Callback):
    """Skips the optimizer step on every third batch and records a random draw per rank."""

    def __init__(self, every=3):
        self.every = every

    def on_fit_start(self, trainer):
        import json, os
        if "RANK" in os.environ:  # under torchrun: each rank's first random draw
            with open(f"draw_rank{os.environ['RANK']}.json", "w") as f:
                json.dump(torch.rand(4).tolist(), f)

    def on_after_backward(self, trainer):
        if trainer.step % self.every == 2:
            raise CancelStepException
'''


def mlp(dropout: float = 0.2, recipe: dict | None = None):
    b = Builder("small mlp").use_registry(project_registry())
    x = b.input("x", [64])
    h = b.add("ReLU", b.add("Linear", x, "fc1", out_features=32), "act")
    if dropout:
        h = b.add("Dropout", h, "drop", p=dropout)
    b.output(b.add("Linear", h, "fc2", out_features=10), "logits")
    b.doc.recipe = {"dataset": {"name": "digits", "flat": True}, "epochs": 3, "batch_size": 64, "max_steps": 14,
                    "eval_every": 5, **(recipe or {})}
    return b.doc


VARIANTS = {
    "step_warmup_sgd_nesterov": {"optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True,
                                               "weight_decay": 1e-4},
                                 "schedule": {"name": "step", "step_size": 1, "gamma": 0.5, "warmup_steps": 3}},
    "multistep_adamw": {"optimizer": {"name": "adamw", "lr": 0.003}, "schedule": {"name": "multistep",
                                                                                  "milestones": [1, 2]}},
    "exponential_rmsprop_l1_l2": {"optimizer": {"name": "rmsprop", "lr": 0.001, "momentum": 0.5},
                                  "schedule": {"name": "exponential", "gamma": 0.5}, "l1": 1e-4, "l2": 1e-3},
    "cosine_min_lr_adamax_clip": {"optimizer": {"name": "adamax", "lr": 0.004}, "clip_grad_norm": 0.5,
                                  "schedule": {"name": "cosine", "min_lr": 1e-4, "warmup_steps": 2}},
    "onecycle_nadam_smoothing": {"optimizer": {"name": "nadam", "lr": 0.002}, "schedule": {"name": "onecycle",
                                                                                          "max_lr": 0.01},
                                 "loss": {"name": "cross_entropy", "label_smoothing": 0.1}},
    "plateau_radam_eval_batches": {"optimizer": {"name": "radam", "lr": 0.003}, "eval_every": 2,
                                   "eval_batches": 1, "schedule": {"name": "reduce_on_plateau", "patience": 0,
                                                                   "factor": 0.5}},
    "adagrad_top3": {"optimizer": {"name": "adagrad", "lr": 0.02}, "metrics": ["accuracy", "top3"]},
    "adadelta_without_dropout": {"optimizer": {"name": "adadelta", "lr": 1.0}},
    "revert_noise_split_scaled": {"optimizer": {"name": "adam", "lr": 0.05}, "max_steps": 30, "hooks": [{"name": "revert_noise", "params": {"sigma": 0.02, "on": "split",
                                                                                  "scale_by_std": True}}]},
    "gradient_noise_and_disabled_hook": {"hooks": [{"name": "gradient_noise", "params": {"eta": 0.1}},
                                                   {"name": "revert_noise", "enabled": False}]},
    "early_stopping": {"eval_every": 1, "max_steps": 40, "optimizer": {"name": "sgd", "lr": 1e-6},
                       "hooks": [{"name": "early_stopping", "params": {"patience": 1, "min_delta": 0.1}}]},
    "freeze_schedule": {"epochs": 3, "max_steps": None, "batch_size": 512,
                        "hooks": [{"name": "freeze_schedule", "params": {"schedule": [
                            {"epoch": 1, "freeze": ["fc1"]}, {"epoch": 2, "unfreeze": ["fc1"]}]}}]},
    "param_groups": {"param_groups": [{"nodes": ["fc1"], "lr": 1e-4}]},
    "code_loss_and_code_hook": {"loss": {"name": "code", "code": "my loss"},
                                "hooks": [{"name": "code", "code": "skip steps", "params": {"every": 3}}]},
}


def variant_doc(name: str):
    doc = mlp(recipe=VARIANTS[name])
    if name == "adadelta_without_dropout":
        doc = mlp(dropout=0.0, recipe=VARIANTS[name])
    if name.startswith("code_"):
        doc.code = {"my loss": LOSS_CODE, "skip steps": HOOK_CODE}
    return doc


def test_every_recipe_field_is_carried_or_named_as_app_only():
    assert set(Recipe.model_fields) == CARRIED | APP_ONLY | NOT_YET
    assert not CARRIED & APP_ONLY and not NOT_YET & (CARRIED | APP_ONLY)


@pytest.fixture(scope="module")
def template_runs(tmp_path_factory):
    """Each template exported and run (two scripts at a time) while the app trains the same recipe.

    Six steps with an evaluation after the third and the sixth compare every
    step's loss and learning rate and two validation losses of every model;
    the recipe's own features (schedules across epochs, hooks, resume, DDP)
    are compared at length on the MLP variants below.
    """
    base = tmp_path_factory.mktemp("templates")
    docs, folders = {}, []
    for path in TEMPLATES:
        doc = load(path, project_registry())
        doc.recipe = {**doc.recipe, "max_steps": 6, "eval_every": 3}
        if doc.recipe["dataset"]["name"] == "stdlib_text":
            doc.recipe["dataset"] = {**doc.recipe["dataset"], "max_chars": 40_000}
        for hook in doc.recipe.get("hooks", []):
            if hook["name"] == "grow_forest":  # grow within the first few steps
                hook["params"] = {**hook["params"], "every": 1}
                doc.recipe["batch_size"] = 128
        folders.append(export(doc, base / path.stem, path.parent).parent)
        docs[path.stem] = doc
    results = dict(zip(docs, run_scripts(folders), strict=True))
    return docs, dict(zip(docs, folders, strict=True)), results


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_template_trains_the_same_in_the_app_and_in_the_exported_script(path, template_runs):
    docs, folders, results = template_runs
    result = results[path.stem]
    assert result.returncode == 0, result.stderr[-3000:]
    assert_same_curve(app_curve(docs[path.stem], path.parent), script_curve(folders[path.stem]), path.stem)


@pytest.fixture(scope="module")
def variant_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("variants")
    folders = [export(variant_doc(name), base / name, None).parent for name in VARIANTS]
    return dict(zip(VARIANTS, folders, strict=True)), dict(zip(VARIANTS, run_scripts(folders), strict=True))


@pytest.mark.parametrize("name", VARIANTS)
def test_recipe_trains_the_same_in_the_app_and_in_the_exported_script(name, variant_runs):
    folders, results = variant_runs
    assert results[name].returncode == 0, results[name].stderr[-3000:]
    app, script = app_curve(variant_doc(name), None), script_curve(folders[name])
    assert_same_curve(app, script, name)
    if name == "revert_noise_split_scaled":
        decisions = [r["decision"] for r in script["records"] if r["kind"] == "hook_decision"]
        assert "reverted+noise" in decisions and "accepted" in decisions
    if name == "code_loss_and_code_hook":
        assert app["taken"].count(False) == 4
    if name == "early_stopping":
        assert len(app["loss"]) < 40


def test_scripts_are_plain_lint_clean_pytorch(tmp_path):
    folder = export(variant_doc("code_loss_and_code_hook"), tmp_path / "bundle", None).parent
    files = sorted(p.name for p in folder.iterdir())
    assert {"train.py", "model.py", "hooks.py", "recipe.json", "data.safetensors"} <= set(files)
    lint = subprocess.run([ruff_binary(), "check", "--isolated", "--select=E,F,W,I,B,UP", "--line-length=120",
                           "train.py", "model.py", "hooks.py"], cwd=folder, capture_output=True, text=True,
                          timeout=60)
    assert lint.returncode == 0, lint.stdout
    local = {p.stem for p in folder.glob("*.py")}
    for name in ("train.py", "hooks.py", "metrics.py"):
        tree = ast.parse((folder / name).read_text())
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert imported - local <= set(sys.stdlib_module_names) | {"torch", "safetensors"}, (name, imported)


def test_finetuning_template_script_starts_from_the_pretrained_backbone(tmp_path):
    path = ROOT / "30_finetune_resnet_mini.json"
    doc = load(path, project_registry())
    folder = export(doc, tmp_path / "bundle", path.parent).parent
    recipe = json.loads((folder / "recipe.json").read_text())
    (init,) = recipe["init_from"]
    shipped = load_file(str(path.parent / "../pretrained/resnet_mini_digits_backbone.safetensors"))
    copied = load_file(str(folder / init["file"]))
    assert init["module"] == "backbone" and copied.keys() == shipped.keys()
    assert all(torch.equal(copied[k], shipped[k]) for k in shipped)


def test_resume_continues_the_interrupted_curve(tmp_path):
    doc = mlp(recipe={"max_steps": None, "epochs": 2, "optimizer": {"name": "adam", "lr": 0.01},
                      "schedule": {"name": "cosine"}})
    full = export(doc, tmp_path / "full", None).parent
    run_script(full)
    part = export(doc, tmp_path / "part", None).parent
    run_script(part, "--max-steps", "9")
    state = torch.load(part / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 9 and state["optimizer"]["state"], "the optimizer's moments are in the checkpoint"
    run_script(part, "--resume", "checkpoints/last.pt")
    want, got = script_curve(full), script_curve(part)
    assert len(want["loss"]) > 40 and len(got["loss"]) == len(want["loss"])
    torch.testing.assert_close(torch.tensor(got["loss"]), torch.tensor(want["loss"]))
    torch.testing.assert_close(torch.tensor(got["lr"]), torch.tensor(want["lr"]))
    final = [r["metrics"] for r in got["records"] if r["kind"] == "eval"][-1]
    assert final["val_accuracy"] > 0.85, final


def test_torchrun_follows_the_single_process_curve_and_ranks_draw_their_own_dropout(tmp_path):
    doc = mlp(dropout=0.0, recipe={"batch_size": 63, "max_steps": None, "epochs": 2, "schedule": {"name": "cosine"},
                                   "hooks": [{"name": "code", "code": "skip steps", "params": {"every": 4}}]})
    doc.code = {"skip steps": HOOK_CODE}
    single = export(doc, tmp_path / "single", None).parent
    run_script(single)
    ddp = export(doc, tmp_path / "ddp", None).parent
    result = run_script(ddp, nproc=2)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines and all(line["world_size"] == 2 for line in lines), result.stdout  # only rank 0 prints
    want, got = script_curve(single), script_curve(ddp)
    torch.testing.assert_close(torch.tensor(got["loss"]), torch.tensor(want["loss"]), rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(torch.tensor(got["val"]), torch.tensor(want["val"]), rtol=1e-4, atol=1e-6)
    draws = [json.loads((ddp / f"draw_rank{r}.json").read_text()) for r in (0, 1)]
    assert draws[0] != draws[1], "every rank has its own random stream for dropout"


@pytest.mark.parametrize("recipe,field", [
    ({"hooks": [{"name": "no_such_policy"}]}, "recipe.hooks[0].name"),
    ({"loss": {"name": "code", "code": "missing"}}, "recipe.loss.code"),
    ({"init_from": [{"file": "nowhere.safetensors", "node": "fc1"}]}, "recipe.init_from[0].file"),
    ({"param_groups": [{"nodes": ["nobody"], "lr": 0.1}]}, "recipe.param_groups[0].nodes"),
    ({"precision": "bf16"}, "recipe.precision"),
])
def test_export_refuses_what_it_cannot_carry_and_names_the_field(tmp_path, recipe, field):
    with pytest.raises(ExportRefused, match=field.replace("[", r"\[").replace("]", r"\]")):
        export_training(mlp(recipe=recipe), tmp_path / "out", tmp_path, trusted=True)
    assert not (tmp_path / "out" / "train.py").exists()


def test_cli_export_refusal_is_one_line(tmp_path):
    from graph import save

    project = tmp_path / "p.json"
    save(mlp(recipe={"hooks": [{"name": "no_such_policy"}]}), project)
    result = subprocess.run([sys.executable, "-m", "app", "export", str(project), "--to", "train", "-o",
                             str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "recipe.hooks[0].name" in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: {project}: ")  # the line `check` prints for the same record
