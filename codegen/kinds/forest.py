"""A Forest in the compiler: its shapes, its hand-off problems, and a class with `grow()`.

The forest becomes one class of its own next to the member group's class:

    class Forest(nn.Module):
        def __init__(self):            # N members (+ lateral adapters, + mixing weights)
        def forward(self, x):          # every member, then combine()
        def combine(self, outs, members=None):
        def grow(self):                # one more member, seeded by the hand-off rule

`grow()` is what a growth hook calls during training, in the app and in an
exported train.py alike; the grown model is then recorded as a revision of the
project (`runtime.revisions`), whose code builds exactly the grown model.
Hand-off problems (a layer that does not exist, more units than the layer has,
lateral shapes that cannot be joined) are found here by shape inference, so
they are problems on the Forest node before training starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from codegen.escape import docstring
from codegen.kinds.base import CompilerKind
from codegen.kinds.layer import NAMESPACE
from codegen.naming import claim_class, class_name
from codegen.render import constructor_call, literal
from codegen.runs import NodeFailed, ScopeRun, TensorInfo
from codegen.shapes import InferCall
from codegen.writer import INDENT, ClassText, ScopeWriter
from graph.document import Node
from graph.kinds import kind_of
from graph.kinds.forest import FOREST, ForestKind

COMBINE_SHORT = {"mean": "Mean of the outputs", "boosting": "Sum of the outputs",
                 "learned": "Softmax(mix)-weighted sum"}
SELECT_DOC = {"norm": "the largest weight norm", "first": "the first ones", "random": "chosen at random"}
COMBINE_DOC = {"mean": "the mean of the members' outputs", "boosting": "the sum of the members' outputs (boosting)",
               "learned": "the members' outputs weighted by a softmax over learned mixing weights"}


@dataclass(frozen=True)
class Lateral:
    """How older members' activations reach a newcomer's layer: one adapter per older member."""

    layer_node: str  # node id of the hand-off layer in the member group
    adapter: str  # constructor text, e.g. nn.Linear(8, 1, bias=False)


def _adapter(tap: TensorInfo, out: TensorInfo, conv: bool) -> str | None:
    complex_ = tap.dtype.startswith("complex") or out.dtype.startswith("complex")
    dtype = f", dtype=torch.{out.dtype}" if complex_ else ""
    if conv and len(tap.shape) == len(out.shape) >= 3 and tap.shape[2:] == out.shape[2:]:
        dims = len(tap.shape) - 2
        if dims <= 3:
            return f"nn.Conv{dims}d({tap.shape[1]}, {out.shape[1]}, 1, bias=False{dtype})"
        return None
    if len(tap.shape) == len(out.shape) >= 2 and tap.shape[:-1] == out.shape[:-1]:
        return f"nn.Linear({tap.shape[-1]}, {out.shape[-1]}, bias=False{dtype})"
    return None


class Forest(ForestKind, CompilerKind):
    # -- inference ---------------------------------------------------------------------
    def infer(self, call: InferCall) -> dict[str, Any]:
        node, runner = call.node, call.runner
        name = node.params.get("group", "")
        if len(call.ins) != 1:
            raise NodeFailed("a forest takes exactly one input")
        (port, (x,)), = call.ins.items()
        body, out = runner.run_member(call, name, {port: x}, "a forest's member group")
        params = {
            "group": name, "members": self.members(node), "combine": self.combine(node),
            "handoff": self.handoff(node), "layer": node.params.get("layer", ""),
            "units": node.params.get("units", 4), "select": node.params.get("select", "norm"),
            "freeze_old": self.freezes_old(node), "frozen_members": self.frozen_members(node),
            "seeded_from": self.seeded_from(node), "frozen": bool(node.params.get("frozen", False)),
        }
        if params["handoff"] == "copy":
            self._check_copy(call, body, params)
        elif params["handoff"] == "lateral":
            params["lateral"] = self._lateral(call, body, params["layer"])
        call.run.params = params
        return {"out": out.clone()}

    def _layer_node(self, call: InferCall, label: str) -> Node:
        group = call.runner.doc.groups[call.node.params["group"]]
        layer = self.handoff_layer(group, label)
        if layer is None:  # the document check reports it too; inference must not go on
            raise NodeFailed(f"hand-off layer {label!r} does not exist in group {group.name!r}", param="layer")
        return layer

    def _check_copy(self, call: InferCall, body: ScopeRun, params: dict[str, Any]) -> None:
        layer = self._layer_node(call, params["layer"])
        definition = call.runner.layers.get(layer.type)
        run = body.nodes.get(layer.id)
        module = None
        if definition is not None and definition.module is not None and run is not None:
            namespace = {**NAMESPACE, **call.runner.support}
            with torch.device("meta"):
                module = eval(constructor_call(definition, run.params), namespace)  # noqa: S307 - catalogue text
        weight = getattr(module, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.dim() == 0:
            raise NodeFailed(f"hand-off layer {layer.label!r} ({layer.type}) has no weights to copy", param="layer",
                             hint="name a layer with weights (Linear, Conv, ...), or use the fresh hand-off")
        rows = int(weight.shape[0])
        if params["units"] > rows:
            raise NodeFailed(f"the copy hand-off takes {params['units']} units of {layer.label!r}, which has "
                             f"only {rows}", param="units", hint=f"at most {rows}")
        params["rows"] = rows

    def _lateral(self, call: InferCall, body: ScopeRun, label: str) -> Lateral:
        layer = self._layer_node(call, label)
        g = call.runner.doc.groups[call.node.params["group"]].graph
        into = [e for e in g.edges if e.dst == layer.id]
        if len(into) != 1:
            raise NodeFailed(f"lateral connections need {label!r} to have one input, it has {len(into)}",
                             param="layer")
        source = body.nodes.get(into[0].src)
        tap = source.outputs.get(into[0].src_port) if source is not None else None
        run = body.nodes.get(layer.id)
        out = next(iter(run.outputs.values()), None) if run is not None else None
        if source is None or tap is None or out is None or kind_of(source.type).is_boundary:
            raise NodeFailed(f"lateral connections into {label!r} need a hidden activation feeding it, not the "
                             "member's input", param="layer", hint="name a later layer")
        definition = call.runner.layers.get(layer.type)
        conv = definition is not None and str(definition.module or "").startswith("nn.Conv")
        adapter = _adapter(tap, out, conv)
        if adapter is None:
            raise NodeFailed(f"lateral connections cannot join the older members' {source.label!r} {tap} into "
                             f"{label!r} {out}: incompatible shapes", param="layer",
                             hint="choose a layer whose input and output differ only in features")
        return Lateral(layer.id, adapter)

    # -- code --------------------------------------------------------------------------
    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        copies = w.run.children.get(node.id) or []
        if not copies:
            raise NodeFailed("this forest could not be inferred")
        p = w.params(node)
        name = p["group"]
        description = w.doc.groups[name].description.strip()
        member_doc = description.splitlines()[0] if description else f"One member of the {node.label} forest."
        lateral: Lateral | None = p.get("lateral")
        extension = _LateralMember(lateral) if lateral is not None else None
        member = w.module.write_scope(copies[0], name, member_doc, extension)
        cls = claim_class(w.module.class_names, class_name(node.label, "Forest"))
        layer_attr = _attribute(w, member, p["layer"], copies[0]) if p["handoff"] != "fresh" else ""
        lines = _forest_class(node, p, member, layer_attr, lateral)
        own = lines.index("")  # the forest's class is all this node's code, bar its docstring
        w.module.classes.append(ClassText(cls, w.run.scope, lines, {"members": node.id}, {}, body=False,
                                          owners=[None] * own + [node.id] * (len(lines) - own)))
        if p["handoff"] == "copy":
            w.module.support.add("copy_units")
        attr = w.attribute(node)
        w.init.append(f"self.{attr} = {cls}()")
        if p["frozen"]:
            w.init.append(f"self.{attr}.requires_grad_(False)")
        var = w.variable(node)
        w.bind(node, "out", var)
        w.body.append(f"{var} = self.{attr}({next(iter(ins.values()))[0]}){w.comment(node)}")

    def body_prefix(self, node: Node, path: str) -> str | None:
        return f"{path}.members.0."

    def instance_path(self, path: str, k: int, copies: int) -> str:
        return f"{path}.members.{k}"


def _attribute(w: ScopeWriter, member_class: str, label: str, body: ScopeRun) -> str:
    """The attribute name the member class gave the hand-off layer."""
    cls = next(c for c in w.module.classes if c.name == member_class)
    layer = next((nid for nid, run in body.nodes.items() if run.label == label), None)
    for attr, nid in cls.attrs.items():
        if nid == layer:
            return attr
    raise NodeFailed(f"hand-off layer {label!r} is not a module of the member (a function call has no weights)",
                     param="layer")


class _LateralMember:
    """Writes the member class of a lateral forest: the hand-off layer's output gets the older members'
    activations (passed in as `lateral`), and forward also returns this member's own activation."""

    def __init__(self, lateral: Lateral) -> None:
        self.lateral = lateral
        self.tap = ""

    def after(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        if node.id != self.lateral.layer_node:
            return
        self.tap = next(iter(ins.values()))[0]
        for var in dict.fromkeys(v for (nid, _), v in w.outputs.items() if nid == node.id):
            w.body.append("# older members' activations, through the forest's adapters")
            w.body.append("if lateral is not None:")
            w.body.append(f"{INDENT}{var} = {var} + lateral")

    def finish(self, w: ScopeWriter) -> None:
        w.args.append("lateral=None")
        w.returns.append(self.tap)


def _forest_class(node: Node, p: dict[str, Any], member: str, layer_attr: str, lateral: Lateral | None) -> list[str]:
    n, combine, handoff = p["members"], p["combine"], p["handoff"]
    rule = {"fresh": "newcomers start fresh",
            "copy": f"a newcomer's {p['layer']} layer starts from {p['units']} units of the newest member's "
                    f"({SELECT_DOC.get(p['select'], p['select'])})",
            "lateral": f"a newcomer's {p['layer']} layer also receives every older member's input to it "
                       "(progressive nets, Rusu et al. 2016)"}[handoff]
    history = [f"member {k} was seeded from member {s}" for k, s in enumerate(p["seeded_from"]) if s >= 0]
    text = f"A forest of {n} {member} nets: {COMBINE_DOC[combine]}. When it grows, {rule}."
    if history:
        text += " Grown during training: " + ", ".join(history) + "."
    if p["frozen_members"]:
        text += f" Frozen: members {', '.join(map(str, p['frozen_members']))}."
    lines = [*docstring(text), "", "def __init__(self):", f"{INDENT}super().__init__()",
             f"{INDENT}self.members = nn.ModuleList([{member}() for _ in range({n})])"]
    if lateral is not None:
        lines.append(f"{INDENT}self.lateral = nn.ModuleList([self.adapters(k) for k in range({n})])")
    if combine == "learned":
        lines.append(f"{INDENT}self.mix = nn.ParameterList([nn.Parameter(torch.zeros(())) for _ in range({n})])")
    if p["frozen_members"]:
        lines.append(f"{INDENT}for k in {literal(list(p['frozen_members']))}:  # trained before newer members joined")
        lines.append(f"{INDENT * 2}self.members[k].requires_grad_(False)")
        if lateral is not None:
            lines.append(f"{INDENT * 2}self.lateral[k].requires_grad_(False)")
    lines.append("")
    if lateral is not None:
        lines += ["@staticmethod", "def adapters(older):",
                  f"{INDENT}\"\"\"One adapter per older member: its activation into the newcomer's layer.\"\"\"",
                  f"{INDENT}return nn.ModuleList([{lateral.adapter} for _ in range(older)])", ""]
        lines += ["def forward(self, x):", f"{INDENT}outs, taps = [], []",
                  f"{INDENT}for member, adapters in zip(self.members, self.lateral, strict=True):",
                  f"{INDENT * 2}pairs = zip(adapters, taps, strict=True)",
                  f"{INDENT * 2}extra = sum(adapter(tap) for adapter, tap in pairs) if taps else None",
                  f"{INDENT * 2}out, tap = member(x, extra)",
                  f"{INDENT * 2}outs.append(out)", f"{INDENT * 2}taps.append(tap)",
                  f"{INDENT}return self.combine(outs)", ""]
    else:
        lines += ["def forward(self, x):", f"{INDENT}return self.combine([member(x) for member in self.members])", ""]
    lines += ["def combine(self, outs, members=None):",
              f"{INDENT}\"\"\"{COMBINE_SHORT[combine]}; `members`: indices if some are left out.\"\"\""]
    if combine == "learned":
        lines += [f"{INDENT}index = range(len(outs)) if members is None else members",
                  f"{INDENT}weights = torch.stack([self.mix[k] for k in index]).softmax(0)",
                  f"{INDENT}return torch.einsum(\"m,m...->...\", weights, torch.stack(outs))", ""]
    else:
        lines += [f"{INDENT}return torch.stack(outs).{'sum' if combine == 'boosting' else 'mean'}(0)", ""]
    lines += _grow(p, member, layer_attr, lateral)
    return lines


def _grow(p: dict[str, Any], member: str, layer_attr: str, lateral: Lateral | None) -> list[str]:
    rule = {"fresh": "The newcomer starts fresh.",
            "copy": f"The newcomer's {p['layer']} layer starts from {p['units']} units of the newest member's.",
            "lateral": "The newcomer gets adapters from every older member."}[p["handoff"]]
    freeze = " Older members stop training." if p["freeze_old"] else ""
    doc = docstring(f"Adds a member; returns its parameters for the optimizer. {rule}{freeze}")
    lines = ["def grow(self):", *(INDENT + line for line in doc),
             f"{INDENT}device = next(self.parameters()).device",
             f"{INDENT}newcomer = {member}().to(device)", f"{INDENT}new = [newcomer]"]
    if p["handoff"] == "copy":
        lines.append(f"{INDENT}copy_units(self.members[-1].{layer_attr}, newcomer.{layer_attr}, {p['units']}, "
                     f"{literal(p['select'])})")
    if p["freeze_old"]:
        lines.append(f"{INDENT}self.members.requires_grad_(False)")
        if lateral is not None:
            lines.append(f"{INDENT}self.lateral.requires_grad_(False)")
    if lateral is not None:
        lines += [f"{INDENT}adapters = self.adapters(len(self.members)).to(device)",
                  f"{INDENT}self.lateral.append(adapters)", f"{INDENT}new.append(adapters)"]
    lines.append(f"{INDENT}self.members.append(newcomer)")
    params = "[p for module in new for p in module.parameters()]"
    if p["combine"] == "learned":
        lines += [f"{INDENT}weight = nn.Parameter(torch.zeros((), device=device))", f"{INDENT}self.mix.append(weight)",
                  f"{INDENT}return {params} + [weight]"]
    else:
        lines.append(f"{INDENT}return {params}")
    return lines


FOREST_KIND = Forest(FOREST.spec)
