"""A hook as a Keras user writes it from the skeleton: noise on the last layer only, between batches."""

import torch

from graph.builder import Builder
from runtime.commands.check import project_registry
from runtime.events import HookDecision
from runtime.hook_catalog import read_hook
from runtime.hook_skeleton import hook_skeleton
from runtime.session import prepare, run


def written_hook() -> str:
    """The skeleton with two lines typed into on_after_step (what the real-window session typed)."""
    source = hook_skeleton("my_hook")
    anchor = "        # trainer.revert_step() undoes the step\n"
    return source.replace(anchor, anchor + '        trainer.add_noise(self.sigma,layers=["fc2"])\n'
                                           '        trainer.decide(self.name,"noise_on_fc2")\n')


def mlp():
    b = Builder("tiny").use_registry(project_registry())
    h = b.add("ReLU", b.add("Linear", b.input("x", [64]), "fc1", out_features=16), "act")
    b.output(b.add("Linear", h, "fc2", out_features=10))
    b.doc.code["my_hook"] = written_hook()
    b.doc.recipe = {"dataset": {"name": "digits", "flat": True}, "epochs": 1, "max_steps": 10, "batch_size": 64,
                    "optimizer": {"name": "sgd", "lr": 1e-30},  # steps too small to move anything
                    "hooks": [{"name": "code", "code": "my_hook", "params": {"sigma": 0.05}}]}
    return b.doc


def test_the_skeleton_runs_as_written_and_a_two_line_hook_noises_only_the_last_layer():
    info = read_hook(written_hook())
    assert info.name == "MyHook" and info.params == {"sigma": 0.01} and info.methods == ("on_after_step",)
    assert read_hook(hook_skeleton("x")).methods == ()  # the skeleton alone does nothing
    torch.manual_seed(0)
    events = []
    job = prepare(mlp(), trusted=True, emit=events.append, num_threads=1)
    start = {n: p.detach().clone() for n, p in job.trainer.model.named_parameters()}
    run(job)
    after = dict(job.trainer.model.named_parameters())
    assert torch.equal(after["fc1.weight"], start["fc1.weight"]) and torch.equal(after["fc1.bias"], start["fc1.bias"])
    moved = (after["fc2.weight"] - start["fc2.weight"]).flatten()
    assert moved.std().item() == __import__("pytest").approx(0.05 * 10 ** 0.5, rel=0.2)  # 10 draws of σ = 0.05
    decisions = [e for e in events if isinstance(e, HookDecision)]
    assert len(decisions) == 10 and {(d.policy, d.decision) for d in decisions} == {("my_hook", "noise_on_fc2")}
