"""Sub-network kinds in the compiler: a Group instance and an Ensemble of copies.

A group becomes its own class (one per distinct inferred variant); an instance
is an attribute, `repeat > 1` an `nn.ModuleList` and a loop. An Ensemble is an
`nn.ModuleList` of independently initialised copies combined by one rule,
written once here (`COMBINE`) and used twice: as text in the generated forward
and, evaluated on meta tensors, by shape inference.
"""

from __future__ import annotations

from typing import Any

import torch

from codegen.escape import first_line
from codegen.kinds.base import CompilerKind
from codegen.runs import NodeFailed, ScopeRun, tensor_info
from codegen.shapes import InferCall
from codegen.writer import INDENT, ScopeWriter
from graph import kinds
from graph.document import Node
from graph.kinds import inputs_of, outputs_of

#: How an ensemble combines its members: `{each}` is a comprehension over the members' outputs.
COMBINE = {
    "mean": "torch.stack([{each}]).mean(0)",
    "sum": "torch.stack([{each}]).sum(0)",
    "concat": "torch.cat([{each}], dim=-1)",
    # soft voting: log of the mean probability, still a valid logit for cross-entropy
    "vote": "torch.stack([{each}]).mean(0).log()",
}
#: What each member's output becomes before combining (`{out}`: the member's output).
MEMBER = {"vote": "{out}.softmax(-1)"}
#: Feature bagging: member k gets the k-th equal slice of the last dimension.
BAGGING = "{x}.chunk({members}, dim=-1)"


def combine_expr(combine: str, out: str, loop: str) -> str:
    if combine not in COMBINE:
        raise NodeFailed(f"combine must be one of {', '.join(COMBINE)}, got {combine!r}", param="combine")
    each = MEMBER.get(combine, "{out}").format(out=out) + f" {loop}"
    return COMBINE[combine].format(each=each)


def _doc_line(w: ScopeWriter, name: str, default: str) -> str:
    return first_line(w.doc.groups[name].description) or default


class Group(kinds.GroupKind, CompilerKind):
    def infer(self, call: InferCall) -> dict[str, Any]:
        node, runner = call.node, call.runner
        name = node.params.get("group", "")
        repeat = self.repeat(node)
        call.run.params = {"group": name, "repeat": repeat, "frozen": bool(node.params.get("frozen", False))}
        current = {port: v[0] for port, v in call.ins.items()}
        copies: list[ScopeRun] = []
        produced: dict[str, Any] = {}
        try:
            for k in range(repeat):
                body, produced = runner.run_body(name, current)
                copies.append(body)
                failure = runner.body_failure(name, body)
                if failure is not None:
                    raise failure
                if k + 1 < repeat and len(produced) != 1:
                    # the output is unknown (untrusted code inside): the other copies are the same text
                    copies += [body] * (repeat - k - 1)
                    break
                if k + 1 < repeat:
                    # the output feeds the next copy's first Input; the other inputs go to every copy
                    in_label, (out_label,) = _chained_input(runner.doc, name), produced.keys()
                    before, after = tensor_info(current.get(in_label)), tensor_info(produced[out_label])
                    if before != after:
                        raise NodeFailed(f"repeat {repeat} needs the group's output to have its first input's "
                                         f"shape, but {before} becomes {after}", param="repeat")
                    current = {**current, in_label: produced[out_label]}
        finally:
            call.parent.children[node.id] = copies
        return produced

    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        repeat = node.params.get("repeat", 1)
        copies = w.run.children.get(node.id) or _unknown_bodies(w, node, repeat if isinstance(repeat, int) else 1)
        if not copies:
            raise NodeFailed("this group could not be inferred")
        name = node.params["group"]
        doc_line = _doc_line(w, name, f"The {name} block.")
        class_names = {w.module.write_scope(c, name, doc_line) for c in copies}
        if len(class_names) > 1:
            raise NodeFailed("repeated copies of this group get different layer sizes; make the group keep "
                             "its input shape", param="repeat")
        cls = class_names.pop()
        attr = w.attribute(node)
        w.bodies[node.id] = cls
        repeat = len(copies)
        if repeat > 1:
            w.init.append(f"self.{attr} = nn.ModuleList([{cls}() for _ in range({repeat})])")
        else:
            w.init.append(f"self.{attr} = {cls}()")
        if node.params.get("frozen", False):
            w.init.append(f"self.{attr}.requires_grad_(False)")
        body = w.doc.groups[name].graph
        in_labels = [n.label for n in inputs_of(body)]
        out_labels = [n.label for n in outputs_of(body)]
        args = ", ".join(ins[p][0] for p in in_labels if p in ins)
        if len(out_labels) == 1:
            var = w.variable(node)
            w.bind(node, out_labels[0], var)
            if repeat > 1:
                # the first input is chained through the copies, the others are passed to each one
                first, *rest = [ins[p][0] for p in in_labels if p in ins] or ["None"]
                w.body.append(f"{var} = {first}")
                w.body.append(f"for block in self.{attr}:")
                w.body.append(f"{INDENT}{var} = block({', '.join([var, *rest])}){w.comment(node)}")
            else:
                w.body.append(f"{var} = self.{attr}({args}){w.comment(node)}")
            return
        targets = []
        for label in out_labels:
            if w.is_used(node, label):
                var = w.variable(node, f"{node.label}_{label}")
                w.bind(node, label, var)
                targets.append(var)
            else:
                targets.append("_")
        w.body.append(f"{', '.join(targets) or '_'} = self.{attr}({args})")

    def body_prefix(self, node: Node, path: str) -> str | None:
        return f"{path}.0." if self.repeat(node) > 1 else f"{path}."


class Ensemble(kinds.EnsembleKind, CompilerKind):
    def infer(self, call: InferCall) -> dict[str, Any]:
        node, runner = call.node, call.runner
        name = node.params.get("group", "")
        members = node.params.get("members", 3)
        members = members if isinstance(members, int) and not isinstance(members, bool) and members >= 1 else 1
        combine = node.params.get("combine", "mean")
        bagging = bool(node.params.get("bagging", False))
        call.run.params = {"group": name, "members": members, "combine": combine, "bagging": bagging,
                           "frozen": bool(node.params.get("frozen", False))}
        if len(call.ins) != 1:
            raise NodeFailed("an ensemble takes exactly one input")
        (port, (x,)), = call.ins.items()
        if bagging:
            width = x.shape[-1]
            parts = eval(BAGGING.format(x="x", members=members), {"x": x})  # noqa: S307 - our template
            if width % members or len(parts) != members:
                raise NodeFailed(f"bagging splits the last dimension ({width}) into {members} equal slices",
                                 param="members", hint=f"choose a member count that divides {width}")
            x = parts[0]
        _, out = runner.run_member(call, name, {port: x}, "an ensemble's group")
        outs = [out] * members
        return {"out": eval(combine_expr(combine, "y", "for y in outs"), {"torch": torch, "outs": outs})}  # noqa: S307

    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        copies = w.run.children.get(node.id) or _unknown_bodies(w, node, 1)
        name = node.params["group"]
        cls = w.module.write_scope(copies[0], name, _doc_line(w, name, f"One member of the {node.label} ensemble."))
        attr = w.attribute(node)
        p = w.params(node)
        w.init.append(f"self.{attr} = nn.ModuleList([{cls}() for _ in range({p['members']})])")
        if p["frozen"]:
            w.init.append(f"self.{attr}.requires_grad_(False)")
        x = next(iter(ins.values()))[0]
        if p["bagging"]:
            parts = BAGGING.format(x=x, members=p["members"])
            expr = combine_expr(p["combine"], "member(part)",
                                f"for member, part in zip(self.{attr}, {parts}, strict=True)")
        else:
            expr = combine_expr(p["combine"], f"member({x})", f"for member in self.{attr}")
        var = w.variable(node)
        w.bind(node, "out", var)
        w.body.append(f"{var} = {expr}{w.comment(node)}")

    def body_prefix(self, node: Node, path: str) -> str | None:
        return f"{path}.0."


def _chained_input(doc, name: str) -> str | None:
    """The Input label a repeated group's output is fed back into (its first Input)."""
    group = doc.groups.get(name)
    labels = [n.label for n in inputs_of(group.graph)] if group is not None else []
    return labels[0] if labels else None


def _unknown_bodies(w: ScopeWriter, node: Node, count: int) -> list[ScopeRun]:
    """A group skipped by inference (untrusted code before it): its body, written without shapes."""
    return [ScopeRun(node.params.get("group", ""))] * max(1, count) if w.skipped(node) else []


GROUP = Group(kinds.GROUP.spec)
ENSEMBLE = Ensemble(kinds.ENSEMBLE.spec)
