"""The three signature experiments, run in full and reported (slow; `make bench`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from codegen import build_from_compiled, compile_document
from graph import load
from graph.builder import Builder
from runtime.commands.check import project_registry
from runtime.session import prepare, run

pytestmark = pytest.mark.slow
TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"


def params(doc) -> int:
    return sum(p.numel() for p in build_from_compiled(compile_document(doc)).parameters())


def test_noise_instead_of_a_bad_step_vs_plain_updates():
    noisy = load(TEMPLATES / "20_noise_instead_of_bad_step.json", project_registry())
    plain = load(TEMPLATES / "20_noise_instead_of_bad_step.json", project_registry())
    plain.recipe["hooks"] = []
    events = []
    a = run(prepare(noisy, num_threads=1, emit=events.append))
    b = run(prepare(plain, num_threads=1))
    decisions = [e.decision for e in events if getattr(e, "kind", "") == "hook_decision"]
    print(f"\n[bench] signature 1: revert+noise {a['val_accuracy']:.4f} ({decisions.count('accepted')} accepted, "
          f"{decisions.count('reverted+noise')} reverted) vs plain {b['val_accuracy']:.4f}")
    assert decisions


def test_forest_vs_single_net_of_equal_size():
    forest = load(TEMPLATES / "22_forest_sunspots.json", project_registry())
    job = prepare(forest, num_threads=1)
    f = run(job)
    budget = sum(p.numel() for p in job.trainer.model.parameters())  # after the forest has grown
    hidden = max(1, round((budget - 1) / 22))  # Linear(20, h) + Linear(h, 1) = 22h + 1 parameters
    b = Builder("single net").use_registry(project_registry())
    x = b.input("window", [20])
    b.output(b.add("Linear", b.add("Tanh", b.add("Linear", x, "hidden", out_features=hidden)), "out",
                   out_features=1))
    b.doc.recipe = {**forest.recipe, "hooks": []}
    single = params(b.doc)
    s = run(prepare(b.doc, num_threads=1))
    xs = torch.stack([job.bundle.val[k][0] for k in range(len(job.bundle.val))])
    ys = torch.stack([job.bundle.val[k][1] for k in range(len(job.bundle.val))]).reshape(len(xs), -1)[:, 0]
    naive = float(((xs[:, -1] - ys) ** 2).mean())  # tomorrow = today
    print(f"\n[bench] signature 3: grown forest ({len(job.trainer.model.forest.members)} members, {budget} parameters) val MSE {f['val_mse']:.4f} vs single net "
          f"({single} parameters) {s['val_mse']:.4f}; naive last-value forecast {naive:.4f}")
    assert abs(single - budget) / budget < 0.1
