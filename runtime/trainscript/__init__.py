"""A standalone train.py that trains a project as the app does, alone or under torchrun.

The export folder holds model.py (the compiler's text), recipe.json (the
settings, with node labels resolved to module paths), data.safetensors (the
exact train/validation tensors of the run), hooks.py and metrics.py (the
app's hook API, built-in policies and metrics, copied from `runtime/`), the
project's code hooks and loss as `usercode_*.py`, pretrained weights under
init/, and train.py, which needs nothing but torch and safetensors. Whatever
the recipe asks for is carried, or the export is refused with the field named.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

from codegen import compile_document
from graph import Document
from runtime.init_weights import FOLDER_INDEX, read_init_state, with_tied_names
from runtime.recipe import Recipe, parse_recipe
from runtime.trainscript.plan import APP_ONLY, CARRIED, NOT_YET, ExportRefused, plan_export
from runtime.trainscript.script import train_script
from runtime.trainscript.sources import hooks_module, metrics_module, user_module

__all__ = ["APP_ONLY", "CARRIED", "NOT_YET", "ExportRefused", "export_training", "tidy_file"]


def _tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = [], []
    for k in range(len(dataset)):
        x, y = dataset[k]
        if isinstance(x, (tuple, list)):
            raise ExportRefused("recipe.dataset", "samples with several inputs cannot be exported to train.py yet")
        xs.append(torch.as_tensor(x))
        ys.append(torch.as_tensor(y))
    return torch.stack(xs), torch.stack(ys)


def export_training(doc: Document, out_dir: Path, project_dir: Path | None = None, trusted: bool = False,
                    recipe: Recipe | None = None) -> Path:
    """Writes the export folder; returns train.py's path. Raises ExportRefused before writing anything."""
    from runtime.data import load_dataset

    recipe = recipe or parse_recipe(doc.recipe)
    compiled = compile_document(doc, trusted=trusted)
    plan = plan_export(doc, compiled, recipe, project_dir)
    bundle = load_dataset(recipe.dataset, project_dir)
    train_x, train_y = _tensors(bundle.train)
    val_x, val_y = _tensors(bundle.val) if len(bundle.val) else (train_x[:0], train_y[:0])
    script = train_script(compiled.class_name, recipe, plan, target_is_input=bundle.task == "reconstruction",
                          shuffle=bundle.task != "forecast")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model.py").write_text(compiled.source)
    (out_dir / "recipe.json").write_text(json.dumps(plan.recipe, indent=2) + "\n")
    save_file({"train_x": train_x.contiguous(), "train_y": train_y.contiguous(), "val_x": val_x.contiguous(),
               "val_y": val_y.contiguous()}, str(out_dir / "data.safetensors"))
    for source, target, rename, part in plan.init_files:
        (out_dir / target).parent.mkdir(parents=True, exist_ok=True)
        if rename or source.name == FOLDER_INDEX:
            # a Hugging Face folder (one file or shards): one file under the model's names, tied names spelled out
            save_file(with_tied_names(read_init_state(source, rename), compiled, part), str(out_dir / target))
        else:
            shutil.copyfile(source, out_dir / target)
    for module in plan.user_modules:
        (out_dir / f"{module.module}.py").write_text(user_module(module.source, module.kind))
    (out_dir / "metrics.py").write_text(metrics_module())
    (out_dir / "hooks.py").write_text(hooks_module(plan.policies))
    tidy_file(out_dir / "hooks.py", unused_imports=True)
    path = out_dir / "train.py"
    path.write_text(script)
    tidy_file(path)
    return path


def tidy_file(path: Path, unused_imports: bool = False) -> None:
    """Sorts imports and formats in place, from the file's folder so `model` counts as a local module."""
    import subprocess

    from codegen.formatting import ruff_binary

    ruff = ruff_binary()
    if ruff is None:
        return
    select = "--select=I,F401" if unused_imports else "--select=I"
    for args in (["check", "--isolated", select, "--fix", "--quiet"],
                 ["format", "--isolated", "--line-length=100", "--quiet"]):
        subprocess.run([ruff, *args, path.name], cwd=path.parent, capture_output=True, timeout=60)
