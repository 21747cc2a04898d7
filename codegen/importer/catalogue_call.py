"""A submodule call written as its catalogue node: the node, the edges into it, the marks of its outputs.

Only when the node says exactly what the call does: a catalogue layer (or a
user module a catalogue layer reproduces, `equivalents`), positional tensor
arguments only (besides keyword arguments that do not change the first
output), each argument one traced value.
"""

from __future__ import annotations

from torch import fx, nn

from codegen.importer import ops
from codegen.importer.equivalents import equivalent_of
from codegen.importer.modules import NotCatalogue, layer_for, layer_params
from graph.document import Edge, Graph

#: Catalogue modules returning a tuple whose node gives only the first element.
_FIRST_OF_TUPLE = {nn.MultiheadAttention}
#: Keyword arguments of catalogue modules that do not change the first output.
_IGNORED_KWARGS = {nn.MultiheadAttention: {"need_weights"}}


def catalogue_node(sub: nn.Module, n: fx.Node, call, add, label: str, texts, graph: Graph):
    """The call as its catalogue node (wired from the marks in `texts`) and the marks of its outputs;
    None when the node would not say exactly what the call does."""
    layer = layer_for(sub)
    if layer is None and (sub := equivalent_of(sub, call)) is not None:
        layer = layer_for(sub)  # the user's own LayerNorm that nn.LayerNorm reproduces exactly
    if layer is None:
        return None
    ignored = _IGNORED_KWARGS.get(type(sub), set())
    if any(k not in ignored for k in call.kwargs) or any(not isinstance(a, fx.Node) for a in n.args):
        return None
    if len(n.args) > len(layer.spec.inputs):
        return None
    try:
        params, _ = layer_params(layer, sub)
    except NotCatalogue:
        return None
    node = add(layer.type_id, label, params)
    for arg, port in zip(n.args, layer.spec.inputs, strict=False):
        dep = ops.marks(texts[arg])
        if len(dep) != 1:
            return None
        graph.edges.append(Edge(dep[0][0], dep[0][1], node.id, port.name))
    outs = layer.spec.outputs
    if type(sub) in _FIRST_OF_TUPLE:
        return node, [ops.mark(node.id, outs[0].name), None]
    if layer.unpack is not None:
        marks = {o.name: ops.mark(node.id, o.name) for o in outs}
        # "{output}, ({h_n}, {c_n})" → the same nesting of marks
        shaped = eval("(" + layer.unpack.format(**{k: repr(v) for k, v in marks.items()}) + ")")  # noqa: S307
        return node, list(shaped)
    return node, ops.mark(node.id, outs[0].name)
