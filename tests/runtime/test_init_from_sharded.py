"""Issue 14: recipe.init_from reads a sharded Hugging Face checkpoint (model.safetensors.index.json and the shards
it lists, as `save_pretrained(max_shard_size=…)` writes them), for training and for the exported train.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from runtime.trainscript import ExportRefused, export_training
from tests.runtime.test_init_from_hf_folder import (
    assert_exported_weights_are,
    assert_training_starts_from,
    imported_with_folder,
    refusal,
)

INDEX = "model.safetensors.index.json"


def sharded(folder: Path, shards: int = 3) -> dict[str, str]:
    """The folder's model.safetensors split into `shards` files with Hugging Face's index; its weight map."""
    state = load_file(str(folder / "model.safetensors"))
    (folder / "model.safetensors").unlink()
    names = list(state)
    weight_map: dict[str, str] = {}
    for k in range(shards):
        file = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: state[n] for n in names[k::shards]}
        save_file(part, str(folder / file))
        weight_map.update(dict.fromkeys(part, file))
    total = sum(t.numel() * t.element_size() for t in state.values())
    (folder / INDEX).write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}))
    return weight_map


def test_a_sharded_folder_loads_every_shard_under_the_models_names(tmp_path: Path):
    gpt, tokens, doc, _, folder = imported_with_folder(tmp_path)
    weight_map = sharded(folder)
    assert len(set(weight_map.values())) == 3 and not (folder / "model.safetensors").exists()
    assert_training_starts_from(gpt, tokens, doc, tmp_path / "run")


def test_the_exported_train_script_gets_the_shards_as_one_file(tmp_path: Path):
    gpt, tokens, doc, compiled, folder = imported_with_folder(tmp_path)
    sharded(folder, shards=2)
    export_training(doc, tmp_path / "export", trusted=True)
    assert_exported_weights_are(gpt, tokens, compiled, tmp_path / "export")


def test_a_missing_shard_is_one_line_naming_it(tmp_path: Path):
    _, _, doc, _, folder = imported_with_folder(tmp_path)
    sharded(folder)
    (folder / "model-00002-of-00003.safetensors").unlink()
    assert refusal(doc, tmp_path) == (f"recipe.init_from[0]: {folder / INDEX} names model-00002-of-00003.safetensors, "
                              f"which is not in {folder}")
    with pytest.raises(ExportRefused, match="names model-00002-of-00003.safetensors, which is not in"):
        export_training(doc, tmp_path / "export", trusted=True)


@pytest.mark.parametrize("shard", ["../outside.safetensors", "/etc/passwd", "weights.pt"])
def test_an_index_naming_a_file_outside_its_folder_or_not_safetensors_is_refused(tmp_path: Path, shard: str):
    _, _, doc, _, folder = imported_with_folder(tmp_path)
    weight_map = sharded(folder)
    save_file({"x": torch.zeros(1)}, str(tmp_path / "outside.safetensors"))
    first = next(iter(weight_map))
    weight_map[first] = shard
    (folder / INDEX).write_text(json.dumps({"weight_map": weight_map}))
    assert refusal(doc, tmp_path) == (f"recipe.init_from[0]: {folder / INDEX}: {shard!r} is not a .safetensors file in "
                              "the checkpoint's folder")


def test_an_unreadable_index_is_one_line(tmp_path: Path):
    _, _, doc, _, folder = imported_with_folder(tmp_path)
    sharded(folder)
    (folder / INDEX).write_text("{not json")
    assert refusal(doc, tmp_path).startswith(f"recipe.init_from[0]: cannot read {folder / INDEX}: not a sharded "
                                             "checkpoint's index (")
