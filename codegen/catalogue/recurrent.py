"""Recurrent layers, always batch-first: (N, T, F) like Keras.

Multi-output convention: the output ports are named after PyTorch's return
values and `LayerDef.unpack` spells the tuple structure, e.g. nn.LSTM's
`output, (h_n, c_n)`. A compiler leaves unconnected ports as `_`.
"""

from __future__ import annotations

from typing import Any

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef
from graph.spec import ParamSpec, PortSpec

CATEGORY = "Recurrent"
_BATCH_FIRST = {"batch_first": "True"}
_SIZES = {"hidden_size": Tweak(default=64)}
_NONLINEARITY = ParamSpec("nonlinearity", "enum", default="tanh", choices=("tanh", "relu"),
                          help="Activation of the hidden state.")


def _sequence(cls: type[nn.Module], doc: str, outputs: tuple[str, ...], unpack: str,
              skip: tuple[str, ...] = (), extra: tuple[ParamSpec, ...] = ()) -> LayerDef:
    # nn.RNN/LSTM/GRU declare only *args: read nn.RNNBase and drop its `mode`.
    return module_layer(
        cls, CATEGORY, doc,
        signature=nn.RNNBase.__init__,
        skip=("mode", *skip),
        extra_params=extra,
        outputs=outputs,
        unpack=unpack,
        positional=("input_size", "hidden_size"),
        infer={"input_size": "x.shape[-1]"},
        tweaks=_SIZES,
        fixed_kwargs=_BATCH_FIRST,
        sample={"x": (2, 5, 8)},
    )


def _state(name: str, help_text: str) -> PortSpec:
    return PortSpec(name, required=False, help=help_text)


def _cell_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`self.cell(x)` or `self.cell(x, hx)`: without a state the cell starts from zeros."""
    hx = inputs.get("hx")
    return f"{module}({inputs['x']}, {hx})" if hx else f"{module}({inputs['x']})"


def _lstm_cell_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`self.cell(x, (hx, cx))`: an LSTM state is both tensors or neither."""
    hx, cx = inputs.get("hx"), inputs.get("cx")
    if bool(hx) != bool(cx):
        raise ValueError("LSTMCell needs both hx and cx connected, or neither")
    return f"{module}({inputs['x']}, ({hx}, {cx}))" if hx else f"{module}({inputs['x']})"


def _cell(cls: type[nn.Module], doc: str, states: tuple[str, ...], outputs: tuple[str, ...],
          forward: Any, unpack: str | None = None, tweaks: dict[str, Tweak] | None = None
          ) -> LayerDef:
    return module_layer(
        cls, CATEGORY, doc,
        inputs=("x", *(_state(s, f"Previous {s} (zeros when not connected).") for s in states)),
        outputs=outputs,
        unpack=unpack,
        positional=("input_size", "hidden_size"),
        infer={"input_size": "x.shape[-1]"},
        tweaks={**_SIZES, **(tweaks or {})},
        forward=forward,
        sample={"x": (2, 8)},
    )


LAYERS: list[LayerDef] = [
    _sequence(nn.RNN, "Elman RNN over a sequence: outputs every step and the final hidden state.",
              ("output", "h_n"), "{output}, {h_n}", skip=("proj_size",), extra=(_NONLINEARITY,)),
    _sequence(nn.LSTM, "LSTM over a sequence: outputs every step, final hidden and cell state.",
              ("output", "h_n", "c_n"), "{output}, ({h_n}, {c_n})"),
    _sequence(nn.GRU, "GRU over a sequence: outputs every step and the final hidden state.",
              ("output", "h_n"), "{output}, {h_n}", skip=("proj_size",)),
    _cell(nn.RNNCell, "One step of an Elman RNN: (x, h) → next h.", ("hx",), ("h",),
          _cell_forward, tweaks={"nonlinearity": Tweak(choices=_NONLINEARITY.choices)}),
    _cell(nn.LSTMCell, "One LSTM step: (x, (h, c)) → next (h, c).", ("hx", "cx"), ("h", "c"),
          _lstm_cell_forward, unpack="{h}, {c}"),
    _cell(nn.GRUCell, "One GRU step: (x, h) → next h.", ("hx",), ("h",), _cell_forward),
]
