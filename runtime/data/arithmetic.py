"""Multi-digit addition as token strings, generated offline: ``"37+58=___"`` → ``095``.

Every pair of ``digits``-digit numbers is one problem, so the validation
split holds problems the model never saw: its accuracy there measures
whether it learned to add, not whether it remembered sums. The answer is
written into blank slots at the end of the prompt and predicted all at once
(one class per slot, a digit), so the held-out accuracy needs no sampling
loop: it is the share of answer digits right, read from the ordinary
validation pass. A model that ignores the numbers gets the leading carry
digit and little else (about 1/(digits+1) plus chance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runtime.data.build import split_arrays
from runtime.data.bundle import DatasetBundle
from runtime.data.splits import GENERATE, rng_for

#: token ids: digits are themselves, then the three marks
PLUS, EQUALS, BLANK = 10, 11, 12
VOCAB = [str(d) for d in range(10)] + ["+", "=", "_"]


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n,) integers → (n, width) decimal digits, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1)
    return (values[:, None] // powers) % 10


def addition_problems(digits: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Tokens ``(m, 3*digits + 3)`` and answer digits ``(m, digits + 1)``; every distinct pair once.

    ``m`` is ``n`` or, when there are fewer distinct problems, all of them.
    """
    top = 10 ** digits
    total = top * top
    m = min(n, total)
    pairs = rng.choice(total, size=m, replace=False) if m < total else rng.permutation(total)
    a, b = pairs // top, pairs % top
    x = np.concatenate([_digits(a, digits), np.full((m, 1), PLUS), _digits(b, digits), np.full((m, 1), EQUALS),
                        np.full((m, digits + 1), BLANK)], axis=1)
    return x.astype(np.int64), _digits(a + b, digits + 1).astype(np.int64)


def decode(tokens: np.ndarray) -> str:
    """One row of token ids as text (for previews and tests)."""
    return "".join(VOCAB[int(t)] for t in tokens)


def load_addition(p: dict[str, Any]) -> DatasetBundle:
    digits = p["digits"]
    x, y = addition_problems(digits, p["n"], rng_for(p["seed"], GENERATE))
    bundle = split_arrays(x, y, task="classification", name=f"addition ({digits} digits)",
                          val_fraction=p["val_fraction"], seed=p["seed"], class_names=VOCAB[:10],
                          description="a+b= then blank answer slots; targets: the sum's digits, one per slot")
    bundle.extra["vocab"] = VOCAB
    bundle.extra["answer_slots"] = digits + 1
    return bundle
