"""A tensor the model owns and uses directly: a ViT's class token, a position table.

Import meets these as `self.class_token` in a forward (fx's get_attr). The
node is an `nn.Parameter` attribute whose values come with the weights; a
frozen one has `requires_grad=False`. A buffer stays a buffer (`buffer.py`).
"""

from __future__ import annotations

from typing import Any

from codegen.catalogue.build import op_layer
from codegen.layer import LayerDef
from codegen.render import literal
from graph.spec import ParamSpec

CATEGORY = "Shape"
DTYPES = ("float32", "float64", "float16", "bfloat16", "complex64", "int64", "int32", "bool")
#: What a tensor the model owns is made of; the Buffer node (`buffer.py`) is described by them too.
TENSOR_PARAMS = (ParamSpec("shape", "ints", default=(1,), min=0, primary=True, help="The tensor's shape."),
                 ParamSpec("dtype", "enum", default="float32", choices=DTYPES, help="Element type."))


def tensor_shape(values: dict[str, Any]) -> list[int]:
    """The `shape` parameter as a list (one int is a 1-d shape; unset is `[1]`)."""
    shape = values.get("shape") if values.get("shape") is not None else [1]
    return [shape] if isinstance(shape, int) else list(shape)


def parameter_constructor(values: dict[str, Any]) -> str:
    """`nn.Parameter(torch.zeros(1, 1, 768))`, with dtype and requires_grad only when they differ."""
    shape = tensor_shape(values)
    dims = ", ".join(literal(d) for d in shape) if shape else "()"
    dtype = values.get("dtype", "float32")
    dtype_text = "" if dtype == "float32" else f", dtype=torch.{dtype}"
    grad = "" if values.get("trainable", True) else ", requires_grad=False"
    return f"nn.Parameter(torch.zeros({dims}{dtype_text}){grad})"


_layer = op_layer(
    "Parameter", CATEGORY,
    "A learned tensor used as it is (a class token, a position table) or, not trainable, a fixed buffer. "
    "Starts at zero; its values come with the weights.",
    target="nn.Parameter", forward="{m}", inputs=(),
    params=(*TENSOR_PARAMS,
            ParamSpec("trainable", "bool", default=True, help="Updated by training (off for buffers).")),
    sample={}, extra={"batchless": True},
)
LAYERS: list[LayerDef] = [
    LayerDef(spec=_layer.spec, module="nn.Parameter", forward="{m}", constructor=parameter_constructor),
]
