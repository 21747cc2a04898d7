"""Building the document from traced modules, one scope per traced module.

`Importer.call` decides for each submodule call what it becomes (a catalogue
node, a group traced from its forward, or an opaque node keeping the module
whole) and `Importer.scope` turns one traced forward into a scope's nodes and
edges. Node ids are unique across the whole document and labels within each
scope; identical traced bodies share one group definition, and a chain of
equal blocks from one `nn.Sequential`/`nn.ModuleList` becomes one group node
with `repeat`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from codegen.importer import ops
from codegen.importer.catalogue_call import catalogue_node
from codegen.importer.fxutil import bind, in_place, simple, tensor_args, used_later
from codegen.importer.groups import (
    describe,
    frozen,
    group_name_for,
    join,
    only_group,
    opaque_outputs,
    shape_like,
    signature,
    unique,
    without_defaults,
)
from codegen.importer.labels import labels_for
from codegen.importer.patterns import Patterns
from codegen.importer.tensors import tensor_node
from codegen.importer.tracer import ForwardFailed, Trace, Untraceable, trace
from codegen.runs import DTYPE_NAMES
from graph.document import Document, Edge, Graph, GroupDef, Node, make_identifier
from graph.kinds import GROUP, INPUT, OUTPUT
from graph.layout import layered_positions


class ImportFailed(Exception):
    """The module cannot be imported; the message names the module path and the reason."""


class KeepWhole(Exception):
    """This module cannot be written as a graph; it becomes an opaque node (the message says why)."""


@dataclass
class Origin:
    """Where each node's weights come from in the original module (for transferring them)."""

    #: (scope, node id) → path relative to the module that scope was traced from
    rel: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (scope, group node id) → path of the original module of each copy (several for repeats)
    instances: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: the document these ids belong to
    doc: Document | None = None
    #: (module path, class, reason) of every module kept whole
    kept: list[tuple[str, str, str]] = field(default_factory=list)
    #: what the import could not keep as it was (tied weights imported as separate copies)
    notes: list[str] = field(default_factory=list)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, torch.Tensor)


def _structure(value: Any) -> bool:
    """A tensor, or tuples/lists/dicts of them (what a node output may carry)."""
    if _is_tensor(value):
        return True
    if isinstance(value, (tuple, list)):
        return all(_structure(v) or v is None for v in value)
    if isinstance(value, dict):
        return all(_structure(v) or v is None for v in value.values())
    return False


def _prune(graph: Graph) -> None:
    """Stateless operations whose result nothing reads (their consumer was a Python value): gone."""
    from codegen.catalogue import LAYERS

    while True:
        used = {e.src for e in graph.edges}
        dead = [nid for nid, node in graph.nodes.items() if nid not in used and node.type in LAYERS
                and LAYERS[node.type].module is None and LAYERS[node.type].spec.outputs]
        if not dead:
            return
        for nid in dead:
            del graph.nodes[nid]
        graph.edges[:] = [e for e in graph.edges if e.dst not in dead]


def _exported_group(cls: type) -> bool:
    """A class TorchCanvas wrote for a group (in an exported file, not a `# Custom code` entry)."""
    import sys

    from codegen.importer.opaque import exported_entry_name
    from codegen.metadata import NAME

    return hasattr(sys.modules.get(cls.__module__), NAME) and not exported_entry_name(cls)


def _tuple_text(value: Any) -> str | None:
    if value is None:
        return "None"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        items = [_tuple_text(v) for v in value]
        if any(i is None for i in items):
            return None
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"  # type: ignore[arg-type]
    return None


class Importer(Patterns):
    def __init__(self, doc: Document, opaque) -> None:
        self.doc = doc
        self.origin = Origin()
        self.signatures: dict[Any, str] = {}
        self._ids = 0
        #: per scope being built: group member calls, expression texts, Add/Multiply chains
        self._members: dict[str, tuple[fx.Node, Node]] = {}
        #: expression node id → (its text over marks, its fx node), for folding into a catalogue op
        self._expressions: dict[str, tuple[str, fx.Node]] = {}
        self._chains: dict[str, tuple[str, fx.Node]] = {}
        #: forward argument names of the group traced last (parallel to its Input labels)
        self._last_inputs: list[str] = []
        #: (module path, class, why) of every module kept whole
        self.kept: list[tuple[str, str, str]] = []
        #: makes an opaque node: (importer, scope graph, add, module, call, path) → (node, input ports)
        self.opaque = opaque

    def new_id(self) -> str:
        self._ids += 1
        return f"n{self._ids}"

    # -- one traced forward → one scope ------------------------------------------------------------
    def scope(self, module: nn.Module, traced: Trace, scope: str, graph: Graph, path: str,
              root: bool = False) -> tuple[list[str], list[str]]:
        """Fills `graph` from `traced`; returns (input labels, output labels)."""
        texts: dict[fx.Node, str] = {}
        structures: dict[fx.Node, Any] = {}
        renderer = ops.Renderer(texts)
        labels = labels_for(traced.graph, traced.lines, module)
        taken: set[str] = set()

        def add(type_id: str, hint: str, params: dict[str, Any] | None = None) -> Node:
            base = make_identifier(hint)
            label, k = base, 2
            while label in taken:
                label, k = f"{base}_{k}", k + 1
            taken.add(label)
            node = Node(self.new_id(), type_id, label, dict(params or {}))
            graph.nodes[node.id] = node
            return node

        def connect(text_or_mark: str, node: Node, port: str) -> None:
            found = ops.marks(text_or_mark)
            if len(found) != 1 or ops.mark(*found[0]) != text_or_mark:
                raise KeepWhole("passes a value that is not one tensor to a layer")
            graph.edges.append(Edge(found[0][0], found[0][1], node.id, port))

        saved = self._members, self._expressions, self._chains
        try:
            return self._scope(module, traced, scope, graph, path, root, texts, structures, renderer, labels,
                               add, connect)
        finally:
            self._members, self._expressions, self._chains = saved

    def _scope(self, module, traced, scope, graph, path, root, texts, structures, renderer, labels, add,
               connect) -> tuple[list[str], list[str]]:
        first_input: str | None = None
        last_group: dict[str, Any] = {}
        inputs: list[str] = []
        handled: set[fx.Node] = set()
        self._members = {}
        self._expressions = {}
        self._chains = {}
        for n in traced.graph.nodes:
            value = traced.values.get(n)
            where = f"{path + '.' if path else ''}{n.target if n.op == 'call_module' else n.name}"
            if n.op == "placeholder":
                name = str(n.target).lstrip("*")
                if name not in traced.inputs:
                    continue
                params: dict[str, Any] = {}
                if root:
                    params["shape"] = list(value.shape[1:])
                    dtype = DTYPE_NAMES.get(value.dtype, "float32")
                    if dtype != "float32":
                        params["dtype"] = dtype
                node = add(INPUT.type_id, name, params)
                inputs.append(node.label)
                first_input = first_input or node.id
                texts[n] = ops.mark(node.id, "out")
            elif n.op == "get_attr":
                if _is_tensor(value):
                    # in a frozen group the group's ❄ says it; the parameter itself stays trainable
                    kind, params = tensor_node(module, str(n.target), value, not root and frozen(module),
                                               self.origin.notes)
                    node = add(kind, labels.get(n, str(n.target).replace(".", "_")), params)
                    self.origin.rel[(scope, node.id)] = str(n.target)
                    texts[n] = ops.mark(node.id, "out")
                else:
                    texts[n] = ops.constant_text(value)
            elif n.op == "call_module":
                self._module_call(module, traced, n, scope, graph, path, add, connect, texts, structures,
                                  last_group, labels)
            elif n.op in ("call_function", "call_method"):
                if self._from_structure(n, texts, structures):
                    continue
                if not n.users and not in_place(n):
                    continue
                if in_place(n) and used_later(n):
                    raise KeepWhole(f"{where} changes a tensor in place that is used again")
                if _is_tensor(value) and n in handled:
                    continue
                if _is_tensor(value) and self._ensemble(n, scope, graph, texts, add, handled):
                    continue
                if _is_tensor(value):
                    self._tensor_op(n, renderer, texts, add, graph, labels, first_input)
                else:
                    texts[n] = ops.tidy(renderer.node_text(n)) if simple(value) else renderer.node_text(n)
            elif n.op == "output":
                outputs = self._outputs(n.args[0], texts, structures, add, connect, root)
                _prune(graph)
                return inputs, outputs
        return inputs, []

    def _outputs(self, result: Any, texts, structures, add, connect, root: bool) -> list[str]:
        if isinstance(result, fx.Node) and result in structures:
            result = structures[result]
        if isinstance(result, fx.Node) or isinstance(result, str):
            items: list[tuple[str, Any]] = [("y", result)]
        elif isinstance(result, (tuple, list)):
            items = [(f"y{k + 1}", r) for k, r in enumerate(result) if r is not None]
        elif isinstance(result, dict):
            items = [(str(k), r) for k, r in result.items() if r is not None]
        else:
            raise KeepWhole(f"returns a {type(result).__name__}")
        labels = []
        for label, item in items:
            text = texts.get(item) if isinstance(item, fx.Node) else item
            if text == "None":
                continue  # a field the model leaves empty (Hugging Face outputs)
            if not isinstance(text, str):
                raise KeepWhole("returns something other than tensors")
            node = add(OUTPUT.type_id, label)
            connect(text, node, "x")
            labels.append(node.label)
        return labels

    def _from_structure(self, n: fx.Node, texts, structures) -> bool:
        """`out[0]`, `out.logits` on a module's tuple/dict output: a port of that node."""
        if n.op != "call_function" or not n.args or n.args[0] not in structures:
            return False
        base = structures[n.args[0]]
        key = n.args[1]
        if n.target.__name__ == "getattr" and isinstance(base, dict):
            item = base.get(key)
        elif n.target.__name__ == "getitem":
            if isinstance(base, dict):
                item = base[key] if key in base else list(v for v in base.values() if v is not None)[key]
            else:
                item = base[key]
        else:
            return False
        if isinstance(item, str):
            texts[n] = item
        elif item is None:
            texts[n] = "None"  # `out, _ = self.attn(q, k, v)`; a model output's empty field
        else:
            self._set_outputs(n, item, texts, structures)
        return True

    def _tensor_op(self, n, renderer, texts, add, graph, labels, first_input) -> None:
        from codegen.importer.recognise import recognise

        hint = labels.get(n, n.name)
        found = recognise(n, texts)
        if found is not None:
            type_id, params, port_args = found
            params = without_defaults(type_id, params)
            if type_id in ("Add", "Multiply"):
                port_args = self._flatten_chain(type_id, port_args, graph)
            node = add(type_id, hint, params)
            self._chains[node.id] = (type_id, n)
            for port, text in port_args:
                dep = ops.marks(text)[0]
                graph.edges.append(Edge(dep[0], dep[1], node.id, port))
            texts[n] = ops.mark(node.id, "out")
            return
        text = ops.tidy(renderer.node_text(n))
        if self._template_match(n, text, add, graph, texts, hint):
            return
        deps = ops.marks(text)
        if len(deps) > 4:
            raise KeepWhole(f"{n.name} combines {len(deps)} tensors in one operation")
        if not deps:
            if first_input is None:
                raise KeepWhole(f"{n.name} makes a tensor from constants only")
            deps = [(first_input, "out")]
        names = dict(zip(deps, ("x", "y", "z", "w"), strict=False))
        expr = ops.substitute(text, names)
        type_id = "TensorExpression"
        if len(deps) <= 2:
            from codegen.catalogue.expression import EXPRESSION, parse_expression

            try:
                parse_expression(expr)
                type_id = EXPRESSION.type_id  # a plain formula stays the simple node
            except ValueError:
                pass
        node = add(type_id, hint, {"expr": expr})
        self._expressions[node.id] = (text, n)
        for dep, var in names.items():
            graph.edges.append(Edge(dep[0], dep[1], node.id, var))
        texts[n] = ops.mark(node.id, "out")

    # -- one submodule call -------------------------------------------------------------------------
    def _module_call(self, parent, traced, n, scope, graph, path, add, connect, texts, structures,
                     last_group, labels) -> None:
        call = traced.calls[n]
        sub = call.module
        target = str(n.target)
        full = f"{path}.{target}" if path else target
        label = target.replace(".", "_")
        if label.isdigit():
            label = f"{group_name_for(type(sub))}_{label}"
        tensors = [a for a in n.args if isinstance(a, fx.Node)]
        if frozen(sub) and not frozen(parent):
            plain_add = add

            def add(type_id: str, hint: str, params: dict[str, Any] | None = None) -> Node:
                return plain_add(type_id, hint, {**(params or {}), "frozen": True})

        made = catalogue_node(sub, n, call, add, label, texts, graph)
        if made is not None:
            node, outputs = made
            self.origin.rel[(scope, node.id)] = target
            self._set_outputs(n, outputs, texts, structures)
            return
        from codegen.importer.forest import import_forest
        from codegen.importer.opaque import exported_entry_name, is_library_class

        if import_forest(self, sub, n, call, scope, graph, add, connect, texts, structures, full, label):
            return
        try:
            if not list(sub.children()) and not is_library_class(type(sub)) and not _exported_group(type(sub)):
                raise KeepWhole("a layer of your own (kept as your code)")
            if exported_entry_name(type(sub)):
                raise KeepWhole("a code node of an exported project (kept as its code)")
            group, in_labels, out_labels = self.group(sub, call, full, label)
        except KeepWhole as why:
            node, ports = self.opaque(self, graph, add, sub, call, full, label, str(why))
            self.origin.rel[(scope, node.id)] = target
            for arg, port in zip(tensor_args(sub, n), ports, strict=False):
                connect(texts[arg], node, port)
            self.origin.rel[(scope, node.id)] = target
            self._set_outputs(n, opaque_outputs(node, call.output), texts, structures)
            return
        # a chain of equal blocks from one container → one node with repeat: each block's output is the
        # next one's first input, and any other input is the same value for every block (GPT-2's mask)
        container, _, index = target.rpartition(".")
        prev = last_group.get("state")
        bound = self._bound(sub, n, in_labels)
        first, side = self._chain_inputs(bound, in_labels, texts)
        if prev and index.isdigit() and prev["container"] == container and prev["group"] == group and \
                int(index) == prev["index"] + 1 and first is not None and first == prev["out"] and \
                side == prev["side"] and len(out_labels) == 1 and prev["users"] == 1:
            node = prev["node"]
            node.params["repeat"] = node.params.get("repeat", 1) + 1
            if node.params["repeat"] == 2:
                taken_label = node.label
                node.label = make_identifier(container.replace(".", "_"))
                if node.label != taken_label and any(m.label == node.label for m in graph.nodes.values()
                                                     if m is not node):
                    node.label = taken_label
            self.origin.instances[(scope, node.id)].append(target)
            prev.update(index=int(index), users=len(n.users))
            texts[n] = prev["out"]
            return
        inner = only_group(self.doc.groups[group].graph)
        if inner is not None and len(in_labels) == 1 and len(out_labels) == 1:
            # a Sequential of equal blocks: its one repeated group stands in its place
            wrapper, inner_node = group, inner
            group = inner_node.params["group"]
            node = add(GROUP.type_id, label, dict(inner_node.params))
            in_labels = [n_.label for n_ in self.doc.groups[group].graph.nodes_of_type(INPUT.type_id)]
            out_labels = [n_.label for n_ in self.doc.groups[group].graph.nodes_of_type(OUTPUT.type_id)]
            copies = self.origin.instances[(wrapper, inner_node.id)]
            self.origin.instances[(scope, node.id)] = [join(target, c) for c in copies]
            bound = {in_labels[0]: tensors[0]} if tensors else {}
        else:
            node = add(GROUP.type_id, label, {"group": group})
            self.origin.instances[(scope, node.id)] = [target]
            out_labels = self._name_outputs(group, out_labels, node.label, n, labels)
        for name in in_labels:
            if name in bound:
                connect(texts[bound[name]], node, name)
        outs = [ops.mark(node.id, o) for o in out_labels]
        self._set_outputs(n, outs[0] if len(outs) == 1 and _is_tensor(call.output) else
                          shape_like(call.output, outs), texts, structures)
        if isinstance(texts.get(n), str):
            self._members[texts[n]] = (n, node)
        last_group["state"] = {"container": container, "group": group, "index": int(index) if index.isdigit()
                               else -10, "node": node, "out": texts.get(n), "users": len(n.users),
                               "side": side}

    def _bound(self, sub: nn.Module, n: fx.Node, in_labels: list[str]) -> dict[str, Any]:
        """The group's Input labels → the values the call passes to them (forward's argument names, such as
        `input_`, map to the Input labels, such as `input`, in order)."""
        values = bind(sub, n)
        return {lab: v for lab, v in zip(in_labels, (values.get(name) for name in self._last_inputs),
                                         strict=False) if v is not None}

    @staticmethod
    def _chain_inputs(bound: dict[str, Any], in_labels: list[str], texts) -> tuple[str | None, Any]:
        """(text of the first input, texts of the others) of one block call, for recognising a chain."""
        if not in_labels or not isinstance(bound.get(in_labels[0]), fx.Node):
            return None, None
        side = tuple((lab, texts.get(bound[lab]) if isinstance(bound.get(lab), fx.Node) else repr(bound.get(lab)))
                     for lab in in_labels[1:])
        return texts.get(bound[in_labels[0]]), side

    def _set_outputs(self, n, outputs, texts, structures) -> None:
        if isinstance(outputs, str):
            texts[n] = outputs
            return
        structures[n] = outputs
        text = _tuple_text(outputs)
        if text is not None:  # `(out,) + rest`: the tuple as written
            texts[n] = text

    def group(self, sub: nn.Module, call, path: str, label: str = "") -> tuple[str, list[str], list[str]]:
        """Traces `sub` into a group definition (shared with an identical earlier one); KeepWhole if not."""
        try:
            traced = trace(sub, call.args, call.kwargs)
        except Untraceable as exc:
            raise KeepWhole(str(exc)) from None
        except ForwardFailed as exc:
            raise ImportFailed(f"{path}: raised in forward: {exc}") from None
        before = set(self.doc.groups)
        graph = Graph()
        container = type(sub).__module__ == "torch.nn.modules.container"
        base = make_identifier(label) if container and label else group_name_for(type(sub))
        scope = unique(base, self.doc.groups)
        self.doc.groups[scope] = GroupDef(scope, graph, describe(sub))
        try:
            ins, outs = self.scope(sub, traced, scope, graph, path)
        except (KeepWhole, ops.NotExpressible) as exc:
            for name in set(self.doc.groups) - before:
                del self.doc.groups[name]
            self.signatures = {k: v for k, v in self.signatures.items() if v in self.doc.groups}
            raise KeepWhole(str(exc)) from None
        if not outs:
            del self.doc.groups[scope]
            raise KeepWhole("returns nothing")
        key = (type(sub).__qualname__, signature(graph, scope, self.origin))
        if key in self.signatures:
            del self.doc.groups[scope]
            self._last_inputs = list(traced.inputs)
            return self.signatures[key], ins, outs
        self.signatures[key] = scope
        for nid, pos in layered_positions(graph).items():
            graph.nodes[nid].position = pos
        self._last_inputs = list(traced.inputs)
        return scope, ins, outs


