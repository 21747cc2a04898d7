"""A tensor the model keeps but does not train: BERT's position ids, a causal mask, running statistics.

Import meets these as `self.position_ids` in a forward where the original
called `register_buffer`; they stay buffers in the generated code, persistent
or not as in the original, so `state_dict()` keeps the original's keys. A
persistent buffer's values come with the weights; a non-persistent one is
not saved, so its constructor rebuilds its values (`fill`): zeros, ones, a
running count (`arange`) or a lower-triangular mask of ones (`tril`).
"""

from __future__ import annotations

import math
from typing import Any

from codegen.catalogue.build import op_layer
from codegen.catalogue.parameter import TENSOR_PARAMS, tensor_shape
from codegen.kinds.layer import Layer
from codegen.layer import LayerDef
from codegen.render import literal
from codegen.writer import ScopeWriter
from graph.document import Node
from graph.spec import ParamSpec

CATEGORY = "Shape"
FILLS = ("zeros", "ones", "arange", "tril")


def buffer_tensor(values: dict[str, Any]) -> str:
    """`torch.arange(32).view(1, 32)`: the buffer's initial values as one expression."""
    shape = tensor_shape(values)
    dims = ", ".join(literal(d) for d in shape) if shape else "()"
    dtype = values.get("dtype", "float32")
    dtype_kw = "" if dtype == "float32" else f"dtype=torch.{dtype}"
    fill = values.get("fill", "zeros")
    if fill == "arange":
        text = f"torch.arange({math.prod(shape)}{', ' + dtype_kw if dtype_kw else ''})"
        return text if len(shape) == 1 else f"{text}.view({dims})"
    if fill == "tril" and len(shape) >= 2:
        square = f"torch.ones({shape[-2]}, {shape[-1]}{', ' + dtype_kw if dtype_kw else ''})"
        return f"torch.tril({square})" + ("" if len(shape) == 2 else f".view({dims})")
    maker = "torch.ones" if fill == "ones" else "torch.zeros"
    return f"{maker}({dims}{', ' + dtype_kw if dtype_kw else ''})"


class BufferKind(Layer):
    """Written as `self.register_buffer(name, values, persistent=...)`, read as `self.name`."""

    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        values = w.params(node)
        attr = w.attribute(node)
        persistent = "" if values.get("persistent", True) else ", persistent=False"
        w.init.append(f"self.register_buffer({literal(attr)}, {buffer_tensor(values)}{persistent})")
        var = w.variable(node)
        w.bind(node, "out", var)
        w.body.append(f"{var} = self.{attr}{w.comment(node)}")


_layer = op_layer(
    "Buffer", CATEGORY,
    "A tensor the model keeps but does not train (position ids, a causal mask). A persistent buffer is saved "
    "with the weights; a non-persistent one is rebuilt by the constructor from its fill.",
    target="nn.Module.register_buffer", forward="{m}", inputs=(),
    params=(*TENSOR_PARAMS,
            ParamSpec("fill", "enum", default="zeros", choices=FILLS,
                      help="Initial values: zeros, ones, 0, 1, 2, … in order (arange), or a lower-triangular "
                           "mask of ones over the last two dimensions (tril)."),
            ParamSpec("persistent", "bool", default=True,
                      help="Saved with the weights (in state_dict); off: rebuilt from its fill.")),
    sample={}, extra={"batchless": True},
)
LAYERS: list[LayerDef] = [
    LayerDef(spec=_layer.spec, module="nn.Module.register_buffer", forward="{m}", constructor=buffer_tensor, kind=BufferKind),
]
