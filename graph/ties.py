"""Weight tying: one parameter shared by two layers (GPT's token embedding and its head).

A tie is the `tie` parameter of the node whose parameter is replaced, naming
where the shared one lives, by node ids from the node's own scope down:

    "tie": {"weight": {"node": ["n3", "n17"], "param": "weight"}}

The compiler writes it in that scope's `__init__`, after every layer is built,
as a PyTorch person would: `self.lm_head.weight = self.transformer.wte.weight`.
The path may pass through Group nodes that hold one copy of their group (a
repeated group or an ensemble has several, so "the" layer inside is ambiguous).
Node ids, not labels, so renaming a layer keeps the tie. A tie inside a group
holds in every instance of that group, as the line in its class would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.document import Document, Node
from graph.kinds import kind_of
from graph.problems import Problem

#: The node parameter that holds a node's ties.
TIE = "tie"


@dataclass(frozen=True)
class Tie:
    """`param` of node `node_id` (in `scope`) is the parameter `source_param` of the node at `path`."""

    scope: str
    node_id: str
    param: str
    #: node ids from `scope` down to the node that owns the shared parameter (groups first)
    path: tuple[str, ...]
    source_param: str


def tie_value(path: list[str] | tuple[str, ...], param: str) -> dict[str, Any]:
    """One entry of a `tie` parameter, as the project file holds it."""
    return {"node": list(path), "param": param}


def _dotted(name: Any, allow_empty: bool = False) -> bool:
    if not isinstance(name, str):
        return False
    if name == "":
        return allow_empty
    return all(part.isidentifier() or part.isdigit() for part in name.split("."))


def ties_of(scope: str, node: Node) -> list[Tie]:
    """The node's well-formed ties (`tie_problems` reports the others)."""
    value = node.params.get(TIE)
    if not isinstance(value, dict):
        return []
    out = []
    for param, source in value.items():
        if not _dotted(param) or not isinstance(source, dict) or set(source) != {"node", "param"}:
            continue
        path, source_param = source["node"], source["param"]
        if isinstance(path, list) and path and all(isinstance(p, str) for p in path) and \
                _dotted(source_param, allow_empty=True):
            out.append(Tie(scope, node.id, param, tuple(path), source_param))
    return out


def resolve(doc: Document, scope: str, path: tuple[str, ...]) -> tuple[list[tuple[str, Node]], str | None]:
    """(scope, node) for each step of `path`, and why it stops early (None when it resolves)."""
    steps: list[tuple[str, Node]] = []
    current = scope
    for k, nid in enumerate(path):
        graph = doc.scope(current)
        node = graph.nodes.get(nid)
        if node is None:
            where = "this scope" if k == 0 else f"group {current!r}"
            return steps, f"node {nid!r} is not in {where}"
        steps.append((current, node))
        if k + 1 < len(path):
            inner = kind_of(node.type).tie_through(node)
            if inner is None or inner not in doc.groups:
                return steps, f"{node.label} is not a group holding one copy (a tie cannot reach into a " \
                              "repeated group, an ensemble or a layer)"
            current = inner
    return steps, None


def source_text(doc: Document, tie: Tie) -> str:
    """`transformer.wte.weight`: the shared parameter by the labels a person sees."""
    steps, _ = resolve(doc, tie.scope, tie.path)
    names = [node.label for _, node in steps] or list(tie.path)
    return ".".join([*names, tie.source_param] if tie.source_param else names)


def tie_problems(doc: Document, scope: str, node: Node) -> list[Problem]:
    """What is wrong with the node's `tie` parameter (none when it has none)."""
    if TIE not in node.params:
        return []
    value = node.params[TIE]

    def problem(message: str) -> Problem:
        return Problem(message, scope, node.id, param=TIE, label=node.label,
                       hint='a tie looks like {"weight": {"node": ["n3"], "param": "weight"}}')

    if not isinstance(value, dict) or not value:
        return [problem("expected a mapping of this layer's parameter names to the parameters they share")]
    problems = []
    for param, source in value.items():
        if not _dotted(param):
            problems.append(problem(f"{param!r} is not a parameter name"))
            continue
        if not isinstance(source, dict) or set(source) != {"node", "param"} or not isinstance(source["node"], list) \
                or not source["node"] or not all(isinstance(p, str) for p in source["node"]) \
                or not _dotted(source["param"], allow_empty=True):
            problems.append(problem(f"{param}: expected {{\"node\": [node ids], \"param\": name}}, got {source!r}"))
            continue
    if problems:
        return problems
    if kind_of(node.type).subnetwork(node) is not None or not kind_of(node.type).has_weights:
        return [problem(f"{node.label} holds no parameters of its own to tie")]
    for tie in ties_of(scope, node):
        steps, why = resolve(doc, scope, tie.path)
        if why is not None:
            problems.append(problem(f"{tie.param}: {why}"))
            continue
        owner = steps[-1][1]
        if kind_of(owner.type).subnetwork(owner) is not None or not kind_of(owner.type).has_weights:
            problems.append(problem(f"{tie.param}: {owner.label} holds no parameters of its own"))
        elif tie.path == (node.id,) and tie.source_param == tie.param:
            problems.append(problem(f"{tie.param} is tied to itself"))
    return problems
