"""A Forest: nets (instances of one group) that hand parts of their layers to newly initialised nets.

The node says how the forest is combined and how a newcomer is seeded when a
growth hook adds one during training (the *hand-off rule*):

* ``copy``: the newcomer's `layer` starts from `units` units (neurons, or
  filters) of the newest member's same layer, chosen by weight norm, the
  first ones, or at random; the rest of the newcomer is fresh;
* ``lateral``: progressive networks (Rusu et al. 2016): the newcomer's
  `layer` also receives the older members' hidden activations (their input
  to that layer) through adapters, and older members are frozen;
* ``fresh``: the baseline, nothing is handed over.

Combination: the mean, learned weights (a softmax over one number per
member), or boosting (the sum; each newcomer joins a frozen forest and so
fits what the forest so far gets wrong, its residual).

The node also records what growth did, so a run's revision describes the
grown model exactly: how many members there are, which were frozen, and which
member each one was seeded from. The compiler side (shapes, code, `grow()`)
is `codegen.kinds.forest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.document import Document, GroupDef, Node
from graph.kinds.base import Drawing
from graph.kinds.boundary import INPUT, OUTPUT
from graph.kinds.subnet import EnsembleKind
from graph.problems import Problem
from graph.spec import NodeSpec, ParamSpec

HANDOFFS = ("copy", "lateral", "fresh")
COMBINES = ("mean", "learned", "boosting")
SELECTS = ("norm", "first", "random")
#: The parameters growth writes (`ForestKind.grown`): a run's revision and a checkpoint record these.
GROWTH_PARAMS = ("members", "frozen_members", "seeded_from")


@dataclass(frozen=True)
class MemberMark:
    """One member as the canvas draws it: frozen or training, and where its start came from."""

    index: int
    frozen: bool
    seeded_from: int  # -1: fresh


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _ints(value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool)] \
        if isinstance(value, (list, tuple)) else []


class ForestKind(EnsembleKind):
    in_palette = True  # a forest starts from the palette; pick its member group in the inspector

    # -- what the parameters say -------------------------------------------------------
    def members(self, node: Node) -> int:
        return max(1, _int(node.params.get("members", 2), 2))

    def handoff(self, node: Node) -> str:
        value = node.params.get("handoff", "copy")
        return value if value in HANDOFFS else "copy"

    def combine(self, node: Node) -> str:
        value = node.params.get("combine", "mean")
        return value if value in COMBINES else "mean"

    def frozen_members(self, node: Node) -> list[int]:
        return sorted(set(_ints(node.params.get("frozen_members", []))))

    def seeded_from(self, node: Node) -> list[int]:
        """Per member, the member it was seeded from (-1: fresh); members grown beyond the record are fresh."""
        known = _ints(node.params.get("seeded_from", []))
        return [known[k] if k < len(known) else -1 for k in range(self.members(node))]

    def freezes_old(self, node: Node) -> bool:
        """Older members stop training when a newcomer joins (always for boosting and lateral)."""
        return bool(node.params.get("freeze_old", True)) or self.combine(node) == "boosting" \
            or self.handoff(node) == "lateral"

    def grown(self, node: Node, frozen: list[int]) -> dict[str, Any]:
        """The parameters after one more member joined (what a run's revision records)."""
        n = self.members(node)
        source = n - 1 if self.handoff(node) != "fresh" else -1
        return {"members": n + 1, "frozen_members": sorted(frozen), "seeded_from": [*self.seeded_from(node), source]}

    # -- document ----------------------------------------------------------------------
    def default_label(self, scope: str) -> str:
        return "forest"

    def single_port_problem(self, doc: Document, scope: str, node: Node) -> str | None:
        group = self.group(doc, node)
        if group is None:
            return None
        g = group.graph
        if len(g.nodes_of_type(INPUT.type_id)) != 1 or len(g.nodes_of_type(OUTPUT.type_id)) != 1:
            return "a forest's member group needs exactly one Input and one Output"
        return None

    def handoff_layer(self, group: GroupDef, label: str) -> Node | None:
        """The member's layer a hand-off rule names (a node of the member group, by label)."""
        for n in group.graph.nodes.values():
            if n.label == label and n.type not in (INPUT.type_id, OUTPUT.type_id):
                return n
        return None

    def check(self, doc: Document, scope: str, node: Node) -> list[Problem]:
        problems = super().check(doc, scope, node)
        group = self.group(doc, node)
        n = self.members(node)

        def problem(message: str, param: str, hint: str = "") -> Problem:
            return Problem(message, scope, node.id, param=param, label=node.label, hint=hint)

        if group is not None and self.handoff(node) != "fresh":
            label = node.params.get("layer", "")
            layers = [m.label for m in group.graph.nodes.values() if m.type not in (INPUT.type_id, OUTPUT.type_id)]
            if not isinstance(label, str) or not label:
                problems.append(problem(f"the {self.handoff(node)} hand-off needs the member's layer to hand off",
                                        "layer", f"one of: {', '.join(layers)}"))
            elif self.handoff_layer(group, label) is None:
                problems.append(problem(f"hand-off layer {label!r} does not exist in group {group.name!r}",
                                        "layer", f"its layers: {', '.join(layers)}"))
        wrong = [k for k in self.frozen_members(node) if k >= n]
        if wrong:
            problems.append(problem(f"frozen member {wrong[0]} does not exist (the forest has {n})",
                                    "frozen_members"))
        recorded = _ints(node.params.get("seeded_from", []))
        if len(recorded) > n:
            problems.append(problem(f"seeded_from lists {len(recorded)} members, the forest has {n}",
                                    "seeded_from"))
        for k, source in enumerate(recorded[:n]):
            if source >= k:
                problems.append(problem(f"member {k} cannot be seeded from member {source} (only from an older "
                                        "one)", "seeded_from"))
                break
        return problems

    # -- drawing -----------------------------------------------------------------------
    def marks(self, node: Node) -> tuple[MemberMark, ...]:
        frozen = set(self.frozen_members(node))
        return tuple(MemberMark(k, k in frozen, s) for k, s in enumerate(self.seeded_from(node)))

    def drawing(self, node: Node) -> Drawing:
        rule = self.handoff(node)
        layer = node.params.get("layer", "")
        text = f"forest {self.members(node)} × {node.params.get('group', '?')} · {self.combine(node)}"
        if rule != "fresh":
            text += f" · {rule} {layer}"
        return Drawing(text, enters=self.subnetwork(node), members=self.marks(node), handoff=rule)


FOREST = ForestKind(NodeSpec(
    type_id="Forest",
    category="Sub-networks",
    params=(
        ParamSpec("group", "string", default="", help="The sub-network every member is an instance of."),
        ParamSpec("members", "int", default=2, min=1, max=256,
                  help="How many members the forest has; a growth hook (grow_forest) adds more while training."),
        ParamSpec("combine", "enum", default="mean", choices=COMBINES,
                  help="mean of the members' outputs; learned: weighted by a softmax over one learned number "
                       "per member; boosting: their sum — each newcomer joins a frozen forest and fits its "
                       "residual."),
        ParamSpec("handoff", "enum", default="copy", choices=HANDOFFS,
                  help="How a newcomer is seeded: copy units of the newest member's layer; lateral: receive the "
                       "older members' hidden activations as extra inputs (progressive nets); fresh: nothing."),
        ParamSpec("layer", "string", default="",
                  help="The member's layer (its label in the member group) that hands off."),
        ParamSpec("units", "int", default=4, min=1,
                  help="copy: how many units (neurons or filters) of the layer a newcomer takes over."),
        ParamSpec("select", "enum", default="norm", choices=SELECTS,
                  help="copy: which units — the largest weight norm, the first ones, or random ones."),
        ParamSpec("freeze_old", "bool", default=True,
                  help="Older members stop training when a newcomer joins (always so for boosting and lateral)."),
        ParamSpec("frozen_members", "ints", default=(), min=0,
                  help="Members frozen so far (written by growth; part of the run's revision)."),
        ParamSpec("seeded_from", "ints", default=(), min=-1,
                  help="Per member, the member it was seeded from, -1 for fresh (written by growth)."),
        ParamSpec("frozen", "bool", default=False, help="Exclude the whole forest from training."),
    ),
    doc="A forest of nets that hand parts of their layers to newly initialised nets (copy a slice, lateral "
        "connections, or fresh), combined by mean, learned weights or boosting; grown during training by the "
        "grow_forest hook.",
    target="nn.Module with a ModuleList of members and grow()",
    inputs=(),
    dynamic_ports=True,
))
