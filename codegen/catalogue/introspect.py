"""Reading `torch.nn` constructor signatures into typed `ParamSpec`s.

The catalogue follows the installed PyTorch instead of copying its defaults by
hand: the names, defaults and value kinds of a layer's parameters come from
`inspect.signature` of the `nn` class, so a new PyTorch default shows up in
the inspector without a catalogue edit. Only what a signature cannot say
(a sensible value for a required argument, the choices of a plain `str`,
ranges, help) comes from the curated family modules, through `Tweak`.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graph.spec import ParamSpec

#: Constructor arguments that never become node parameters: tensor placement
#: belongs to the training run, `inplace` breaks autograd when a tensor feeds
#: two nodes, `return_indices` would change the output arity, `batch_first` is
#: fixed to True, and the rest are private or take modules/tensors.
SKIPPED: frozenset[str] = frozenset({
    "self", "device", "dtype", "factory_kwargs", "inplace", "return_indices",
    "batch_first", "_weight", "_freeze", "_random_samples", "custom_encoder",
    "custom_decoder", "min_value", "max_value",
})

_MISSING: Any = inspect.Parameter.empty

#: Value ranges that hold for a parameter name across all of torch.nn.
RANGES: dict[str, tuple[float | None, float | None]] = {
    **dict.fromkeys(
        ("in_features", "out_features", "in1_features", "in2_features", "in_channels",
         "out_channels", "kernel_size", "stride", "dilation", "groups", "num_features",
         "num_channels", "num_groups", "input_size", "hidden_size", "num_layers",
         "num_embeddings", "embedding_dim", "embed_dim", "num_heads", "d_model", "nhead", "kdim", "vdim",
         "dim_feedforward", "num_encoder_layers", "num_decoder_layers", "upscale_factor",
         "downscale_factor", "size", "num_parameters", "output_size"),
        (1, None),
    ),
    **dict.fromkeys(("padding", "output_padding", "proj_size", "padding_idx"), (0, None)),
    **dict.fromkeys(("dropout", "momentum"), (0, 1)),
    **dict.fromkeys(("eps", "layer_norm_eps"), (0, None)),
}

#: One-line help for parameter names that mean the same thing everywhere.
HELP: dict[str, str] = {
    "in_features": "Size of each input sample (inferred from the input when empty).",
    "out_features": "Size of each output sample.",
    "in_channels": "Channels of the input (inferred from the input when empty).",
    "out_channels": "Channels produced by the layer.",
    "kernel_size": "Size of the window; one number or one per spatial dimension.",
    "stride": "Step of the window; one number or one per spatial dimension.",
    "padding": "Padding added to each side; one number or one per spatial dimension.",
    "dilation": "Spacing between kernel elements.",
    "groups": "Number of blocked connections from input to output channels.",
    "bias": "Learn an additive bias.",
    "num_features": "Channels (features) of the input (inferred when empty).",
    "eps": "Added to the denominator for numerical stability.",
    "momentum": "Weight of the newest batch in the running statistics.",
    "affine": "Learn a per-channel scale and shift.",
    "track_running_stats": "Keep running mean/variance for evaluation mode.",
    "p": "Probability of an element being zeroed.",
    "dim": "Dimension the operation runs along (negative counts from the end).",
    "input_size": "Features per time step (inferred from the input when empty).",
    "hidden_size": "Features of the hidden state.",
    "num_layers": "Number of stacked recurrent layers.",
    "dropout": "Dropout probability.",
    "bidirectional": "Run a second layer backwards in time and concatenate both.",
    "ceil_mode": "Round the output size up instead of down.",
    "padding_mode": "How the border is padded.",
}


@dataclass(frozen=True)
class Tweak:
    """Curated changes to one introspected parameter.

    A `default` that differs from PyTorch's own default is only allowed for
    parameters that are always written (positional), because the renderer
    omits keywords equal to the spec default: the generated code must mean
    what the inspector shows. `same_as_torch=True` declares that the new
    default is PyTorch's default in another spelling (activation="relu").
    """

    default: Any = _MISSING
    kind: str | None = None
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    help: str = ""
    same_as_torch: bool = False


def _strip_optional(annotation: Any) -> tuple[list[Any], bool]:
    """The members of a Union/Optional annotation and whether None is one of them."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = list(typing.get_args(annotation))
    else:
        args = [annotation]
    has_none = type(None) in args
    return [a for a in args if a is not type(None)], has_none


def kind_of(annotation: Any, default: Any) -> tuple[str | None, tuple[Any, ...]]:
    """(kind, enum choices) for an annotation, falling back to the default's type.

    Tuple-or-int parameters (kernel sizes, shapes) are "ints"; a `Literal` of
    strings is an enum; anything that cannot be typed in an inspector
    (callables, modules, tensors) gives None.
    """
    if annotation is not _MISSING:
        members, _ = _strip_optional(annotation)
        literals = [m for m in members if typing.get_origin(m) is typing.Literal]
        if literals:
            return "enum", tuple(c for lit in literals for c in typing.get_args(lit))
        sequence = [m for m in members if typing.get_origin(m) in (tuple, list)
                    or getattr(m, "__name__", "") == "Size"]
        scalars = {m for m in members if m in (int, float, bool, str)}
        if sequence and float not in scalars:
            return "ints", ()
        for scalar, kind in ((bool, "bool"), (int, "int"), (float, "float")):
            if scalar in scalars:
                return kind, ()
        if str in scalars:
            return "string", ()
    return _kind_of_value(default), ()


def _kind_of_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return "ints"
    return None


def signature_params(
    target: Callable[..., Any],
    *,
    tweaks: Mapping[str, Tweak] | None = None,
    skip: tuple[str, ...] = (),
    inferred: tuple[str, ...] = (),
    positional: tuple[str, ...] = (),
) -> tuple[ParamSpec, ...]:
    """ParamSpecs for the constructor arguments of `target` (a class or an `__init__`).

    `inferred` parameters become optional with default None (the compiler fills
    them from input shapes); `positional` ones are marked primary. Raises
    ValueError for a required argument that has no representable kind, since
    the layer could not be built without it.
    """
    tweaks = dict(tweaks or {})
    init = target.__init__ if isinstance(target, type) else target
    sig = inspect.signature(init)
    specs: list[ParamSpec] = []
    for param in sig.parameters.values():
        name = param.name
        if (name in SKIPPED or name in skip
                or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD)):
            continue
        specs.append(_param_spec(target, param, tweaks.pop(name, Tweak()),
                                 name in inferred, name in positional))
    if tweaks:
        raise ValueError(f"{_name(target)}: tweaks for unknown parameters {sorted(tweaks)}")
    return tuple(s for s in specs if s is not None)


def _param_spec(
    target: Any, param: inspect.Parameter, tweak: Tweak, inferred: bool, positional: bool
) -> ParamSpec | None:
    name = param.name
    torch_default = param.default
    kind, choices = kind_of(param.annotation, torch_default)
    kind = tweak.kind or kind
    choices = tweak.choices or choices
    if kind == "string" and choices:
        kind = "enum"
    if kind is None:
        if torch_default is _MISSING:
            raise ValueError(f"{_name(target)}: cannot represent required parameter {name!r}")
        return None  # e.g. a callable with a default: PyTorch's default stands
    default = torch_default if tweak.default is _MISSING else tweak.default
    if (tweak.default is not _MISSING and torch_default is not _MISSING
            and not _equal(tweak.default, torch_default)
            and not positional and not tweak.same_as_torch):
        raise ValueError(
            f"{_name(target)}.{name}: default {tweak.default!r} differs from PyTorch's "
            f"{torch_default!r} but is not positional, so the generated code would omit it"
        )
    if default is _MISSING and not inferred:
        raise ValueError(f"{_name(target)}: required parameter {name!r} needs a curated default")
    if inferred:
        default = None
    if kind == "float" and isinstance(default, int) and not isinstance(default, bool):
        default = float(default)
    low, high = RANGES.get(name, (None, None)) if kind in ("int", "float", "ints") else (None, None)
    # Only a None default is optional: the renderer drops None values of optional
    # parameters, which must then mean "PyTorch's default".
    optional = default is None
    return ParamSpec(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        default=default,
        min=tweak.min if tweak.min is not None else low,
        max=tweak.max if tweak.max is not None else high,
        choices=tuple(choices),
        help=tweak.help or HELP.get(name, ""),
        optional=optional or inferred,
        primary=positional,
    )


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b) or (
            isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b
        )
    except Exception:  # noqa: BLE001 - exotic defaults compare as different
        return False


def _name(target: Any) -> str:
    return getattr(target, "__qualname__", repr(target))
