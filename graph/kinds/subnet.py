"""Sub-network kinds: a Group instance and an Ensemble (a forest of copies).

Both point at a group definition (`params["group"]`); its Input and Output
nodes are their ports. `SubnetKind` holds what they share, so a further kind
(a forest whose members hand layers to fresh nets) subclasses it.
"""

from __future__ import annotations

from graph.document import Document, GroupDef, Node
from graph.kinds.base import Drawing, NodeKind
from graph.kinds.boundary import INPUT, OUTPUT
from graph.problems import Problem
from graph.spec import NodeSpec, ParamSpec, PortSpec


class SubnetKind(NodeKind):
    in_palette = False  # made by grouping gestures and the Sub-networks menu

    def subnetwork(self, node: Node) -> str | None:
        name = node.params.get("group", "")
        return name if isinstance(name, str) else None

    def group(self, doc: Document, node: Node) -> GroupDef | None:
        name = self.subnetwork(node)
        return doc.groups.get(name) if name is not None else None

    def input_ports(self, doc: Document, node: Node) -> tuple[PortSpec, ...]:
        group = self.group(doc, node)
        if group is None:
            return ()
        return tuple(PortSpec(n.label, "in") for n in group.graph.nodes_of_type(INPUT.type_id))

    def output_ports(self, doc: Document, node: Node) -> tuple[PortSpec, ...]:
        group = self.group(doc, node)
        if group is None:
            return ()
        return tuple(PortSpec(n.label, "out") for n in group.graph.nodes_of_type(OUTPUT.type_id))

    def single_port_problem(self, doc: Document, scope: str, node: Node) -> str | None:
        """Why the body cannot be stacked or copied (it needs one Input and one Output)."""
        return None

    def check(self, doc: Document, scope: str, node: Node) -> list[Problem]:
        problems = super().check(doc, scope, node)
        name = node.params.get("group", "")
        if self.group(doc, node) is None:
            return [*problems, Problem(f"group {name!r} does not exist", scope, node.id, param="group",
                                       label=node.label)]
        reason = self.single_port_problem(doc, scope, node)
        if reason:
            param = "group" if isinstance(self, EnsembleKind) else "repeat"
            problems.append(Problem(reason, scope, node.id, param=param, label=node.label))
        return problems


def _one_in_one_out(group: GroupDef) -> bool:
    g = group.graph
    return len(g.nodes_of_type(INPUT.type_id)) == 1 and len(g.nodes_of_type(OUTPUT.type_id)) == 1


def _chainable(group: GroupDef) -> bool:
    """One Output, fed back into the first Input; any other Input goes to every copy unchanged."""
    g = group.graph
    return len(g.nodes_of_type(INPUT.type_id)) >= 1 and len(g.nodes_of_type(OUTPUT.type_id)) == 1


class GroupKind(SubnetKind):
    def repeat(self, node: Node) -> int:
        repeat = node.params.get("repeat", 1)
        return repeat if isinstance(repeat, int) and not isinstance(repeat, bool) and repeat >= 1 else 1

    def single_port_problem(self, doc: Document, scope: str, node: Node) -> str | None:
        repeat = self.repeat(node)
        group = self.group(doc, node)
        if repeat > 1 and group is not None and not _chainable(group):
            return (f"repeat {repeat} needs the group to have one Output (fed to the next copy's first Input) "
                    "and at least one Input")
        return None

    def tie_through(self, node: Node) -> str | None:
        return self.subnetwork(node) if self.repeat(node) == 1 else None

    def drawing(self, node: Node) -> Drawing:
        repeat = node.params.get("repeat", 1)
        name = node.params.get("group", "?")
        return Drawing(f"group {name}" + (f" × {repeat}" if repeat != 1 else ""), enters=self.subnetwork(node))


class EnsembleKind(SubnetKind):
    COMBINE = ("mean", "sum", "concat", "vote")

    def output_ports(self, doc: Document, node: Node) -> tuple[PortSpec, ...]:
        return (PortSpec("out", "out"),) if self.group(doc, node) is not None else ()

    def single_port_problem(self, doc: Document, scope: str, node: Node) -> str | None:
        group = self.group(doc, node)
        if group is not None and not _one_in_one_out(group):
            return "an ensemble's group needs exactly one Input and one Output"
        return None

    def drawing(self, node: Node) -> Drawing:
        return Drawing(f"ensemble {node.params.get('members', 3)} × {node.params.get('group', '?')}",
                       enters=self.subnetwork(node))


GROUP = GroupKind(NodeSpec(
    type_id="Group",
    category="Sub-networks",
    params=(
        ParamSpec("group", "string", default="", help="Name of the group (sub-network) this node instantiates."),
        ParamSpec("repeat", "int", default=1, min=1, max=1000,
                  help="Stack the sub-network this many times (each copy has its own weights); each "
                  "copy's output feeds the next copy's first input, other inputs go to every copy."),
        ParamSpec("frozen", "bool", default=False, help="Exclude the sub-network's weights from training."),
    ),
    doc="An instance of a sub-network. Its ports are the group's Input and Output nodes.",
    target="nn.Module subclass",
    dynamic_ports=True,
))
ENSEMBLE = EnsembleKind(NodeSpec(
    type_id="Ensemble",
    category="Sub-networks",
    params=(
        ParamSpec("group", "string", default="", help="The sub-network each member is a copy of."),
        ParamSpec("members", "int", default=3, min=1, max=256,
                  help="How many independently initialised copies."),
        ParamSpec("combine", "enum", default="mean", choices=EnsembleKind.COMBINE,
                  help="mean/sum of outputs, concat along the last dimension, or vote (log of the mean "
                       "softmax: soft voting that still trains with cross-entropy)."),
        ParamSpec("bagging", "bool", default=False,
                  help="Feed member k the k-th equal slice of the input's last dimension (feature bagging)."),
        ParamSpec("frozen", "bool", default=False, help="Exclude the members' weights from training."),
    ),
    doc="A forest of nets: N copies of a sub-network with their own weights, combined into one output.",
    target="nn.ModuleList",
    dynamic_ports=True,
))
