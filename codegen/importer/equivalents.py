"""A layer of the user's own that is, value for value, a catalogue layer (nanoGPT's LayerNorm).

nanoGPT writes its own `LayerNorm(ndim, bias)` because PyTorch's had no
`bias=False` before 2.1; LLaMA-style code writes its own `RMSNorm`. Kept as
the user's code they count as opaque nodes, though `nn.LayerNorm(ndim,
bias=...)` says the same thing. A leaf module is replaced by a catalogue
module only when nothing tells them apart: the same parameter names and
shapes, no buffers, and bit-identical outputs on the very inputs it received
while tracing (its own weights loaded into the candidate; the weights are
perturbed first when they are all ones/zeros, so an ignored weight cannot hide).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

#: candidate builders: (parameter shapes by name, the input, the module's own numbers) → catalogue
#: modules to compare with (one per eps the module may use)
Candidate = Callable[[dict[str, tuple[int, ...]], torch.Tensor, list[float]], list[nn.Module]]


def _layer_norm(shapes: dict[str, tuple[int, ...]], x: torch.Tensor, numbers: list[float]) -> list[nn.Module]:
    """nanoGPT's, ViT's or BERT's LayerNorm, with or without weight and bias, at the eps it keeps (or the
    default)."""
    if shapes and (set(shapes) not in ({"weight"}, {"weight", "bias"}) or len(shapes["weight"]) != 1 or
                   shapes.get("bias", shapes["weight"]) != shapes["weight"]) or x.dim() == 0:
        return []
    size = shapes["weight"][0] if shapes else x.shape[-1]
    return [nn.LayerNorm(size, eps=1e-5 if eps is None else eps, elementwise_affine=bool(shapes),
                         bias="bias" in shapes) for eps in (None, *numbers)]


def _rms_norm(shapes: dict[str, tuple[int, ...]], x: torch.Tensor, numbers: list[float]) -> list[nn.Module]:
    """LLaMA's or Hugging Face's RMSNorm, with or without a weight, at the eps it keeps (or the default)."""
    if shapes and (set(shapes) != {"weight"} or len(shapes["weight"]) != 1) or x.dim() == 0:
        return []
    size = shapes["weight"][0] if shapes else x.shape[-1]
    return [nn.RMSNorm(size, eps=eps, elementwise_affine=bool(shapes)) for eps in (None, *numbers)]


CANDIDATES: tuple[Candidate, ...] = (_layer_norm, _rms_norm)


def _numbers(module: nn.Module) -> list[float]:
    """Small positive floats the module keeps (`self.eps`, `self.variance_epsilon`): eps candidates."""
    found = [v for k, v in vars(module).items() if not k.startswith("_") and isinstance(v, float) and 0 < v < 1]
    return list(dict.fromkeys(found))


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and \
        a.dtype == b.dtype and torch.equal(a, b)


def catalogue_equivalent(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any],
                         output: Any) -> nn.Module | None:
    """A catalogue module computing exactly what `module` computed on `args`, or None."""
    if list(module.children()) or list(module.buffers()) or kwargs or len(args) != 1 or \
            not isinstance(args[0], torch.Tensor) or not args[0].is_floating_point():
        return None
    state = {k: v.detach() for k, v in module.named_parameters()}
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    generator = torch.Generator().manual_seed(0)
    probe = {k: v + torch.randn(v.shape, generator=generator, dtype=v.dtype) for k, v in state.items()}
    candidates = [c for make in CANDIDATES for c in make(shapes, args[0], _numbers(module))]
    for candidate in candidates:
        candidate = candidate.to(dtype=args[0].dtype).train(module.training)
        with torch.no_grad():
            candidate.load_state_dict(state)
            if not _same(candidate(args[0]), output):
                continue
            # the weights must matter the same way: compare again with other values in both
            saved = {k: p.detach().clone() for k, p in module.named_parameters()}
            try:
                for k, p in module.named_parameters():
                    p.copy_(probe[k])
                candidate.load_state_dict(probe)
                agree = _same(candidate(args[0]), module(args[0]))
            finally:
                for k, p in module.named_parameters():
                    p.copy_(saved[k])
        if agree:
            return candidate
    return None


def equivalent_of(module: nn.Module, call: Any) -> nn.Module | None:
    """`catalogue_equivalent` for a leaf class of the user's own (library classes stay references)."""
    from codegen.importer.opaque import is_library_class

    if is_library_class(type(module)):
        return None
    return catalogue_equivalent(module, call.args, call.kwargs, call.output)
