"""Issue 14, item 6: a GPT-2 pretrained elsewhere (a Hugging Face folder) finetuned as our own nodes.

tools/pretrain_gpt2_bytes.py made the folder with transformers (in the zoo
venv) and imported the architecture; here, without transformers, the template
loads the folder under Hugging Face's names through recipe.init_from's rename
and finetunes on another text.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from graph import load
from graph.kinds import OPAQUE
from runtime.commands.check import project_registry
from runtime.data import load_dataset
from runtime.init_weights import renamed
from runtime.session import prepare, run

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"
TEMPLATE = TEMPLATES / "32_finetune_gpt2_bytes.json"
FOLDER = TEMPLATES.parent / "pretrained" / "gpt2_tiny_bytes"


def _train(doc, steps: int):
    job = prepare(doc, project_dir=TEMPLATES, trusted=True, num_threads=1,
                  overrides={"max_steps": steps, "hooks": [], "checkpoint_every": 0, "eval_batches": 8,
                             "log_layers": False})
    return job, run(job)


def test_the_bundled_folder_is_a_hugging_face_checkpoint():
    config = json.loads((FOLDER / "config.json").read_text())
    assert config["model_type"] == "gpt2" and config["vocab_size"] == 256 and config["tie_word_embeddings"]
    state = load_file(str(FOLDER / "model.safetensors"))
    assert "lm_head.weight" not in state and "transformer.wte.weight" in state  # tied: left out, as HF saves it
    assert "transformer.h.1.attn.c_attn.weight" in state
    assert sum(p.stat().st_size for p in FOLDER.iterdir()) < 1_000_000
    vocab = json.loads((FOLDER / "tokenizer.json").read_text())["model"]["vocab"]
    assert sorted(vocab.values()) == list(range(256))  # byte-level: one token per byte


def test_byte_tokens_are_the_texts_utf8_bytes():
    bundle = load_dataset({"name": "stdlib_text", "block_size": 16, "max_chars": 2000, "tokens": "bytes"}, None)
    assert bundle.num_classes == 256
    x, y = bundle.train[0]
    assert bytes(x.tolist()).decode("ascii") and torch.equal(x[1:], y[:-1])


def test_the_pretrained_gpt2_loads_under_its_names_and_beats_random_weights():
    doc = load(TEMPLATE, project_registry())
    kinds = {n.type for s in doc.scopes() for n in doc.scope(s).nodes.values()}
    assert OPAQUE.type_id not in kinds and doc.code == {}
    job, metrics = _train(doc, 60)
    model = job.trainer.model
    assert model.gpt.lm_head.weight is model.gpt.transformer.wte.weight  # the tie survives the load
    # every weight of the folder reached its node under the renamed name (before training moved it)
    fresh = prepare(doc, project_dir=TEMPLATES, trusted=True, num_threads=1, overrides={"max_steps": 1}).trainer.model
    state = renamed(load_file(str(FOLDER / "model.safetensors")), doc.recipe["init_from"][0]["rename"])
    own = fresh.state_dict()
    assert all(torch.equal(own[k], v) for k, v in state.items())
    scratch = load(TEMPLATE, project_registry())
    scratch.recipe.pop("init_from")
    _, from_random = _train(scratch, 60)
    assert metrics["val_loss"] < 2.6 and metrics["val_loss"] < from_random["val_loss"] - 0.3, (metrics, from_random)
