"""Tracing one module's own forward with torch.fx, carrying a real value on every proxy.

Each `torch.fx` proxy also holds the value the original module computes
(real tensors on small example inputs), so Python code that inspects shapes
traces like it runs: `B, T, C = x.size()` unpacks, `assert t <= block_size`
and `if self.flash:` take the branch the module takes, `len(x)` works. Only
control flow on tensor *data* cannot be decided this way; it raises
`Untraceable`, and the importer keeps that module whole (opaque).

Every submodule is a leaf: the importer traces one module level at a time
and decides per submodule (catalogue node, traced group, or opaque node).
"""

from __future__ import annotations

import inspect
import operator
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn
from torch.fx.proxy import Attribute


class Untraceable(Exception):
    """This module's forward cannot be recorded as a graph (the reason says why)."""


@dataclass
class Call:
    """One call of a submodule seen while tracing its parent: the values it received."""

    node: fx.Node
    module: nn.Module
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    output: Any


@dataclass
class Trace:
    graph: fx.Graph
    #: The value every fx node computed on the example inputs.
    values: dict[fx.Node, Any] = field(default_factory=dict)
    calls: dict[fx.Node, Call] = field(default_factory=dict)
    #: Names of forward's arguments that became graph inputs (tensors), in order.
    inputs: list[str] = field(default_factory=list)
    #: The line of the module's forward that created each node (for labels).
    lines: dict[fx.Node, int] = field(default_factory=dict)


def _detach(value: Any) -> Any:
    """A copy that later in-place operations of the module cannot change."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_detach(v) for v in value) if not hasattr(value, "_fields") else value
    return value


class ValueProxy(fx.Proxy):
    """A proxy that answers Python's questions (bool, len, iter, int) from its real value."""

    @property
    def value(self) -> Any:
        return self.tracer.values[self.node]  # type: ignore[attr-defined]

    def __getattr__(self, k: str) -> Any:
        return ValueAttribute(self, k)

    def __bool__(self) -> bool:
        value = self.value
        if isinstance(value, torch.Tensor):
            raise Untraceable("its forward branches on the values of a tensor (data-dependent control flow)")
        return bool(value)

    def __len__(self) -> int:
        value = self.value
        return len(value)

    def __iter__(self):
        value = self.value
        if isinstance(value, torch.Tensor) and value.dim() == 0:
            raise Untraceable("iterates over a 0-d tensor")
        return iter([self[i] for i in range(len(value))])

    def __index__(self) -> int:
        value = self.value
        if isinstance(value, torch.Tensor):
            raise Untraceable("uses a tensor's value as a Python integer")
        return operator.index(value)

    def __int__(self) -> int:
        return self.__index__()

    def __float__(self) -> float:
        value = self.value
        if isinstance(value, torch.Tensor):
            raise Untraceable("uses a tensor's value as a Python number")
        return float(value)

    def keys(self):
        return self.value.keys()


class ValueAttribute(Attribute, ValueProxy):
    """`x.shape`, `x.dtype`, ... (fx records the getattr only when the value is used)."""

    @property
    def value(self) -> Any:
        return self.tracer.values[self.node]  # type: ignore[attr-defined]


def _resolve(tracer: ValueTracer, value: Any) -> Any:
    if isinstance(value, fx.Proxy):
        return tracer.values[value.node]
    if isinstance(value, fx.Node):
        return tracer.values[value]
    return value


class ValueTracer(fx.Tracer):
    def __init__(self, root: nn.Module, inputs: dict[str, Any]) -> None:
        super().__init__(autowrap_modules=(), autowrap_functions=())
        self.proxy_buffer_attributes = True  # `self.mask[:, :T]` is a graph value, like a parameter
        self.traced_root = root
        self.example = inputs
        self.values: dict[fx.Node, Any] = {}
        self.calls: dict[fx.Node, Call] = {}
        self.lines: dict[fx.Node, int] = {}
        self.forward_code = getattr(type(root).forward, "__code__", None)

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return True

    def proxy(self, node: fx.Node) -> fx.Proxy:
        return ValueProxy(node, self)

    def iter(self, obj: fx.Proxy):  # only reached for proxies without a known length
        raise Untraceable("iterates over a value whose length is unknown")

    def to_bool(self, obj: fx.Proxy) -> bool:
        return ValueProxy.__bool__(obj)  # type: ignore[arg-type]

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, proxy_factory_fn=None):
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr, proxy_factory_fn)
        node = proxy.node
        if node in self.values:
            return proxy
        real_args = fx.node.map_aggregate(args, lambda a: _resolve(self, a))
        real_kwargs = fx.node.map_aggregate(kwargs, lambda a: _resolve(self, a))
        try:
            with _real_calls():
                value = self._compute(kind, target, real_args, real_kwargs, node)
        except Untraceable:
            raise
        except Exception as exc:  # noqa: BLE001 - the module's own code raised on the example
            where = target if isinstance(target, str) else getattr(target, "__name__", str(target))
            raise ForwardFailed(f"{where}: {type(exc).__name__}: {_first_line(exc)}") from None
        self.values[node] = value
        line = self._forward_line()
        if line is not None:
            self.lines[node] = line
        return proxy

    def _forward_line(self) -> int | None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code is self.forward_code:
                return frame.f_lineno
            frame = frame.f_back
        return None

    def _compute(self, kind: str, target: Any, real_args: Any, real_kwargs: Any, node: fx.Node) -> Any:
        if True:
            if kind == "placeholder":
                name = str(target).lstrip("*")
                base = re.sub(r"_\d+$", "", name)  # fx names fixed arguments `flag_1`
                value = self.example[name] if name in self.example else \
                    self.example[base] if base in self.example else (real_args[0] if real_args else None)
            elif kind == "get_attr":
                value = _fetch(self.traced_root, str(target))
            elif kind == "call_function":
                value = target(*real_args, **real_kwargs)
            elif kind == "call_method":
                value = getattr(real_args[0], target)(*real_args[1:], **real_kwargs)
            elif kind == "call_module":
                module = self.traced_root.get_submodule(target)
                call = Call(node, module, _detach(real_args), _detach(real_kwargs), None)
                value = module(*real_args, **real_kwargs)
                call.output = _detach(value)
                self.calls[node] = call
            else:
                value = None
        return value


def _real_calls():
    """Runs real modules while fx has nn.Module.__call__ patched for tracing."""
    from torch.fx._symbolic_trace import _maybe_revert_all_patches

    return _maybe_revert_all_patches()


class ForwardFailed(Exception):
    """The module raised while running on the example inputs (not a tracing limit)."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _fetch(root: nn.Module, target: str) -> Any:
    obj: Any = root
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def forward_parameters(module: nn.Module) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        return []


def trace(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Trace:
    """Traces `module.forward(*args, **kwargs)`: tensors become graph inputs, anything else is fixed.

    The forward is called from a small wrapper whose arguments are just the
    tensors, so fixed values (flags, None, `**kwargs` of Hugging Face models)
    never become fx placeholders. Raises Untraceable (the forward cannot be a
    graph) or ForwardFailed (it raised).
    """
    params = forward_parameters(module)
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(args) > len(positional):
        raise Untraceable("its forward takes *args")
    if any(p.kind == p.POSITIONAL_ONLY for p in params):
        raise Untraceable("its forward has positional-only arguments")
    bound = {p.name: a for p, a in zip(positional, args, strict=False)}
    for k, v in kwargs.items():
        if k not in names and not any(p.kind == p.VAR_KEYWORD for p in params):
            raise Untraceable(f"its forward does not take {k}")
        bound[k] = v
    tensors = [k for k, v in bound.items() if isinstance(v, torch.Tensor)]
    #: a list of tensors (DenseNet's `layer(features)`): one input per element, the list rebuilt inside
    lists = {k: len(v) for k, v in bound.items() if isinstance(v, (list, tuple)) and v
             and all(isinstance(t, torch.Tensor) for t in v)}
    for k, count in lists.items():
        for j in range(count):
            bound[f"{k}_{j}"] = bound[k][j]
            tensors.append(f"{k}_{j}")
    fixed = {k: v for k, v in bound.items() if k not in tensors and k not in lists}
    for k, v in fixed.items():
        if not _is_constant(v):
            raise Untraceable(f"its forward argument {k!r} receives a {type(v).__name__}")
    for p in params:
        if p.name not in bound and p.default is inspect.Parameter.empty and p.name in names:
            raise Untraceable(f"its forward argument {p.name!r} receives nothing")
    wrapper = _wrapper(module, tensors, fixed, lists)
    tracer = ValueTracer(wrapper, {k: bound[k] for k in tensors})
    tracer.forward_code = getattr(type(module).forward, "__code__", None)
    try:
        graph = tracer.trace(wrapper)
    except (Untraceable, ForwardFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - fx raises many kinds; the reason is its message
        raise Untraceable(f"torch.fx: {type(exc).__name__}: {_first_line(exc)}") from None
    for node in graph.nodes:
        if node.op in ("call_module", "get_attr") and str(node.target).startswith("inner."):
            node.target = str(node.target)[len("inner."):]
    _drop_concrete_guards(graph)
    return Trace(graph, tracer.values, tracer.calls, tensors, tracer.lines)


def _wrapper(module: nn.Module, tensors: list[str], fixed: dict[str, Any],
             lists: dict[str, int] | None = None) -> nn.Module:
    """A module whose forward(tensors...) calls `module.forward(tensors..., **fixed)` directly."""
    lists = lists or {}
    for name in tensors:
        if not name.isidentifier():
            raise Untraceable(f"its forward argument {name!r} is not a plain name")
    signature = ", ".join(["self", *tensors])
    elements = {f"{k}_{j}" for k, count in lists.items() for j in range(count)}
    call = ", ".join([f"{n}={n}" for n in tensors if n not in elements]
                     + [f"{k}=[{', '.join(f'{k}_{j}' for j in range(count))}]" for k, count in lists.items()])
    namespace: dict[str, Any] = {}
    exec(f"def forward({signature}):\n    return self.inner.forward({call}, **self.fixed)\n",  # noqa: S102
         namespace)
    wrapper = type("Traced", (nn.Module,), {"forward": namespace["forward"]})()
    wrapper.inner = module
    wrapper.fixed = fixed
    wrapper.train(module.training)
    return wrapper


def _is_constant(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str, torch.dtype, torch.device)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_constant(v) for v in value)
    return False


def _drop_concrete_guards(graph: fx.Graph) -> None:
    """fx guards fixed (concrete) arguments with assertions; they only re-check what we fixed."""
    for node in reversed(list(graph.nodes)):
        name = getattr(node.target, "__name__", "") if node.op == "call_function" else ""
        guard = name == "_assert_is_none" or (
            name == "_assert" and len(node.args) > 1 and "has been specialized" in str(node.args[1]))
        if guard and not node.users:
            feeders = [a for a in node.all_input_nodes if a.op != "placeholder"]
            graph.erase_node(node)
            for feeder in feeders:
                if not feeder.users:
                    graph.erase_node(feeder)

