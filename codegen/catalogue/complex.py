"""Complex-valued layers: conversions, complex linear/conv, complex activations.

PyTorch computes with complex tensors natively (complex64/complex128): autograd
uses Wirtinger calculus, and `nn.Linear`/`nn.Conv1d`/`nn.Conv2d` built with
`dtype=torch.complex64` train on the CPU, forward and backward. So the linear
and convolution nodes here are the stock `nn` layers with a fixed complex
dtype; only the activations without a `torch.nn` counterpart (modReLU,
cardioid, ...) are small helper modules from `codegen.support`, pasted into the
generated file.

Ports say what flows: "complex" for complex tensors, "real" for real ones, so
the editor rejects an edge from a complex output into a real-only input. A
loss needs real numbers: end a complex network with Abs, AbsSquared, Real or
Angle (the training engine refuses a complex model output).

Channels-first convention: ModReLU and ComplexBatchNorm keep one parameter per
channel on dim 1, as `nn.PReLU` and `nn.BatchNorm*d` do, so they fit both
(N, features) after ComplexLinear and (N, C, ...) after ComplexConvNd.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch.nn as nn

from codegen.catalogue.build import module_layer, op_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef
from graph.spec import NodeSpec, ParamSpec, PortSpec

CATEGORY = "Complex"
COMPLEX_DTYPE = "torch.complex64"

Z_IN = PortSpec("x", dtype="complex", help="Complex tensor.")
Z_OUT = PortSpec("out", "out", dtype="complex")
REAL_OUT = PortSpec("out", "out", dtype="real")
SAMPLE = {"x": (2, 8)}
COMPLEX_SAMPLE = {"x": "complex64"}
REAL_SAMPLE = {"x": "float32"}

_NUM_CHANNELS = ParamSpec(
    "num_features", "int", None, min=1, optional=True, primary=True,
    help="Channels on dim 1: features of (N, F), channels of (N, C, ...) (inferred when empty).",
)


def _helper_layer(name: str, doc: str, *, params: tuple[ParamSpec, ...] = (),
                  infer: Mapping[str, str] | None = None, positional: tuple[str, ...] = (),
                  sample: Mapping[str, tuple[int, ...]] = SAMPLE) -> LayerDef:
    """A complex → complex module defined in codegen.support (pasted into the output)."""
    spec = NodeSpec(
        type_id=name,
        category=CATEGORY,
        inputs=(Z_IN,),
        outputs=(Z_OUT,),
        params=params,
        doc=doc,
        target=name,
        extra={"sample": dict(sample), "sample_dtype": dict(COMPLEX_SAMPLE)},
    )
    return LayerDef(spec=spec, module=name, forward="{m}({x})", infer=dict(infer or {}),
                    support=(name,), positional=positional)


def _complex_conv(cls: type[nn.Module], sample: tuple[int, ...], doc: str) -> LayerDef:
    return module_layer(
        cls, CATEGORY, doc,
        type_id=f"Complex{cls.__name__}",
        inputs=(Z_IN,), outputs=(Z_OUT,),
        positional=("in_channels", "out_channels", "kernel_size"),
        infer={"in_channels": "x.shape[1]"},
        tweaks={"out_channels": Tweak(default=16), "kernel_size": Tweak(default=3)},
        fixed_kwargs={"dtype": COMPLEX_DTYPE},
        sample={"x": sample}, sample_dtype=COMPLEX_SAMPLE,
    )


def _to_real(type_id: str, doc: str, forward: str, target: str) -> LayerDef:
    return op_layer(type_id, CATEGORY, doc, target=target, forward=forward,
                    inputs=(Z_IN,), outputs=(REAL_OUT,), sample=SAMPLE,
                    sample_dtype=COMPLEX_SAMPLE)


LAYERS: list[LayerDef] = [
    # ---- real → complex
    op_layer(
        "ToComplex", CATEGORY, "Real x → complex x + 0i (float32 gives complex64).",
        target="torch.complex", forward="torch.complex({x}, torch.zeros_like({x}))",
        inputs=(PortSpec("x", dtype="real", help="Real (floating-point) tensor."),),
        outputs=(Z_OUT,), sample=SAMPLE, sample_dtype=REAL_SAMPLE,
    ),
    op_layer(
        "ComplexFromParts", CATEGORY, "real + i·imag from two real tensors of the same shape.",
        target="torch.complex", forward="torch.complex({real}, {imag})",
        inputs=(PortSpec("real", dtype="real", help="Real part."),
                PortSpec("imag", dtype="real", help="Imaginary part.")),
        outputs=(Z_OUT,), sample={"real": (2, 8), "imag": (2, 8)},
        sample_dtype={"real": "float32", "imag": "float32"},
    ),
    op_layer(
        "PolarToComplex", CATEGORY, "magnitude · e^(i·phase) from real magnitude and phase (radians).",
        target="torch.polar", forward="torch.polar({magnitude}, {phase})",
        inputs=(PortSpec("magnitude", dtype="real", help="Modulus |z| (non-negative)."),
                PortSpec("phase", dtype="real", help="Argument of z in radians.")),
        outputs=(Z_OUT,), sample={"magnitude": (2, 8), "phase": (2, 8)},
        sample_dtype={"magnitude": "float32", "phase": "float32"},
    ),
    # ---- complex layers: the stock nn modules with complex weights
    module_layer(
        nn.Linear, CATEGORY, "Complex fully connected layer: z Wᵀ + b with complex W, b.",
        type_id="ComplexLinear",
        inputs=(Z_IN,), outputs=(Z_OUT,),
        positional=("in_features", "out_features"),
        infer={"in_features": "x.shape[-1]"},
        tweaks={"out_features": Tweak(default=64)},
        fixed_kwargs={"dtype": COMPLEX_DTYPE},
        sample=SAMPLE, sample_dtype=COMPLEX_SAMPLE,
    ),
    _complex_conv(nn.Conv1d, (2, 3, 16), "Complex 1-D convolution over (N, C, L) complex signals."),
    _complex_conv(nn.Conv2d, (2, 3, 8, 8), "Complex 2-D convolution over (N, C, H, W) complex images."),
    # ---- complex activations and regularizers (helpers from codegen.support)
    _helper_layer(
        "ModReLU", "relu(|z| + b) · z/|z|: shrinks small magnitudes, keeps the phase; b per channel.",
        params=(_NUM_CHANNELS,), infer={"num_features": "x.shape[1]"}, positional=("num_features",),
    ),
    _helper_layer("Cardioid", "½(1 + cos ∠z) · z: passes phases near 0, damps phases near π."),
    _helper_layer("ZSigmoid", "z · sigmoid(|z|): keeps the phase, gates the magnitude."),
    _helper_layer("SplitReLU", "relu(Re z) + i·relu(Im z) (CReLU)."),
    _helper_layer("SplitTanh", "tanh(Re z) + i·tanh(Im z)."),
    _helper_layer(
        "ComplexDropout", "Zeroes whole complex numbers with probability p while training.",
        params=(ParamSpec("p", "float", 0.5, min=0, max=1,
                          help="Probability of a number being zeroed."),),
    ),
    _helper_layer(
        "ComplexBatchNorm", "Whitens (Re, Im) per channel on dim 1, then a learned 2×2 scale and shift.",
        params=(_NUM_CHANNELS,
                ParamSpec("eps", "float", 1e-5, min=0, help="Added to the variances for stability."),
                ParamSpec("momentum", "float", 0.1, min=0, max=1,
                          help="Weight of the newest batch in the running statistics.")),
        infer={"num_features": "x.shape[1]"}, positional=("num_features",),
        sample={"x": (2, 3, 5)},
    ),
    # ---- complex → real
    _to_real("Real", "Re z: the real part.", "{x}.real", "torch.real"),
    _to_real("Imag", "Im z: the imaginary part.", "{x}.imag", "torch.imag"),
    _to_real("Abs", "|z|: the magnitude (modulus).", "{x}.abs()", "torch.abs"),
    _to_real("AbsSquared", "|z|²: the power (Re² + Im²).", "{x}.abs().square()", "torch.abs"),
    _to_real("Angle", "∠z: the phase in radians, in (−π, π].", "{x}.angle()", "torch.angle"),
]
