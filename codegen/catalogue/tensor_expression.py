"""The Tensor expression node: one PyTorch expression over up to four tensors x, y, z, w.

Import turns the tensor code of a forward (`x.view(x.shape[0], -1, 4)`,
`torch.cat([x, y], dim=1)`, `nn.functional.softmax(x, -1)`, `x[:, :, 0]`)
into these nodes. The text is a project string that is pasted into generated
source, so it is parsed with `ast` and only a closed grammar passes: the four
variable names, literal constants, subscripts and slices, arithmetic and
comparisons with bounded constant powers, calls of PyTorch's tensor
operations (`torch.<op>` from ATen and `torch.functional`,
`nn.functional.<op>`, tensor methods), and tensor attributes such as
`.shape`. No other name, no dunder, no import, no I/O function.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

import torch
import torch.functional
import torch.nn.functional as F

from codegen.catalogue.build import op_layer
from codegen.catalogue.expression import check_arguments, dotted, substitute
from codegen.layer import LayerDef
from graph.spec import ParamSpec, PortSpec

CATEGORY = "Math"
VARIABLES: tuple[str, ...] = ("x", "y", "z", "w")

#: Tensor methods and torch functions an expression may never call (I/O, storage, hooks, autograd).
_DENIED = frozenset({
    "numpy", "tolist", "storage", "untyped_storage", "data_ptr", "share_memory_", "pin_memory",
    "register_hook", "register_post_accumulate_grad_hook", "backward", "retain_grad", "apply_", "map_",
    "map2_", "set_", "record_stream", "save", "load", "from_file", "from_numpy", "frombuffer", "set_default_dtype",
    "set_default_device", "set_grad_enabled", "manual_seed", "seed", "set_rng_state", "get_rng_state",
    "set_printoptions", "compile", "jit", "hub", "ops", "classes", "library", "cuda", "set_num_threads",
    "use_deterministic_algorithms", "as_strided", "as_strided_", "resize_", "resize_as_",
})
ATTRIBUTES = frozenset({"shape", "dtype", "device", "ndim", "T", "mT", "H", "mH", "real", "imag", "is_cuda",
                        "min", "max", "eps", "tiny", "bits", "requires_grad"})
DTYPES = frozenset(name for name in dir(torch) if isinstance(getattr(torch, name, None), torch.dtype))
MATH_CONSTANTS = frozenset({"math.pi", "math.e", "math.tau", "math.inf"})
#: The largest constant exponent and constant magnitude (keeps constant folding cheap).
MAX_EXPONENT = 64
MAX_CONSTANT = 2 ** 63


@functools.cache
def torch_functions() -> frozenset[str]:
    """`torch.<name>` callables: ATen operations, torch.functional's, and a few helpers."""
    names = {n for n in dir(torch._C._VariableFunctions) if not n.startswith("_")}
    names |= set(getattr(torch.functional, "__all__", ()))
    names |= {"finfo", "iinfo", "tensor", "as_tensor", "broadcast_shapes"}
    return frozenset(n for n in names - _DENIED if callable(getattr(torch, n, None)))


@functools.cache
def functional_functions() -> frozenset[str]:
    """`nn.functional.<name>`: the public functions of torch.nn.functional."""
    names = {n for n in dir(F) if not n.startswith("_") and callable(getattr(F, n))}
    names -= {"handle_torch_function", "has_torch_function", "has_torch_function_unary",
              "has_torch_function_variadic", "boolean_dispatch", "Callable", "Optional", "Tensor", "DType",
              "BroadcastingList1", "BroadcastingList2", "BroadcastingList3", "GRID_SAMPLE_INTERPOLATION_MODES",
              "GRID_SAMPLE_PADDING_MODES"}
    return frozenset(n for n in names if not isinstance(getattr(F, n), type))


@functools.cache
def tensor_methods() -> frozenset[str]:
    names = {n for n in dir(torch._C.TensorBase) if not n.startswith("_")}
    names |= {"split", "unflatten", "stft", "norm", "unique", "type_as", "view_as", "reshape_as", "expand_as"}
    names |= {"size", "dim", "numel", "contiguous", "chunk", "float", "half", "double", "long", "int", "bool",
              "to", "type", "index", "count"}  # index/count: tuple methods on shapes
    return frozenset(names - _DENIED)


def _fail(text: str, why: str) -> ValueError:
    return ValueError(f"tensor expression {text!r}: {why}")


def _is_constant_tree(node: ast.AST) -> bool:
    return not any(isinstance(n, (ast.Name, ast.Call, ast.Attribute, ast.Subscript)) for n in ast.walk(node))


def _callee(func: ast.expr, text: str) -> None:
    name = dotted(func)
    if name is not None and name.startswith("torch."):
        if name.count(".") == 1 and name[6:] in torch_functions():
            return
        raise _fail(text, f"function {name!r} is not allowed")
    if name is not None and name.startswith("nn.functional."):
        if name.count(".") == 2 and name[14:] in functional_functions():
            return
        raise _fail(text, f"function {name!r} is not allowed")
    if isinstance(func, ast.Attribute):
        if func.attr not in tensor_methods():
            raise _fail(text, f"method {func.attr!r} is not allowed")
        _check(func.value, text)
        return
    raise _fail(text, f"function {ast.unparse(func)!r} is not allowed")


def _check(node: ast.AST, text: str) -> None:
    """Raise ValueError at the first construct outside the grammar."""
    if isinstance(node, ast.Expression):
        return _check(node.body, text)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            if len(value) > 100 or not value.isprintable():
                raise _fail(text, "text constants must be short and printable")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_CONSTANT:
            raise _fail(text, f"the constant {value!r} is too large")
        elif not (value is None or value is Ellipsis or isinstance(value, (bool, int, float, complex))):
            raise _fail(text, f"constant {value!r} is not allowed")
        return None
    if isinstance(node, ast.Name):
        if node.id not in VARIABLES:
            raise _fail(text, f"unknown name {node.id!r}; use {', '.join(VARIABLES)}")
        return None
    if isinstance(node, ast.Attribute):
        name = dotted(node)
        if name in MATH_CONSTANTS or (name and name.startswith("torch.") and name[6:] in DTYPES):
            return None
        if node.attr not in ATTRIBUTES:
            raise _fail(text, f"attribute {node.attr!r} is not allowed")
        return _check(node.value, text)
    if isinstance(node, ast.Call):
        _callee(node.func, text)
        check_arguments(node, lambda arg: _check(arg, text), lambda why: _fail(text, why))
        return None
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _is_constant_tree(node.left) and _is_constant_tree(node.right):
            exponent = node.right.value if isinstance(node.right, ast.Constant) else None
            if not isinstance(exponent, (int, float)) or abs(exponent) > MAX_EXPONENT:
                raise _fail(text, f"constant powers need an exponent of at most {MAX_EXPONENT}")
        _check(node.left, text)
        return _check(node.right, text)
    if isinstance(node, ast.UnaryOp):
        return _check(node.operand, text)
    if isinstance(node, ast.Compare):
        if any(isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in node.ops):
            raise _fail(text, "only <, <=, >, >=, == and != comparisons are allowed")
        for part in (node.left, *node.comparators):
            _check(part, text)
        return None
    if isinstance(node, ast.Subscript):
        _check(node.value, text)
        return _check(node.slice, text)
    if isinstance(node, ast.Slice):
        for part in (node.lower, node.upper, node.step):
            if part is not None:
                _check(part, text)
        return None
    if isinstance(node, (ast.Tuple, ast.List)):
        for part in node.elts:
            _check(part, text)
        return None
    raise _fail(text, f"{type(node).__name__} ({ast.unparse(node)!r}) is not allowed")


def parse_tensor_expression(text: str) -> ast.Expression:
    """The checked syntax tree of `text`; ValueError says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("tensor expression is empty; write PyTorch code such as 'x.transpose(1, 2)'")
    if len(text) > 2000:
        raise _fail(text[:40] + "…", "longer than 2000 characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise _fail(text, f"not valid Python: {err.msg}") from None
    _check(tree, text)
    return tree


def tensor_expression_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """The expression with x, y, z, w replaced by the variables of the connected inputs."""
    text = values.get("expr", "")
    code, missing = substitute(parse_tensor_expression(text), inputs, VARIABLES)
    if missing:
        raise _fail(text, f"uses {', '.join(missing)} but that input is not connected")
    return code


LAYERS: list[LayerDef] = [
    op_layer(
        "TensorExpression", CATEGORY,
        "PyTorch code over up to four tensors x, y, z, w: x.view(x.shape[0], -1), torch.cat([x, y], 1), "
        "nn.functional.softmax(x, -1), x[:, 0]. Import writes these for a forward's tensor code.",
        target="Python expression", forward=tensor_expression_forward,
        inputs=("x", *(PortSpec(v, required=False, help="Optional operand.") for v in VARIABLES[1:])),
        params=(ParamSpec("expr", "string", default="x", primary=True,
                          help="A PyTorch expression over x, y, z, w (tensor methods, torch.* and "
                               "nn.functional.* operations, indexing, arithmetic)."),),
        sample={"x": (2, 3, 4), "y": (2, 3, 4), "z": (2, 3, 4), "w": (2, 3, 4)},
    ),
]
