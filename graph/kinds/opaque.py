"""An Opaque node: a module from an installed library, kept whole and referenced by its import path.

Import makes one when a library module's forward cannot be a graph (a
Hugging Face model's mask building, say). The node stores the class as an
import path (`transformers.models.gpt2.modeling_gpt2.GPT2Model`), its
constructor arguments as JSON and the names of forward's tensor arguments
(its input ports). Its weights come with the project's weights.

Trust: the node holds no project code. Its class and every reference in its
arguments must live in an allowed library (`LIBRARIES`); writing the node
into source is an import of that installed library, like `import torch`, so
it needs no trust act. A reference anywhere else is refused here, before
anything is imported.
"""

from __future__ import annotations

import json
import keyword
import re
from typing import Any

from graph.document import Document, Node
from graph.kinds.base import Drawing, NodeKind
from graph.problems import Problem
from graph.spec import NodeSpec, ParamSpec, PortSpec

#: Top-level packages an Opaque node may reference (installed model libraries).
LIBRARIES = frozenset({"torch", "torchvision", "torchaudio", "timm", "transformers"})
#: References outside those packages that arguments may use.
EXTRA_REFERENCES = frozenset({"functools.partial"})
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def reference_problem(path: Any) -> str | None:
    """None if `path` is an import path an Opaque node may use, else why not."""
    if not isinstance(path, str) or not _DOTTED.fullmatch(path):
        return f"{path!r} is not an import path such as torchvision.models.resnet.BasicBlock"
    if any(part.startswith("__") for part in path.split(".")):
        return f"{path!r}: dunder names are not allowed"
    if path.split(".")[0] not in LIBRARIES and path not in EXTRA_REFERENCES:
        return f"{path!r} is not in an allowed library ({', '.join(sorted(LIBRARIES))})"
    return None


def references(value: Any) -> list[str]:
    """Every `$ref` / `$call` path in an encoded argument value."""
    found: list[str] = []
    if isinstance(value, dict):
        for key in ("$ref", "$call"):
            if key in value:
                found.append(value[key])
        for v in value.values():
            found += references(v)
    elif isinstance(value, list):
        for v in value:
            found += references(v)
    return found


def keyword_names(value: Any) -> list[Any]:
    """Every keyword-argument name in encoded arguments (top level and each `$call`)."""
    found: list[Any] = []
    if isinstance(value, dict):
        kwargs = value.get("kwargs")
        if isinstance(kwargs, dict):
            found += list(kwargs)
        for v in value.values():
            found += keyword_names(v)
    elif isinstance(value, list):
        for v in value:
            found += keyword_names(v)
    return found


class OpaqueKind(NodeKind):
    #: Counted as "opaque" in import summaries.
    is_opaque = True
    in_palette = False  # made by import

    def target(self, node: Node) -> str:
        value = node.params.get("target", "")
        return value if isinstance(value, str) else ""

    def arguments(self, node: Node) -> dict[str, Any]:
        """{"args": [...], "kwargs": {...}} decoded from the node's JSON (empty when unreadable)."""
        try:
            value = json.loads(node.params.get("args", "") or "{}")
        except (TypeError, json.JSONDecodeError):
            return {}
        return value if isinstance(value, dict) else {}

    def input_names(self, node: Node) -> list[str]:
        text = node.params.get("inputs", "")
        names = [n.strip() for n in text.split(",")] if isinstance(text, str) else []
        return [n for n in names if n.isidentifier()]

    def input_ports(self, doc: Document, node: Node) -> tuple[PortSpec, ...]:
        return tuple(PortSpec(name) for name in self.input_names(node))

    def check(self, doc: Document, scope: str, node: Node) -> list[Problem]:
        problems = super().check(doc, scope, node)
        problem = reference_problem(self.target(node))
        if problem:
            problems.append(Problem(problem, scope, node.id, param="target", label=node.label))
        try:
            args = json.loads(node.params.get("args", "") or "{}")
        except (TypeError, json.JSONDecodeError) as exc:
            return [*problems, Problem(f"constructor arguments are not JSON ({exc})", scope, node.id,
                                       param="args", label=node.label)]
        if not isinstance(args, dict) or set(args) - {"args", "kwargs"}:
            problems.append(Problem('constructor arguments must be {"args": [...], "kwargs": {...}}', scope,
                                    node.id, param="args", label=node.label))
        for key in keyword_names(args):
            if not key.isidentifier() or keyword.iskeyword(key):
                problems.append(Problem(f"keyword argument {key!r}"[:120] + " is not a Python name", scope, node.id,
                                        param="args", label=node.label))
        for ref in references(args):
            problem = reference_problem(ref)
            if problem:
                problems.append(Problem(problem, scope, node.id, param="args", label=node.label))
        if not self.input_names(node):
            problems.append(Problem("an opaque module needs at least one input name", scope, node.id,
                                    param="inputs", label=node.label))
        return problems

    def drawing(self, node: Node) -> Drawing:
        return Drawing(self.target(node).rsplit(".", 1)[-1] + " (library)")


OPAQUE = OpaqueKind(NodeSpec(
    type_id="Opaque",
    category="Custom",
    params=(
        ParamSpec("target", "string", default="", help="Import path of the module's class, e.g. "
                  "torchvision.models.resnet.BasicBlock."),
        ParamSpec("args", "string", default="", help="Constructor arguments as JSON: "
                  '{"args": [...], "kwargs": {...}}; classes and configs as {"$ref": path} / {"$call": path}.'),
        ParamSpec("inputs", "string", default="x", help="Names of forward's tensor arguments, comma-separated."),
    ),
    doc="A module from an installed library kept whole (its forward is not a graph): the class by import path, "
        "its constructor arguments, and its weights.",
    target="library class",
    dynamic_ports=True,
))
