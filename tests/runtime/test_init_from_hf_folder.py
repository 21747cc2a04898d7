"""Issue 14: recipe.init_from reads a Hugging Face model folder (config.json + model.safetensors under the
original's names, the tied head left out as Hugging Face saves it) into an imported model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from codegen import build_from_compiled, compile_document
from codegen.importer import import_module, record_constructors, weight_renames
from runtime.session import TrainingError, prepare
from runtime.trainscript import export_training
from tests.zoo.nanogpt import GPT


def imported_with_folder(tmp_path: Path):
    """nanoGPT imported; its own state dict saved as a Hugging Face folder, lm_head.weight left out (tied)."""
    torch.manual_seed(0)
    with record_constructors():
        gpt = GPT().eval()
    tokens = torch.randint(0, 96, (2, 16), generator=torch.Generator().manual_seed(1))
    doc, origin = import_module(gpt, inputs=[tokens])
    compiled = compile_document(doc, trusted=True)
    with torch.no_grad():  # trained-looking weights, so a fresh init cannot pass for them
        for p in gpt.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(3)))
    folder = tmp_path / "tiny-gpt"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "nanogpt"}))
    state = {k: v.contiguous() for k, v in gpt.state_dict().items() if k != "lm_head.weight"}
    assert "transformer.wte.weight" in state
    save_file(state, str(folder / "model.safetensors"))
    rename = weight_renames(gpt, origin, compiled)
    assert any(k != v for k, v in rename.items())  # the names really differ
    doc.recipe = {"dataset": {"name": "stdlib_text", "block_size": 16, "max_chars": 4000}, "batch_size": 8,
                  "epochs": 1, "max_steps": 1, "optimizer": {"name": "adamw", "lr": 0.01}, "log_layers": False,
                  "init_from": [{"file": str(folder), "rename": rename}]}
    return gpt, tokens, doc, compiled, folder


def assert_training_starts_from(gpt, tokens, doc, run_dir: Path) -> None:
    """The model training prepares computes what `gpt` does, with its head tied to the token embedding."""
    model = prepare(doc, run_dir=run_dir, trusted=True).trainer.model.eval()
    assert model.lm_head.weight is model.transformer_wte.weight
    with torch.no_grad():
        torch.testing.assert_close(model(tokens), gpt(tokens), atol=1e-5, rtol=1e-5)


def refusal(doc, tmp_path: Path) -> str:
    """The one line preparing training refuses `doc` with (its init_from cannot be read)."""
    with pytest.raises(TrainingError) as err:
        prepare(doc, run_dir=tmp_path / "run", trusted=True)
    assert "\n" not in str(err.value)
    return str(err.value)


def assert_exported_weights_are(gpt, tokens, compiled, export: Path) -> None:
    """The weights file the exported train.py loads (strictly, under the model's names) computes what `gpt` does."""
    (spec,) = json.loads((export / "recipe.json").read_text())["init_from"]
    model = build_from_compiled(compiled).eval()
    model.load_state_dict(load_file(str(export / spec["file"])), strict=True)  # as train.py loads it
    with torch.no_grad():
        torch.testing.assert_close(model(tokens), gpt(tokens), atol=1e-5, rtol=1e-5)


def test_a_hugging_face_folder_loads_under_the_original_names_with_the_tied_head(tmp_path: Path):
    gpt, tokens, doc, _, _ = imported_with_folder(tmp_path)
    assert_training_starts_from(gpt, tokens, doc, tmp_path / "run")


def test_without_rename_the_folder_does_not_fit_and_says_so(tmp_path: Path):
    _, _, doc, _, _ = imported_with_folder(tmp_path)
    del doc.recipe["init_from"][0]["rename"]
    with pytest.raises(TrainingError, match=r"recipe.init_from\[0\]: tiny-gpt does not fit the model \(missing"):
        prepare(doc, run_dir=tmp_path / "run", trusted=True)


def test_a_folder_without_weights_is_one_line(tmp_path: Path):
    _, _, doc, _, folder = imported_with_folder(tmp_path)
    (folder / "model.safetensors").rename(folder / "model-00001-of-00002.safetensors")
    assert refusal(doc, tmp_path) == (f"recipe.init_from[0]: {folder} is a folder without model.safetensors or "
                              "model.safetensors.index.json")


def test_the_exported_train_script_gets_the_weights_under_the_models_names(tmp_path: Path):
    gpt, tokens, doc, compiled, _ = imported_with_folder(tmp_path)
    export_training(doc, tmp_path / "export", trusted=True)
    assert_exported_weights_are(gpt, tokens, compiled, tmp_path / "export")
