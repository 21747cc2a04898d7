"""Small constructors that turn curated rows into `LayerDef`s.

Every family module describes its layers with these two calls, so the
conventions live in one place:

* `spec.extra["sample"]` maps each input port to a small example shape, and
  `spec.extra["sample_dtype"]` (optional) to "float32", "int64" or
  "complex64"; index ports default to int64 with values below
  `spec.extra.get("sample_high", 2)`. Tests and previews run every layer on
  such inputs.
* `spec.extra["forward_params"]` lists the parameters a `ForwardFn` reads,
  so `render.constructor_params` keeps them out of the constructor.
* `batch_first` is never a node parameter; recurrent and attention layers
  write `batch_first=True` through `fixed_kwargs` (users come from Keras).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch.nn as nn

from codegen.catalogue.introspect import Tweak, signature_params
from codegen.layer import ForwardFn, LayerDef
from codegen.render import literal as lit  # noqa: F401 - re-exported for ForwardFns
from graph.spec import NodeSpec, ParamSpec, PortSpec

Port = str | PortSpec


def in_ports(*ports: Port) -> tuple[PortSpec, ...]:
    """Input ports from names (plain required "any" ports) or full PortSpecs."""
    return tuple(p if isinstance(p, PortSpec) else PortSpec(p) for p in ports)


def out_ports(*ports: Port) -> tuple[PortSpec, ...]:
    """Output ports from names or full PortSpecs."""
    return tuple(p if isinstance(p, PortSpec) else PortSpec(p, "out") for p in ports)


def _extra(sample: Mapping[str, tuple[int, ...]], sample_dtype: Mapping[str, str] | None,
           forward: str | ForwardFn, forward_params: tuple[str, ...],
           extra: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"sample": dict(sample)}
    if sample_dtype:
        out["sample_dtype"] = dict(sample_dtype)
    if not isinstance(forward, str):
        out["forward_params"] = tuple(forward_params)
    out.update(extra or {})
    return out


def module_layer(
    cls: type[nn.Module],
    category: str,
    doc: str,
    *,
    sample: Mapping[str, tuple[int, ...]],
    type_id: str | None = None,
    inputs: tuple[Port, ...] = ("x",),
    outputs: tuple[Port, ...] = ("out",),
    positional: tuple[str, ...] = (),
    infer: Mapping[str, str] | None = None,
    tweaks: Mapping[str, Tweak] | None = None,
    skip: tuple[str, ...] = (),
    signature: Any = None,
    extra_params: tuple[ParamSpec, ...] = (),
    forward: str | ForwardFn = "{m}({x})",
    forward_params: tuple[str, ...] = (),
    unpack: str | None = None,
    fixed_kwargs: Mapping[str, str] | None = None,
    sample_dtype: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> LayerDef:
    """A layer that is an `nn` module: parameters come from its constructor signature.

    `signature` replaces the class for introspection when the class itself
    only declares `*args, **kwargs` (nn.LSTM reads nn.RNNBase).
    """
    infer = dict(infer or {})
    params = signature_params(signature or cls, tweaks=tweaks, skip=skip,
                              inferred=tuple(infer), positional=positional) + extra_params
    name = f"nn.{cls.__name__}"
    spec = NodeSpec(
        type_id=type_id or cls.__name__,
        category=category,
        inputs=in_ports(*inputs),
        outputs=out_ports(*outputs),
        params=params,
        doc=doc,
        target=name,
        extra=_extra(sample, sample_dtype, forward, forward_params, extra),
    )
    return LayerDef(spec=spec, module=name, forward=forward, unpack=unpack, infer=infer,
                    fixed_kwargs=dict(fixed_kwargs or {}), positional=positional)


def op_layer(
    type_id: str,
    category: str,
    doc: str,
    *,
    target: str,
    forward: str | ForwardFn,
    sample: Mapping[str, tuple[int, ...]],
    params: tuple[ParamSpec, ...] = (),
    inputs: tuple[Port, ...] = ("x",),
    outputs: tuple[Port, ...] = ("out",),
    unpack: str | None = None,
    sample_dtype: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
    kind: Any = None,
) -> LayerDef:
    """A stateless operation written inline in `forward` (no submodule)."""
    spec = NodeSpec(
        type_id=type_id,
        category=category,
        inputs=in_ports(*inputs),
        outputs=out_ports(*outputs),
        params=params,
        doc=doc,
        target=target,
        extra=_extra(sample, sample_dtype, forward, tuple(p.name for p in params), extra),
    )
    return LayerDef(spec=spec, module=None, forward=forward, unpack=unpack, kind=kind)
