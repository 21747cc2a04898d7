"""Patterns over several traced operations that one node says better.

* an Ensemble: `torch.stack([m(x) for m in self.forest]).mean(0)` (also sum,
  concat and vote, as the compiler writes them),
* a chain `a + b + c` as one Add (or Multiply) node with three inputs,
* a parameterless catalogue op written as a template
  (`torch.complex(x, torch.zeros_like(x))` is ToComplex),
* the outputs of a group named by the variables its caller unpacks them into.

A mixin of `Importer`: the methods read and change the scope being built.
"""

from __future__ import annotations

import torch
from torch import fx

from codegen.importer import ops
from graph.document import Edge, Graph
from graph.kinds import ENSEMBLE, INPUT, outputs_of


class Patterns:
    def _ensemble(self, n: fx.Node, scope: str, graph: Graph, texts, add, handled: set[fx.Node]) -> bool:
        """`torch.stack([m(x) for m in self.forest]).mean(0)` (as the compiler writes an Ensemble)."""
        if n.op != "call_function" or n.target not in (torch.stack, torch.cat) or not n.args or \
                not isinstance(n.args[0], (list, tuple)) or len(n.args[0]) < 2:
            return False
        parts = list(n.args[0])
        vote = all(p.op == "call_method" and p.target == "softmax" and p.args[1:] == (-1,) for p in parts)
        calls = [p.args[0] if vote else p for p in parts]
        members = [self._members.get(texts.get(c, "")) for c in calls]
        if not all(members) or len({m[1].params["group"] for m in members}) != 1:
            return False
        group_nodes = [m[1] for m in members]
        sources = {(e.src, e.src_port) for g in group_nodes for e in graph.edges if e.dst == g.id}
        containers = {str(m[0].target).rpartition(".")[0] for m in members}
        indices = [str(m[0].target).rpartition(".")[2] for m in members]
        if len(sources) != 1 or len(containers) != 1 or indices != [str(k) for k in range(len(members))]:
            return False
        combine, last = None, n
        if n.target is torch.cat and n.kwargs.get("dim", n.args[1] if len(n.args) > 1 else 0) == -1 and not vote:
            combine = "concat"
        elif n.target is torch.stack and len(n.users) == 1:
            user = next(iter(n.users))
            if user.op == "call_method" and user.target in ("mean", "sum") and user.args[1:] == (0,):
                combine, last = user.target, user
                if vote:
                    log = next(iter(user.users)) if len(user.users) == 1 else None
                    if user.target != "mean" or log is None or log.op != "call_method" or log.target != "log":
                        return False
                    combine, last = "vote", log
        if combine is None:
            return False
        (src,) = sources
        container = containers.pop()
        dropped = {g.id for g in group_nodes}
        if vote:
            dropped |= {ops.marks(texts[p])[0][0] for p in parts}
        for nid in dropped:
            del graph.nodes[nid]
        graph.edges[:] = [e for e in graph.edges if e.dst not in dropped and e.src not in dropped]
        node = add(ENSEMBLE.type_id, container.replace(".", "_"), {"group": group_nodes[0].params["group"],
                                                             "members": len(members), "combine": combine})
        graph.edges.append(Edge(src[0], src[1], node.id, next(iter(
            n_.label for n_ in self.doc.groups[group_nodes[0].params["group"]].graph.nodes_of_type(INPUT.type_id)))))
        self.origin.instances[(scope, node.id)] = [str(m[0].target) for m in members]
        for k in (n, *n.users, last):
            handled.add(k)
        texts[last] = ops.mark(node.id, "out")
        return True

    def _flatten_chain(self, type_id: str, port_args: list[tuple[str, str]], graph: Graph):
        """`a + b + c` is one Add node with three inputs (as the compiler writes it), not two."""
        first = ops.marks(port_args[0][1])[0][0]
        found = self._chains.get(first)
        if found is None or found[0] != type_id or len(found[1].users) != 1 or first not in graph.nodes:
            return port_args
        inner = [("xs", ops.mark(e.src, e.src_port)) for e in graph.edges if e.dst == first]
        del graph.nodes[first]
        graph.edges[:] = [e for e in graph.edges if e.dst != first]
        return inner + port_args[1:]

    def _template_match(self, n: fx.Node, text: str, add, graph: Graph, texts, hint: str) -> bool:
        """A parameterless catalogue op written as a template (`torch.complex({x}, torch.zeros_like({x}))`)."""
        from codegen.importer.recognise import template_layers

        folded, dropped = text, []
        for dep in ops.marks(text):
            found = self._expressions.get(dep[0])
            if found is not None and len(found[1].users) == 1:
                folded = folded.replace(ops.mark(*dep), f"({found[0]})")
                dropped.append(dep[0])
        folded = ops.tidy(folded)
        deps = ops.marks(folded)
        for layer in template_layers():
            ports = [p.name for p in layer.spec.inputs]
            if len(ports) != len(deps):
                continue
            rendered = ops.tidy(layer.forward.format(**{p: ops.mark(*d) for p, d in zip(ports, deps,
                                                                                         strict=True)}))
            if rendered != folded:
                continue
            for nid in dropped:
                del graph.nodes[nid]
            graph.edges[:] = [e for e in graph.edges if e.dst not in dropped]
            node = add(layer.type_id, hint)
            for port, dep in zip(ports, deps, strict=True):
                graph.edges.append(Edge(dep[0], dep[1], node.id, port))
            texts[n] = ops.mark(node.id, "out")
            return True
        return False

    def _name_outputs(self, group: str, out_labels: list[str], label: str, n: fx.Node, labels) -> list[str]:
        """`base_forecast, base_features = self.base(x)`: the group's outputs are forecast and features."""
        if len(out_labels) < 2:
            return out_labels
        names = dict.fromkeys(out_labels)
        for user in n.users:
            index = user.args[1] if user.op == "call_function" and len(user.args) == 2 else None
            name = labels.get(user, "")
            if isinstance(index, int) and 0 <= index < len(out_labels) and name.startswith(label + "_"):
                names[out_labels[index]] = name[len(label) + 1:]
        new = [names[o] or o for o in out_labels]
        if len(set(new)) != len(new) or new == out_labels or not all(x.isidentifier() for x in new):
            return out_labels
        graph = self.doc.groups[group].graph
        for node in outputs_of(graph):
            if node.label in names and names[node.label]:
                node.label = names[node.label]
        return new
