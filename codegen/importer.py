"""Importing an existing nn.Module into a graph document with torch.fx.

Catalogue modules become their node types (constructor parameters read back
from the module's attributes); submodules that hold other modules become
groups, so a ResNet reads stem → stages → head; a leaf module the catalogue
does not know becomes a code node holding its class's source. Anything fx
cannot trace, or an operation we cannot map, is an `ImportFailed` naming the
module (or graph node) and the reason.
"""

from __future__ import annotations

import inspect
import operator
import textwrap
from typing import Any

import torch
from torch import fx, nn

from codegen.catalogue.expression import EXPRESSION
from codegen.layer import LayerDef
from graph.document import ROOT, Document, Edge, Graph, GroupDef, Node, make_identifier
from graph.kinds import CODE, GROUP, INPUT, OUTPUT, inputs_of, outputs_of
from graph.layout import layered_positions
from graph.params import check_value


class ImportFailed(Exception):
    """The module cannot be imported; the message names the module and the reason."""


def _catalogue_by_class() -> dict[type, LayerDef]:
    from codegen.catalogue import LAYERS

    found: dict[type, LayerDef] = {}
    for layer in LAYERS.values():
        if not layer.module or not layer.module.startswith("nn.") or layer.fixed_kwargs.get("dtype"):
            continue
        cls = getattr(nn, layer.module[3:], None)
        if isinstance(cls, type) and cls not in found:
            found[cls] = layer
    return found


_FUNCTIONS: dict[Any, str] = {
    operator.add: "Add", torch.add: "Add", operator.mul: "Multiply", torch.mul: "Multiply",
    operator.sub: "Subtract", operator.truediv: "Divide", operator.matmul: "Matmul", torch.matmul: "Matmul",
    torch.flatten: "Flatten", torch.cat: "Concat", torch.stack: "Stack", torch.relu: "ReLU",
    nn.functional.relu: "ReLU", torch.tanh: "Tanh", torch.sigmoid: "Sigmoid", nn.functional.gelu: "GELU",
}
_METHODS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "flatten": "Flatten", "mean": "Mean"}


#: nn modules returning a tuple whose catalogue node keeps only the first element.
_FIRST_OF_TUPLE: set[type] = {nn.MultiheadAttention}

#: nn modules whose catalogue node is written functionally (torch.flatten, ...).
_FUNCTIONAL_MODULES: dict[type, str] = {nn.Flatten: "Flatten", nn.Unflatten: "Unflatten"}


class _Tracer(fx.Tracer):
    """Catalogue modules and every non-root module with children stay whole (groups)."""

    def __init__(self, known: dict[type, LayerDef]) -> None:
        super().__init__()
        self.known = known

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return True  # every submodule stays whole: a node, a group, or a code node


def _value(v: Any) -> Any:
    if isinstance(v, torch.Size):
        return list(v)
    if isinstance(v, tuple):
        return [_value(x) for x in v]
    if isinstance(v, (nn.Parameter, torch.Tensor)):
        return True
    return v


def _transformer_layer(m: nn.Module) -> dict[str, Any]:
    """Constructor arguments that nn.Transformer*Layer keeps only inside its submodules."""
    return {"d_model": m.self_attn.embed_dim, "nhead": m.self_attn.num_heads,
            "dim_feedforward": m.linear1.out_features, "dropout": m.dropout.p,
            "layer_norm_eps": m.norm1.eps, "bias": m.linear1.bias is not None}


#: Where a module keeps constructor arguments it does not store under their own names.
_READERS = {nn.TransformerEncoderLayer: _transformer_layer, nn.TransformerDecoderLayer: _transformer_layer}


def _layer_params(layer: LayerDef, module: nn.Module, where: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    known = _READERS[type(module)](module) if type(module) in _READERS else {}
    for p in layer.spec.params:
        if p.name in known:
            value: Any = known[p.name]
        elif p.name in ("bias",) and hasattr(module, "bias"):
            value = module.bias is not None if not isinstance(module.bias, bool) else module.bias
        elif hasattr(module, p.name):
            value = _value(getattr(module, p.name))
        else:
            continue
        if isinstance(value, nn.Dropout):  # TransformerEncoderLayer keeps its rate in a Dropout module
            value = value.p
        elif callable(value) and not isinstance(value, nn.Module) and getattr(value, "__name__", None) in p.choices:
            value = value.__name__  # activation=F.relu → "relu"
        if isinstance(value, list) and p.kind == "ints" and len(set(map(str, value))) == 1 and \
                not isinstance(p.default, (list, tuple)):
            value = value[0]
        if value is None and not p.optional:
            continue
        if p.kind == "ints" and isinstance(value, str):
            raise ImportFailed(f"{where}: {p.name}={value!r} is not supported by the {layer.type_id} node")
        default = list(p.default) if isinstance(p.default, tuple) else p.default
        problem = check_value(p, value)
        if problem:
            raise ImportFailed(f"{where}: {p.name}: {problem} (cannot express this {type(module).__name__} "
                               "as a catalogue node)")
        if value != default:
            params[p.name] = value
    if getattr(module, "batch_first", True) is False:
        raise ImportFailed(f"{where}: {type(module).__name__} with batch_first=False; TorchCanvas graphs are "
                           "batch-first — construct it with batch_first=True")
    return params


class _Importer:
    def __init__(self, root: nn.Module, doc: Document) -> None:
        self.root = root
        self.doc = doc
        self.known = _catalogue_by_class()
        #: original module path → (scope, node id), for mapping weights
        self.origin: dict[str, tuple[str, str]] = {}

    def _trace(self, module: nn.Module, where: str) -> fx.Graph:
        try:
            return _Tracer(self.known).trace(module)
        except Exception as exc:  # noqa: BLE001 - fx raises many kinds; name the module
            raise ImportFailed(f"{where} ({type(module).__name__}) cannot be traced by torch.fx: "
                               f"{str(exc).splitlines()[0][:300]}") from None

    def import_scope(self, module: nn.Module, scope: str, prefix: str, shapes: list | None,
                     dtypes: list | None) -> Graph:
        g = Graph() if scope != ROOT else self.doc.graph
        graph = self._trace(module, prefix or type(module).__name__)
        values: dict[str, tuple[str, str]] = {}  # fx node name → (node id, port)
        labels: set[str] = set()
        placeholders = 0

        def add(type_id: str, label: str, params: dict[str, Any] | None = None) -> Node:
            label = make_identifier(label)
            base, k = label, 2
            while label in labels:
                label, k = f"{base}_{k}", k + 1
            labels.add(label)
            node = Node(self.doc.new_id(set(g.nodes)), type_id, label, params or {})
            g.nodes[node.id] = node
            return node

        def source(arg: Any, where: str) -> tuple[str, str]:
            if isinstance(arg, fx.Node) and arg.name in values:
                return values[arg.name]
            raise ImportFailed(f"{where}: an input is not a tensor from the graph ({arg!r})")

        outputs: list[Any] = []
        for n in graph.nodes:
            where = f"{prefix + '.' if prefix else ''}{n.target if n.op == 'call_module' else n.name}"
            if n.op == "placeholder":
                params = {}
                if scope == ROOT:
                    if shapes is None or placeholders >= len(shapes):
                        raise ImportFailed(f"give the input shape of '{n.name}' (without the batch dimension)")
                    params = {"shape": list(shapes[placeholders])}
                    if dtypes and dtypes[placeholders] != "float32":
                        params["dtype"] = dtypes[placeholders]
                placeholders += 1
                node = add(INPUT.type_id, n.name, params)
                values[n.name] = (node.id, "out")
            elif n.op == "call_module":
                sub = module.get_submodule(n.target)
                path = f"{prefix}.{n.target}" if prefix else n.target
                label = n.target.replace(".", "_")
                if label.isdigit():  # nn.Sequential children: "0", "1", ... → "conv2d_0"
                    label = f"{type(sub).__name__.lower()}_{label}"
                if type(sub) in _FUNCTIONAL_MODULES:
                    type_id = _FUNCTIONAL_MODULES[type(sub)]
                    from codegen.catalogue import LAYERS

                    node = add(type_id, label, _layer_params(LAYERS[type_id], sub, path))
                    self._connect(g, n, node, LAYERS[type_id], values, where)
                    values[n.name] = (node.id, "out")
                elif type(sub) in self.known:
                    layer = self.known[type(sub)]
                    node = add(layer.type_id, label, _layer_params(layer, sub, path))
                    self._connect(g, n, node, layer, values, where)
                    outs = layer.spec.outputs
                    values[n.name] = (node.id, outs[0].name)
                    if layer.unpack is not None:
                        values[n.name] = (node.id, "__tuple__")
                    elif type(sub) in _FIRST_OF_TUPLE:  # our node already returns element 0
                        values[n.name] = (node.id, "__first__")
                elif list(sub.children()):
                    name = self._group_name(path.replace(".", "_"))
                    self.doc.groups[name] = GroupDef(name, Graph(), f"Imported from {type(sub).__name__} ({path}).")
                    self.doc.groups[name].graph = self.import_scope(sub, name, path, None, None)
                    node = add(GROUP.type_id, label, {"group": name})
                    ins = [n_ for n_ in inputs_of(self.doc.groups[name].graph)]
                    for arg, port in zip(n.args, ins, strict=False):
                        src = source(arg, where)
                        g.edges.append(Edge(src[0], src[1], node.id, port.label))
                    outs_ = outputs_of(self.doc.groups[name].graph)
                    values[n.name] = (node.id, outs_[0].label if outs_ else "out")
                else:
                    node, ports = self._code_node(g, add, sub, label, path)
                    for arg, port in zip(n.args, ports, strict=False):
                        src = source(arg, where)
                        g.edges.append(Edge(src[0], src[1], node.id, port))
                    values[n.name] = (node.id, "out")
                self.origin[path] = (scope, node.id)
            elif n.op in ("call_function", "call_method"):
                self._function(g, n, add, values, source, where)
            elif n.op == "output":
                result = n.args[0]
                outputs = list(result) if isinstance(result, (tuple, list)) else [result]
            elif n.op == "get_attr":
                raise ImportFailed(f"{where}: uses a bare parameter or buffer ({n.target}); wrap it in a module")
        for k, out in enumerate(outputs):
            node = add(OUTPUT.type_id, "y" if len(outputs) == 1 else f"y{k + 1}")
            src = source(out, "output")
            g.edges.append(Edge(src[0], src[1], node.id, "x"))
        for nid, pos in layered_positions(g).items():
            g.nodes[nid].position = pos
        return g

    def _group_name(self, label: str) -> str:
        name, k = label, 2
        while name in self.doc.groups:
            name, k = f"{label}_{k}", k + 1
        return name

    def _connect(self, g: Graph, n: fx.Node, node: Node, layer: LayerDef, values, where: str) -> None:
        ports = [p for p in layer.spec.inputs]
        for arg, port in zip(n.args, ports, strict=False):
            if isinstance(arg, fx.Node):
                src = values.get(arg.name)
                if src is None:
                    raise ImportFailed(f"{where}: input {arg.name} is not a graph tensor")
                g.edges.append(Edge(src[0], src[1], node.id, port.name))

    def _code_node(self, g: Graph, add, sub: nn.Module, label: str, path: str) -> tuple[Node, tuple[str, ...]]:
        cls = type(sub)
        try:
            source = textwrap.dedent(inspect.getsource(cls))
        except (OSError, TypeError):
            raise ImportFailed(f"{path}: {cls.__name__} is not in the catalogue and its source is not "
                               "available (defined interactively?)") from None
        params: dict[str, Any] = {}
        for name, p in list(inspect.signature(cls.__init__).parameters.items())[1:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if hasattr(sub, name):
                params[name] = _value(getattr(sub, name))
            elif p.default is inspect.Parameter.empty:
                raise ImportFailed(f"{path}: {cls.__name__}.__init__ takes '{name}', which is not stored on the "
                                   "module as an attribute of that name, so it cannot be rebuilt")
        entry = make_identifier(cls.__name__)
        header = "import math\n\nimport torch\nfrom torch import nn\n\n\n"
        self.doc.code.setdefault(entry, header + source)
        from graph.codeinfo import read_code

        return add(CODE.type_id, label, {"code": entry, **params}), read_code(self.doc.code[entry]).inputs

    def _function(self, g: Graph, n: fx.Node, add, values, source, where: str) -> None:
        target = n.target
        if n.op == "call_function" and target is operator.getitem:
            base, index = n.args
            src = source(base, where)
            if src[1] == "__first__":
                if index == 0:
                    values[n.name] = (src[0], "out")
                    return
                if not n.users:  # e.g. the attention weights in `out, _ = self.attn(q, k, v)`
                    return
                raise ImportFailed(f"{where}: uses output {index} of a module whose node gives only its first")
            if src[1] == "__tuple__" and isinstance(index, int):
                node = g.nodes[src[0]]
                from codegen.catalogue import LAYERS

                outs = LAYERS[node.type].spec.outputs
                # (output, (h_n, c_n)) → index 0 is the sequence output
                values[n.name] = (src[0], outs[0].name if index == 0 else outs[min(index, len(outs) - 1)].name)
                return
            raise ImportFailed(f"{where}: indexing ({index!r}) is not supported by the importer yet")
        type_id = _FUNCTIONS.get(target) if n.op == "call_function" else _METHODS.get(target)
        if type_id is None:
            name = getattr(target, "__name__", str(target))
            raise ImportFailed(f"{where}: the operation {name}() has no catalogue node; wrap it in a small "
                               "nn.Module (it then becomes a code node)")
        tensors = [a for a in n.args if isinstance(a, fx.Node)]
        symbol = {operator.add: "+", torch.add: "+", operator.mul: "*", torch.mul: "*", operator.sub: "-",
                  operator.truediv: "/"}.get(target) if n.op == "call_function" else None
        if symbol and len(tensors) < len(n.args):  # a tensor and a constant: x * 0.5
            if len(n.args) != 2 or not all(isinstance(a, (fx.Node, int, float)) for a in n.args):
                raise ImportFailed(f"{where}: {n.target.__name__} with arguments {n.args!r} is not supported")
            left, right = ("x" if isinstance(a, fx.Node) else repr(a) for a in n.args)
            node = add(EXPRESSION.type_id, n.name, {"expr": f"{left} {symbol} {right}"})
            src = source(tensors[0], where)
            g.edges.append(Edge(src[0], src[1], node.id, "x"))
            values[n.name] = (node.id, "out")
            return
        params: dict[str, Any] = {}
        if type_id in ("Flatten",) and len(n.args) > 1:
            params["start_dim"] = n.args[1]
        if type_id == "Mean":
            dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim")
            params["dim"] = list(dim) if isinstance(dim, tuple) else dim
        if type_id in ("Concat", "Stack"):
            tensors = list(n.args[0])
            params["dim"] = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", 0)
        node = add(type_id, n.name, params)
        from codegen.catalogue import LAYERS

        ports = LAYERS[type_id].spec.inputs
        for k, arg in enumerate(tensors):
            src = source(arg, where)
            port = ports[0] if ports[0].multi else ports[min(k, len(ports) - 1)]
            g.edges.append(Edge(src[0], src[1], node.id, port.name))
        values[n.name] = (node.id, "out")


def import_module(module: nn.Module, input_shapes: list[list[int]], name: str | None = None,
                  input_dtypes: list[str] | None = None) -> tuple[Document, dict[str, tuple[str, str]]]:
    """(document, original module path → (scope, node id)); raises ImportFailed."""
    doc = Document(name=name or type(module).__name__,
                   description=f"Imported from {type(module).__module__}.{type(module).__qualname__}.")
    importer = _Importer(module, doc)
    importer.import_scope(module, ROOT, "", input_shapes, input_dtypes)
    return doc, importer.origin


def transfer_weights(original: nn.Module, origin: dict[str, tuple[str, str]], attributes: dict,
                     target: nn.Module) -> list[str]:
    """Copies the original module's weights into the compiled model; returns the names it could not place."""
    state = original.state_dict()
    mapping = {path: attributes[key] for path, key in origin.items() if key in attributes}
    new_state = {}
    missing = []
    for key, value in state.items():
        best = max((p for p in mapping if key.startswith(p + ".")), key=len, default=None)
        if best is None:
            missing.append(key)
            continue
        new_state[mapping[best] + key[len(best):]] = value
    result = target.load_state_dict(new_state, strict=False)
    return missing + list(result.missing_keys)
