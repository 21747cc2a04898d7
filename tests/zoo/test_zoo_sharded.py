"""Issue 14: a sharded Hugging Face checkpoint, as transformers' `save_pretrained(max_shard_size=…)` writes it
(model.safetensors.index.json + shards, the tied lm_head left out), loads into the imported GPT-2 through
recipe.init_from's reader and `rename`, and the imported model then computes what the original computes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import torch

from codegen import build_from_compiled, compile_document
from codegen.export import truly_missing
from codegen.importer import weight_renames
from runtime.init_weights import read_init_state
from tests.zoo.models import ZOO

GPT2 = next(z for z in ZOO if z.name == "HF GPT-2 (tiny)")


def test_a_sharded_save_pretrained_folder_loads_into_the_imported_gpt2(tmp_path: Path, imported) -> None:
    found = imported(GPT2)
    original = copy.deepcopy(found.original)  # the session's shared copy stays as the other zoo tests expect it
    with torch.no_grad():  # trained-looking weights, so the imported model's own init cannot pass for them
        for p in original.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(5)) * 0.1)
    folder = tmp_path / "gpt2-sharded"
    original.save_pretrained(folder, max_shard_size="20KB")
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) >= 3 and not (folder / "model.safetensors").exists()
    compiled = compile_document(found.doc, trusted=True)
    model = build_from_compiled(compiled).eval()
    state = read_init_state(folder, weight_renames(original, found.origin, compiled))
    result = model.load_state_dict(state, strict=False)
    assert result.unexpected_keys == []
    assert truly_missing(model, result.missing_keys, state) == []
    with torch.no_grad():
        torch.testing.assert_close(model(*found.inputs), original(*found.inputs).logits, atol=1e-5, rtol=1e-5)
