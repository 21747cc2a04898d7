"""Helper definitions that generated modules carry along when a node needs them.

Some node types have no counterpart in `torch.nn` (the complex-valued
activations, for example). Their `LayerDef.support` names a helper here, and
the compiler pastes the helper's source verbatim above the model class, so the
exported file still depends on nothing but torch.

Every helper is plain, formatted source (ruff format, 88 columns) that uses
only `torch`, `nn` (`from torch import nn`) and `math`, and opens with a
one-line docstring giving its formula and a reference. A helper that uses
another helper's name gets that helper pasted before it (see `requirements`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache

#: Helper name -> its Python source. The order here is the order in the output.
SUPPORT: dict[str, str] = {
    "ModReLU": '''\
class ModReLU(nn.Module):
    """modReLU: relu(|z| + b) * z / |z|, a learned b per channel (Arjovsky 2016)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # One bias per channel (dim 1, as in nn.PReLU), broadcast over the rest.
        bias = self.bias.reshape(-1, *[1] * (z.dim() - 2))
        # torch.sgn(z) is z / |z|, and 0 where z == 0 (no division by zero).
        return torch.relu(z.abs() + bias) * torch.sgn(z)

    def extra_repr(self) -> str:
        return f"num_features={self.num_features}"
''',
    "Cardioid": '''\
class Cardioid(nn.Module):
    """Cardioid: 0.5 * (1 + cos(angle(z))) * z (Virtue, Yu and Lustig, 2017)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return 0.5 * (1 + torch.cos(z.angle())) * z
''',
    "ZSigmoid": '''\
class ZSigmoid(nn.Module):
    """z * sigmoid(|z|): keeps the phase, gates the magnitude (after Hirose, 2012)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z * torch.sigmoid(z.abs())
''',
    "SplitReLU": '''\
class SplitReLU(nn.Module):
    """CReLU: relu(Re z) + i relu(Im z) (Trabelsi et al. 2018, Deep Complex Nets)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.complex(torch.relu(z.real), torch.relu(z.imag))
''',
    "SplitTanh": '''\
class SplitTanh(nn.Module):
    """Split tanh: tanh(Re z) + i tanh(Im z) (split-type activation, Nitta 1997)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.complex(torch.tanh(z.real), torch.tanh(z.imag))
''',
    "ComplexDropout": '''\
class ComplexDropout(nn.Module):
    """Dropout of whole complex numbers: z * mask / (1 - p) (Srivastava et al. 2014)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # nn.functional.dropout has no complex kernel: drop a real mask of ones,
        # so the real and imaginary parts of a number are dropped together.
        mask = nn.functional.dropout(torch.ones_like(z.real), self.p, self.training)
        return z * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
''',
    "ComplexBatchNorm": '''\
class ComplexBatchNorm(nn.Module):
    """y = gamma @ whiten([Re z, Im z]) + beta, per channel (Trabelsi et al. 2018)."""

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        # gamma as (gamma_rr, gamma_ii, gamma_ri); 1/sqrt(2) gives E|y|^2 = 1.
        gamma = torch.tensor([1 / math.sqrt(2), 1 / math.sqrt(2), 0.0])
        self.weight = nn.Parameter(gamma.repeat(num_features, 1))
        self.bias = nn.Parameter(torch.zeros(num_features, 2))
        self.register_buffer("running_mean", torch.zeros(num_features, 2))
        # Covariance as (V_rr, V_ii, V_ri), starting at the identity.
        identity = torch.tensor([1.0, 1.0, 0.0])
        self.register_buffer("running_cov", identity.repeat(num_features, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # Channels on dim 1: (N, C) or (N, C, *); statistics over all other dims.
        x = torch.stack([z.real, z.imag], dim=-1).movedim(1, -2)
        x = x.reshape(-1, self.num_features, 2)
        if self.training:
            mean = x.mean(dim=0)
            centred = x - mean
            v_rr = centred[..., 0].square().mean(dim=0)
            v_ii = centred[..., 1].square().mean(dim=0)
            v_ri = (centred[..., 0] * centred[..., 1]).mean(dim=0)
            cov = torch.stack([v_rr, v_ii, v_ri], dim=-1)
            with torch.no_grad():  # running = (1 - momentum) * running + momentum * new
                self.running_mean.lerp_(mean, self.momentum)
                self.running_cov.lerp_(cov, self.momentum)
        else:
            mean, cov = self.running_mean, self.running_cov
            centred = x - mean
        # Inverse square root of the 2x2 covariance [[V_rr, V_ri], [V_ri, V_ii]].
        v_rr, v_ii, v_ri = cov.unbind(-1)
        v_rr, v_ii = v_rr + self.eps, v_ii + self.eps
        s = torch.sqrt(v_rr * v_ii - v_ri.square())
        t = torch.sqrt(v_rr + v_ii + 2 * s)
        w_rr, w_ii, w_ri = (v_ii + s) / (s * t), (v_rr + s) / (s * t), -v_ri / (s * t)
        re = w_rr * centred[..., 0] + w_ri * centred[..., 1]
        im = w_ri * centred[..., 0] + w_ii * centred[..., 1]
        g_rr, g_ii, g_ri = self.weight.unbind(-1)
        out_re = g_rr * re + g_ri * im + self.bias[:, 0]
        out_im = g_ri * re + g_ii * im + self.bias[:, 1]
        out = torch.complex(out_re, out_im)
        shape = (z.shape[0], *z.shape[2:], self.num_features)
        return out.reshape(shape).movedim(-1, 1)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
''',
    "copy_units": '''\
@torch.no_grad()
def copy_units(source: nn.Module, target: nn.Module, k: int, select: str) -> list[int]:
    """Hand-off: k units (weight rows: neurons, filters) of source into target."""
    # select: "norm" takes the k units with the largest weight norm, "first" the first
    # k, "random" k at random. They keep their positions; the target's other units keep
    # their fresh start. Returns the units copied.
    rows = source.weight.shape[0]
    if select == "norm":
        norms = source.weight.detach().reshape(rows, -1).abs().norm(dim=1)
        units = norms.topk(k).indices.sort().values
    elif select == "random":
        units = torch.randperm(rows)[:k].sort().values.to(source.weight.device)
    else:
        units = torch.arange(k, device=source.weight.device)
    for name, param in source.named_parameters(recurse=False):
        if param.dim() >= 1 and param.shape[0] == rows:
            getattr(target, name)[units] = param[units]
    return units.tolist()
''',
}


@cache
def requirements(name: str) -> tuple[str, ...]:
    """The other helpers that `name`'s source refers to, in `SUPPORT` order."""
    tree = ast.parse(SUPPORT[name])
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return tuple(other for other in SUPPORT if other != name and other in used)


def support_source(names: Iterable[str]) -> str:
    """The definitions of `names` and of the helpers they use, each once.

    Dependencies come first; otherwise the order is that of `SUPPORT`, so the
    same set of names always gives the same text. Definitions are separated
    by two blank lines, as ruff format puts them.
    """
    wanted = list(names)
    unknown = sorted(set(wanted) - set(SUPPORT))
    if unknown:
        raise KeyError(f"unknown support helper(s): {', '.join(map(repr, unknown))}")
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ValueError(f"support helper {name!r} depends on itself")
        visiting.add(name)
        for dependency in requirements(name):
            visit(dependency)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(set(wanted), key=list(SUPPORT).index):
        visit(name)
    return "\n\n\n".join(SUPPORT[name].strip("\n") for name in ordered)


__all__ = ["SUPPORT", "requirements", "support_source"]
