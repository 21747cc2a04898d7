"""Issue 14, item 6: nanoGPT on multi-digit addition; held-out accuracy rises because it learns to add."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from graph import load
from runtime.commands.check import project_registry
from runtime.data.arithmetic import addition_problems, decode
from runtime.data.catalog import DATASETS

TEMPLATE = Path(__file__).resolve().parents[2] / "resources" / "templates" / "12_nanogpt_addition.json"


def test_addition_problems_are_right_and_distinct():
    x, y = addition_problems(2, 500, np.random.default_rng(0))
    assert x.shape == (500, 9) and y.shape == (500, 3)
    for row, answer in zip(x, y, strict=True):
        text = decode(row)
        a, b = text[:5].split("+")
        assert text[5:] == "=___"
        assert int("".join(map(str, answer))) == int(a) + int(b)
    assert len({decode(r) for r in x}) == 500
    every, _ = addition_problems(1, 10_000, np.random.default_rng(0))
    assert len(every) == 100  # all 10×10 problems, each once


def test_validation_problems_are_never_in_training():
    bundle = DATASETS["addition"].load({"name": "addition", "n": 3000, "digits": 2, "val_fraction": 0.2, "seed": 0})
    train = {tuple(r) for r in bundle.train.tensors[0].tolist()}
    val = {tuple(r) for r in bundle.val.tensors[0].tolist()}
    assert len(val) == 600 and not (train & val)


def test_template_held_out_accuracy_rises_in_a_short_run():
    from runtime.events import EvalEnded
    from runtime.session import prepare, run

    doc = load(TEMPLATE, project_registry())
    events: list = []
    overrides = {"max_steps": 500, "eval_every": 125, "hooks": [], "checkpoint_every": 0}
    run(prepare(doc, project_dir=TEMPLATE.parent, trusted=True, overrides=overrides, emit=events.append,
                num_threads=1))
    accuracy = [e.metrics["val_accuracy"] for e in events if isinstance(e, EvalEnded)]
    assert len(accuracy) >= 3, accuracy
    # after one epoch it knows the carry digit (~0.4); learning to add shows on problems it never saw
    assert accuracy[0] < 0.6 and accuracy[-1] > 0.85 and accuracy[-1] > accuracy[0] + 0.3, accuracy
