"""Every activation in torch.nn, one node each, parameters read from PyTorch.

`inplace` is left out everywhere (see introspect.SKIPPED): in a graph a
tensor often feeds two nodes, and an in-place activation would corrupt the
other branch or break autograd.
"""

from __future__ import annotations

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef

CATEGORY = "Activation"

_DIM = Tweak(default=-1, kind="int", help="Dimension that sums to one (-1: the last, e.g. classes).")

#: (class name, one-line doc, curated tweaks, positional parameters, sample shape)
_ROWS: list[tuple[str, str, dict[str, Tweak], tuple[str, ...], tuple[int, ...]]] = [
    ("ReLU", "max(0, x): the default hidden-layer activation.", {}, (), (2, 8)),
    ("ReLU6", "min(max(0, x), 6): ReLU capped at 6 (MobileNet).", {}, (), (2, 8)),
    ("LeakyReLU", "x for x > 0, else negative_slope · x: ReLU that keeps a small gradient.",
     {}, (), (2, 8)),
    ("PReLU", "LeakyReLU whose negative slope is learned (one or per channel).", {}, (), (2, 8)),
    ("RReLU", "LeakyReLU with a random slope while training (regularizes).", {}, (), (2, 8)),
    ("ELU", "x for x > 0, else α(eˣ − 1): smooth negative part.", {}, (), (2, 8)),
    ("SELU", "Scaled ELU that keeps activations self-normalizing.", {}, (), (2, 8)),
    ("CELU", "Continuously differentiable ELU: max(0, x) + min(0, α(e^(x/α) − 1)).", {}, (), (2, 8)),
    ("GELU", "x · Φ(x): the smooth ReLU of transformers.",
     {"approximate": Tweak(choices=("none", "tanh"))}, (), (2, 8)),
    ("SiLU", "x · sigmoid(x) (Swish).", {}, (), (2, 8)),
    ("Mish", "x · tanh(softplus(x)).", {}, (), (2, 8)),
    ("Sigmoid", "1 / (1 + e⁻ˣ): squashes to (0, 1); probabilities of independent labels.",
     {}, (), (2, 8)),
    ("Tanh", "Hyperbolic tangent: squashes to (−1, 1).", {}, (), (2, 8)),
    ("Hardtanh", "Clamps x to [min_val, max_val].", {}, (), (2, 8)),
    ("Hardsigmoid", "Piecewise-linear sigmoid: cheap on mobile hardware.", {}, (), (2, 8)),
    ("Hardswish", "x · hardsigmoid(x): cheap Swish (MobileNetV3).", {}, (), (2, 8)),
    ("Hardshrink", "x where |x| > λ, else 0.", {}, (), (2, 8)),
    ("Softshrink", "Shrinks x towards 0 by λ; values within ±λ become 0.", {}, (), (2, 8)),
    ("Tanhshrink", "x − tanh(x).", {}, (), (2, 8)),
    ("Softplus", "log(1 + e^(βx)) / β: a smooth ReLU.", {}, (), (2, 8)),
    ("Softsign", "x / (1 + |x|).", {}, (), (2, 8)),
    ("LogSigmoid", "log(sigmoid(x)), computed stably.", {}, (), (2, 8)),
    ("Threshold", "x where x > threshold, else a fixed value.",
     {"threshold": Tweak(default=0.0, help="Values at or below this are replaced."),
      "value": Tweak(default=0.0, help="The replacement value.")},
     ("threshold", "value"), (2, 8)),
    ("GLU", "Gated linear unit: splits dim in halves a, b and returns a · sigmoid(b).",
     {}, (), (2, 8)),
    ("Softmax", "Exponentials normalized to sum to one along dim: class probabilities.",
     {"dim": _DIM}, ("dim",), (2, 8)),
    ("LogSoftmax", "log(softmax(x)), computed stably; pair with NLLLoss.",
     {"dim": _DIM}, ("dim",), (2, 8)),
    ("Softmin", "softmax(−x): weights that favour the smallest values.",
     {"dim": _DIM}, ("dim",), (2, 8)),
    ("Softmax2d", "Softmax over the channels at every pixel of (N, C, H, W).", {}, (), (2, 3, 4, 4)),
]

LAYERS: list[LayerDef] = [
    module_layer(getattr(nn, name), CATEGORY, doc, tweaks=tweaks, positional=positional,
                 sample={"x": sample})
    for name, doc, tweaks, positional, sample in _ROWS
    if hasattr(nn, name)
]
