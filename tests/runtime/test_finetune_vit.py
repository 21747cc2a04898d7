"""Issue 14, item 7: an imported torchvision ViT, frozen, with a new head, finetuned on the digits.

The template is our own nodes (tools/import_vit_digits.py imported it in the
zoo venv), so it runs here without torchvision.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file

from graph import load
from graph.kinds import OPAQUE
from runtime.commands.check import project_registry
from runtime.session import prepare, run

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"
TEMPLATE = TEMPLATES / "31_finetune_vit_digits.json"


def _train(doc, steps: int):
    job = prepare(doc, project_dir=TEMPLATES, trusted=True, num_threads=1,
                  overrides={"max_steps": steps, "hooks": [], "checkpoint_every": 0})
    return job, run(job)


def test_imported_vit_is_our_nodes_and_only_the_new_head_learns():
    doc = load(TEMPLATE, project_registry())
    kinds = {n.type for s in doc.scopes() for n in doc.scope(s).nodes.values()}
    assert OPAQUE.type_id not in kinds and "Code" not in kinds and doc.code == {}
    job, metrics = _train(doc, 45)  # one epoch
    backbone = job.trainer.model.backbone.state_dict()
    pretrained = load_file(str(TEMPLATES.parent / "pretrained" / "vit_transposed_digits_backbone.safetensors"))
    assert set(backbone) == set(pretrained)
    assert all(torch.equal(backbone[k], pretrained[k]) for k in pretrained)  # frozen: bit-identical
    # the same frozen architecture with random weights: the pretrained features carry the transfer
    scratch = load(TEMPLATE, project_registry())
    scratch.recipe.pop("init_from")
    _, from_random = _train(scratch, 45)
    assert metrics["val_accuracy"] > 0.45 and metrics["val_accuracy"] > from_random["val_accuracy"] + 0.15, \
        (metrics, from_random)
