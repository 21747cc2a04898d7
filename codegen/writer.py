"""The emission context: what a node kind's `emit` writes into.

`ModuleWriter` holds what the whole generated module collects (the classes
written so far, helper definitions, custom code entries); `ScopeWriter` is one
class being written (its `__init__` and `forward` lines, the names it has
handed out, which variable holds which node output). A kind's emitter gets the
`ScopeWriter` and the node and adds a line or two; it never sees positional
bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from codegen.errors import CompileError
from codegen.escape import docstring
from codegen.layer import LayerDef
from codegen.libref import Imports
from codegen.naming import Namespace, attribute_namespace, claim_class, class_name
from codegen.runs import Inference, NodeFailed, NodeRun, ScopeRun, TensorInfo
from graph.document import Document, Edge, Node
from graph.params import effective_params
from graph.problems import Problem
from graph.ties import TIE, ties_of
from graph.validate import topological_order

INDENT = "    "

#: Dimension names by rank for channel-first tensors (PyTorch's own layout).
CHANNEL_FIRST = {4: ("B", "C", "H", "W"), 5: ("B", "C", "D", "H", "W")}
#: Catalogue categories whose 3-D tensors are sequences, batch first (B, T, C), or channels first (B, C, L).
SEQUENCE_CATEGORIES = frozenset({"Recurrent", "Attention", "Embedding"})
CHANNEL_CATEGORIES = frozenset({"Convolution", "Pooling"})


def shape_text(info: TensorInfo, names: tuple[str, ...] | None) -> str:
    """`(B, C=32, H=4, W=4)` when the dimensions are known, `(B, 10)` otherwise (nanoGPT's comments, with sizes)."""
    if names is None or len(names) != len(info.shape):
        return str(info)
    dims = ", ".join(str(d) if d == "B" else f"{n}={d}" for n, d in zip(names, info.shape, strict=True))
    return f"({dims})" if info.dtype == "float32" else f"({dims}) {info.dtype}"


@dataclass
class ClassText:
    name: str
    scope: str
    lines: list[str]
    #: attribute name → node id; local variable → node id (for the source map)
    attrs: dict[str, str]
    vars: dict[str, str]
    #: group node id → the class its attribute holds (for ties that reach into it)
    bodies: dict[str, str] = field(default_factory=dict)
    #: False for a class a kind writes beside the scope bodies (a forest's class), so attribute paths
    #: into groups still find each group's body class.
    body: bool = True
    #: The node that wrote each of `lines` (None: the class's own lines), for the source map.
    owners: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.owners:
            self.owners = [None] * len(self.lines)


class ScopeExtension(Protocol):
    """Lets a kind add to a body class it asks `write_scope` for (a lateral forest's members)."""

    def after(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        """Called after each node's lines are emitted."""

    def finish(self, w: ScopeWriter) -> None:
        """Called after the last node, before the forward signature and return are written."""


@dataclass
class ScopeWriter:
    """One class being written: a node kind's emitter appends to `init` and `body`."""

    module: ModuleWriter
    run: ScopeRun
    init: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    outputs: dict[tuple[str, str], str] = field(default_factory=dict)
    layouts: dict[tuple[str, str], tuple[str, ...] | None] = field(default_factory=dict)
    #: node id → edges into it (built once per scope: looking them up per node would be quadratic)
    incoming: dict[str, list[Edge]] = field(default_factory=dict)
    used_ports: set[tuple[str, str]] = field(default_factory=set)
    attr_ns: Namespace = field(default_factory=attribute_namespace)
    var_ns: Namespace = field(default_factory=Namespace)
    #: group node id → the class its attribute holds (a tie's path reaches layers through it)
    bodies: dict[str, str] = field(default_factory=dict)

    @property
    def doc(self) -> Document:
        return self.module.doc

    def attribute(self, node: Node) -> str:
        """A new `self.<name>` for the node, named after its label."""
        name = self.attr_ns.claim(node.label)
        self.attrs[name] = node.id
        return name

    def variable(self, node: Node, hint: str | None = None) -> str:
        name = self.var_ns.claim(hint or node.label)
        self.vars[name] = node.id
        return name

    def bind(self, node: Node, port: str, var: str) -> None:
        """`var` holds the node's output `port` from here on."""
        self.outputs[(node.id, port)] = var

    def is_used(self, node: Node, port: str) -> bool:
        return (node.id, port) in self.used_ports

    def node_run(self, node: Node) -> NodeRun | None:
        return self.run.nodes.get(node.id)

    def params(self, node: Node) -> dict[str, Any]:
        """The node's effective parameter values as inference resolved them (inferred sizes included).

        A node skipped by inference (untrusted code before it) gets what the
        person set over the defaults; sizes it would infer stay unknown.
        """
        run = self.node_run(node)
        if run is not None and not run.skipped:
            return run.params
        return effective_params(node, getattr(self.module.kind_of(node.type), "spec", None))

    def skipped(self, node: Node) -> bool:
        """Inference did not run this node (untrusted code comes before it)."""
        run = self.node_run(node)
        return run is not None and run.skipped

    def dimensions(self, node: Node, port: str) -> tuple[str, ...] | None:
        """Names of an output's dimensions where the layout is known: by rank, by the layer's family,
        or carried over from the input (an activation keeps its input's layout)."""
        key = (node.id, port)
        if key in self.layouts:
            return self.layouts[key]
        run = self.node_run(node)
        info = run.outputs.get(port) if run is not None else None
        names: tuple[str, ...] | None = None
        if info is not None:
            rank = len(info.shape)
            if rank in CHANNEL_FIRST:
                names = CHANNEL_FIRST[rank]
            elif rank == 3:
                layer = self.module.layers.get(node.type)
                category = layer.spec.category if layer is not None else ""
                if category in SEQUENCE_CATEGORIES:
                    names = ("B", "T", "C")
                elif category in CHANNEL_CATEGORIES:
                    names = ("B", "C", "L")
                else:
                    names = self._inherited(node, rank)
        self.layouts[key] = names
        return names

    def _inherited(self, node: Node, rank: int) -> tuple[str, ...] | None:
        g = self.doc.scope(self.run.scope)
        edges = self.incoming.get(node.id, [])
        for e in edges:
            src = g.nodes.get(e.src)
            if src is None:
                continue
            names = self.dimensions(src, e.src_port)
            if names is not None and len(names) == rank:
                return names
        if self.run.scope == "" and not edges:  # the model's sequence input: batch first (Keras)
            return ("B", "T", "C")
        return None

    def comment(self, node: Node) -> str:
        """`  # (B, C=6, H=28, W=28)` for a node with one known output."""
        run = self.node_run(node)
        if run is None or len(run.outputs) != 1:
            return ""
        port, info = next(iter(run.outputs.items()))
        return f"  # {shape_text(info, self.dimensions(node, port))}"


class ModuleWriter:
    """Everything one generated module collects while its scopes are written."""

    def __init__(self, doc: Document, layers: Mapping[str, LayerDef], inference: Inference,
                 kind_of: Callable[[str], Any]) -> None:
        self.doc = doc
        self.layers = layers
        self.inference = inference
        self.kind_of = kind_of
        self.classes: list[ClassText] = []
        self.by_name: dict[str, ClassText] = {}
        self.by_body: dict[str, str] = {}
        self.class_names = Namespace(set())
        self.support: set[str] = set()
        self.code_used: dict[str, str] = {}  # entry → class/function name
        #: library classes used by Opaque nodes (their `from … import …` lines)
        self.library = Imports(self.class_names.used)

    def write_scope(self, run: ScopeRun, hint: str, doc: str, extension: ScopeExtension | None = None) -> str:
        """Writes (or reuses) the class for one run of a scope; returns its name."""
        g = self.doc.scope(run.scope)
        w = ScopeWriter(self, run)
        incoming = w.incoming
        for e in g.edges:
            incoming.setdefault(e.dst, []).append(e)
            w.used_ports.add((e.src, e.src_port))
        order = topological_order(g)
        #: which node wrote each line of `w.init` / `w.body` (None: the scope's own lines)
        init_owners: list[str | None] = []
        body_owners: list[str | None] = []

        def owned_by(nid: str | None) -> None:
            init_owners.extend([nid] * (len(w.init) - len(init_owners)))
            body_owners.extend([nid] * (len(w.body) - len(body_owners)))

        for nid in order:
            node = g.nodes[nid]
            ins: dict[str, list[str]] = {}
            for e in incoming.get(nid, ()):
                if (e.src, e.src_port) in w.outputs:
                    ins.setdefault(e.dst_port, []).append(w.outputs[(e.src, e.src_port)])
            try:
                self.kind_of(node.type).emit(w, node, ins)
            except NodeFailed as failed:
                raise CompileError([Problem(failed.message, run.scope, node.id, label=node.label,
                                            param=failed.param, hint=failed.hint)]) from None
            if extension is not None:
                extension.after(w, node, ins)
            owned_by(nid)
        for nid in order:  # ties last: both layers exist by then
            for tie in ties_of(run.scope, g.nodes[nid]):
                try:
                    w.init.append(f"{self.parameter_path(w, (tie.node_id,), tie.param)} = "
                                  f"{self.parameter_path(w, tie.path, tie.source_param)}")
                except NodeFailed as failed:
                    node = g.nodes[nid]
                    raise CompileError([Problem(failed.message, run.scope, nid, label=node.label,
                                                param=TIE)]) from None
            owned_by(nid)
        if extension is not None:
            extension.finish(w)
        ret = ", ".join(w.returns) if w.returns else "None"
        w.body.append(f"return {ret}")
        owned_by(None)
        lines = [*docstring(doc), ""]
        owners: list[str | None] = [None] * len(lines)
        if w.init:
            lines += ["def __init__(self):", f"{INDENT}super().__init__()"]
            lines += [INDENT + s for s in w.init]
            lines.append("")
            owners += [None, None, *init_owners, None]
        lines.append(f"def forward(self, {', '.join(w.args)}):" if w.args else "def forward(self):")
        lines += [INDENT + s for s in w.body]
        owners += [None, *body_owners]
        text = "\n".join(lines)
        base = class_name(hint)
        if text in self.by_body and self.by_body[text].startswith(base):
            return self.by_body[text]
        name = claim_class(self.class_names, base)
        self.by_body[text] = name
        self.classes.append(ClassText(name, run.scope, lines, w.attrs, w.vars, w.bodies, owners=owners))
        self.by_name[name] = self.classes[-1]
        return name

    def parameter_path(self, w: ScopeWriter, path: tuple[str, ...], param: str) -> str:
        """`self.transformer.wte.weight`: the attribute path of a parameter named by node ids from `w`'s scope."""
        attrs, bodies = {nid: a for a, nid in w.attrs.items()}, w.bodies
        parts = ["self"]
        for k, nid in enumerate(path):
            if nid not in attrs:
                raise NodeFailed(f"the tie names node {nid!r}, which has no layer of its own here")
            parts.append(attrs[nid])
            if k + 1 < len(path):
                inner = self.by_name.get(bodies.get(nid, ""))
                if inner is None:
                    raise NodeFailed(f"the tie reaches through node {nid!r}, which holds no group")
                attrs, bodies = {n: a for a, n in inner.attrs.items()}, inner.bodies
        text = ".".join(parts)
        for piece in param.split(".") if param else ():
            text += f"[{piece}]" if piece.isdigit() else f".{piece}"
        return text
