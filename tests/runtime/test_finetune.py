"""Finetuning: pretrained weights per group, frozen backbone bit-identical, per-group learning rates."""

import torch

from codegen import build_from_compiled, compile_document
from codegen.export import save_weights
from graph.builder import Builder
from runtime.commands.check import project_registry
from runtime.session import prepare, run


def model_doc():
    b = Builder("finetune").use_registry(project_registry())
    g = b.group("backbone", "features learnt on another task")
    x = g.input("x")
    g.output(g.add("ReLU", g.add("Linear", g.add("ReLU", g.add("Linear", x, "fc1", out_features=32)), "fc2",
                                 out_features=32)), "y")
    inp = b.input("x", [64])
    h = b.use("backbone", inp, "backbone", frozen=True)
    b.output(b.add("Linear", h, "head", out_features=10), "logits")
    b.doc.recipe = {"dataset": {"name": "digits", "flat": True}, "epochs": 3, "batch_size": 64,
                    "optimizer": {"name": "adam", "lr": 0.01}}
    return b.doc


def test_frozen_pretrained_backbone_is_bit_identical_after_training(tmp_path):
    doc = model_doc()
    compiled = compile_document(doc)
    torch.manual_seed(0)  # the same "pretrained" backbone in every process (its accuracy ranged 0.44-0.69 unseeded)
    pretrained = build_from_compiled(compiled)
    save_weights(pretrained.backbone, tmp_path / "backbone.safetensors")
    doc.recipe["init_from"] = [{"file": "backbone.safetensors", "node": "backbone"}]
    job = prepare(doc, project_dir=tmp_path)
    before = {k: v.clone() for k, v in job.trainer.model.backbone.state_dict().items()}
    for k, v in pretrained.backbone.state_dict().items():
        assert torch.equal(before[k], v)  # the file's weights were loaded
    head_before = job.trainer.model.head.weight.detach().clone()
    metrics = run(job)
    for k, v in job.trainer.model.backbone.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert not torch.equal(job.trainer.model.head.weight, head_before)
    assert metrics["val_accuracy"] > 0.5  # a random frozen backbone still carries some signal


def test_per_node_learning_rates():
    doc = model_doc()
    doc.graph.node_by_label("backbone").params["frozen"] = False
    doc.recipe["param_groups"] = [{"nodes": ["backbone"], "lr": 1e-4}]
    job = prepare(doc)
    groups = job.trainer.optimizer.param_groups
    assert [g["lr"] for g in groups] == [0.01, 1e-4]
    assert sum(p.numel() for p in groups[1]["params"]) == sum(
        p.numel() for p in job.trainer.model.backbone.parameters())


def test_weights_that_do_not_fit_are_named(tmp_path):
    import pytest

    from runtime.engine import TrainingError

    doc = model_doc()
    wrong = torch.nn.Linear(3, 3)
    save_weights(wrong, tmp_path / "wrong.safetensors")
    doc.recipe["init_from"] = [{"file": "wrong.safetensors", "node": "backbone"}]
    with pytest.raises(TrainingError, match=r"recipe.init_from\[0\]: wrong.safetensors does not fit backbone"):
        prepare(doc, project_dir=tmp_path)
