"""Graph → one readable Python module → live nn.Module.

The compiler emits source text first; `build_module` executes exactly that
text, so what trains is what the user exports. Inferred parameters come from
shape inference (`codegen.shapes`), so the text holds concrete numbers.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from codegen.errors import CompileError
from codegen.formatting import format_source
from codegen.layer import LayerDef
from codegen.naming import Namespace, class_name
from codegen.render import constructor_call, forward_expr, literal
from codegen.shapes import Inference, ScopeRun, infer_shapes
from codegen.sourcemap import SourceMap, build_source_map
from codegen.usercode import base_namespace, register_source
from graph.codeinfo import CodeEntryError, read_code
from graph.document import ROOT, Document, Node
from graph.registry import Registry
from graph.validate import Issue, topological_order, validate

INDENT = "    "
FILENAME = "<torchcanvas model>"


@dataclass
class Compiled:
    """The generated module and what is needed to point back at the graph."""

    source: str
    class_name: str
    source_map: SourceMap
    inference: Inference
    #: (scope, node id) → attribute path in the built model, e.g. "encoder.fc1".
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)


@dataclass
class _ClassText:
    name: str
    scope: str
    lines: list[str]
    #: attribute name → node id; local variable → node id (for the source map)
    attrs: dict[str, str]
    vars: dict[str, str]


class _Emitter:
    def __init__(self, doc: Document, layers: Mapping[str, LayerDef], inference: Inference) -> None:
        self.doc = doc
        self.layers = layers
        self.inference = inference
        self.classes: list[_ClassText] = []
        self.by_body: dict[str, str] = {}
        self.class_names = Namespace(set())
        self.support: set[str] = set()
        self.code_used: dict[str, str] = {}  # entry → class/function name
        self.issues: list[Issue] = []

    # -- one class per (group, variant) ---------------------------------------
    def emit_scope(self, run: ScopeRun, hint: str, doc_line: str) -> str:
        g = self.doc.scope(run.scope)
        init: list[str] = []
        body: list[str] = []
        attrs: dict[str, str] = {}
        vars_: dict[str, str] = {}
        attr_ns = Namespace()
        var_ns = Namespace()
        outputs: dict[tuple[str, str], str] = {}
        args: list[str] = []
        returns: list[str] = []
        incoming: dict[str, list[Any]] = {}
        for e in g.edges:
            incoming.setdefault(e.dst, []).append(e)
        for nid in topological_order(g):
            node = g.nodes[nid]
            node_run = run.nodes.get(nid)
            ins: dict[str, Any] = {}
            for e in incoming.get(nid, ()):
                if (e.src, e.src_port) in outputs:
                    ins.setdefault(e.dst_port, []).append(outputs[(e.src, e.src_port)])
            if node.type == "Input":
                name = var_ns.claim(node.label)
                args.append(name)
                vars_[name] = nid
                outputs[(nid, "out")] = name
                continue
            if node.type == "Output":
                if "x" in ins:
                    returns.append(ins["x"][0])
                continue
            comment = ""
            if node_run is not None and len(node_run.outputs) == 1:
                comment = f"  # {next(iter(node_run.outputs.values()))}"
            if node.type == "Ensemble":
                self._emit_ensemble(run, node, ins, init, body, attrs, vars_, attr_ns, var_ns, outputs, comment)
            elif node.type == "Group":
                self._emit_group(run, node, ins, init, body, attrs, vars_, attr_ns, var_ns, outputs, comment)
            elif node.type == "Code":
                self._emit_code(node, node_run, ins, init, body, attrs, vars_, attr_ns, var_ns, outputs, comment)
            else:
                self._emit_layer(node, node_run, ins, init, body, attrs, vars_, attr_ns, var_ns, outputs, comment)
        if not returns:
            returns = ["None"]
        ret = returns[0] if len(returns) == 1 else ", ".join(returns)
        body.append(f"return {ret}")
        lines = [*_docstring(doc_line), ""]
        if init:
            lines += ["def __init__(self):", f"{INDENT}super().__init__()"]
            lines += [INDENT + s for s in init]
            lines.append("")
        lines.append(f"def forward(self, {', '.join(args)}):" if args else "def forward(self):")
        lines += [INDENT + s for s in body]
        text = "\n".join(lines)
        if text in self.by_body and self.by_body[text].startswith(class_name(hint)):
            return self.by_body[text]
        name = _claim_class(self.class_names, class_name(hint))
        self.by_body[text] = name
        self.classes.append(_ClassText(name, run.scope, lines, attrs, vars_))
        return name

    def _emit_ensemble(self, run, node, ins, init, body, attrs, vars_, attr_ns, var_ns, outputs, comment):
        copies = run.children.get(node.id) or []
        name = node.params["group"]
        group = self.doc.groups[name]
        doc_line = group.description.strip().splitlines()[0] if group.description.strip() else \
            f"One member of the {node.label} ensemble."
        cls = self.emit_scope(copies[0], name, doc_line)
        attr = attr_ns.claim(node.label)
        attrs[attr] = node.id
        p = node_run_params(run, node)
        init.append(f"self.{attr} = nn.ModuleList([{cls}() for _ in range({p['members']})])")
        if p["frozen"]:
            init.append(f"self.{attr}.requires_grad_(False)")
        x = next(iter(ins.values()))[0]
        call = "member(part)" if p["bagging"] else f"member({x})"
        if p["combine"] == "vote":  # soft voting: log of the mean probability, still a valid logit
            call += ".softmax(-1)"
        if p["bagging"]:
            loop = f"for member, part in zip(self.{attr}, {x}.chunk({p['members']}, dim=-1), strict=True)"
        else:
            loop = f"for member in self.{attr}"
        each = f"{call} {loop}"
        expr = {
            "mean": f"torch.stack([{each}]).mean(0)",
            "sum": f"torch.stack([{each}]).sum(0)",
            "concat": f"torch.cat([{each}], dim=-1)",
            "vote": f"torch.stack([{each}]).mean(0).log()",
        }[p["combine"]]
        var = var_ns.claim(node.label)
        vars_[var] = node.id
        outputs[(node.id, "out")] = var
        body.append(f"{var} = {expr}{comment}")

    def _emit_layer(self, node, node_run, ins, init, body, attrs, vars_, attr_ns, var_ns, outputs, comment):
        layer = self.layers[node.type]
        values = node_run.params if node_run is not None else {}
        self.support.update(layer.support)
        module = None
        if layer.module is not None:
            attr = attr_ns.claim(node.label)
            attrs[attr] = node.id
            init.append(f"self.{attr} = {constructor_call(layer, values)}")
            if node.params.get("frozen"):
                init.append(f"self.{attr}.requires_grad_(False)")
            module = f"self.{attr}"
        names = {p.name: (ins[p.name] if p.multi else ins[p.name][0]) for p in layer.spec.inputs if p.name in ins}
        expr = forward_expr(layer, names, values, module)
        outs = layer.spec.outputs
        if layer.unpack is None:
            var = var_ns.claim(node.label)
            vars_[var] = node.id
            outputs[(node.id, outs[0].name)] = var
            body.append(f"{var} = {expr}{comment}")
            return
        targets = {}
        for o in outs:
            var = var_ns.claim(f"{node.label}_{o.name}")
            vars_[var] = node.id
            targets[o.name] = var
            outputs[(node.id, o.name)] = var
        body.append(f"{layer.unpack.format(**targets)} = {expr}")

    def _emit_group(self, run, node, ins, init, body, attrs, vars_, attr_ns, var_ns, outputs, comment):
        copies = run.children.get(node.id) or []
        if not copies:
            raise CompileError([Issue("this group could not be inferred", run.scope, node.id, label=node.label)])
        name = node.params["group"]
        group = self.doc.groups[name]
        doc_line = group.description.strip().splitlines()[0] if group.description.strip() else f"The {name} block."
        class_names = {self.emit_scope(c, name, doc_line) for c in copies}
        if len(class_names) > 1:
            raise CompileError([Issue("repeated copies of this group get different layer sizes; make the group "
                                      "keep its input shape", run.scope, node.id, label=node.label)])
        cls = class_names.pop()
        attr = attr_ns.claim(node.label)
        attrs[attr] = node.id
        repeat = len(copies)
        frozen = bool(node.params.get("frozen", False))
        if repeat > 1:
            init.append(f"self.{attr} = nn.ModuleList([{cls}() for _ in range({repeat})])")
        else:
            init.append(f"self.{attr} = {cls}()")
        if frozen:
            init.append(f"self.{attr}.requires_grad_(False)")
        in_labels = [n.label for n in group.graph.nodes_of_type("Input")]
        out_labels = [n.label for n in group.graph.nodes_of_type("Output")]
        args = ", ".join(ins[p][0] for p in in_labels if p in ins)
        if len(out_labels) == 1:
            var = var_ns.claim(node.label)
            vars_[var] = node.id
            outputs[(node.id, out_labels[0])] = var
            if repeat > 1:
                body.append(f"{var} = {args}")
                body.append(f"for block in self.{attr}:")
                body.append(f"{INDENT}{var} = block({var}){comment}")
            else:
                body.append(f"{var} = self.{attr}({args}){comment}")
            return
        targets = []
        for label in out_labels:
            var = var_ns.claim(f"{node.label}_{label}")
            vars_[var] = node.id
            outputs[(node.id, label)] = var
            targets.append(var)
        body.append(f"{', '.join(targets) or '_'} = self.{attr}({args})")

    def _emit_code(self, node, node_run, ins, init, body, attrs, vars_, attr_ns, var_ns, outputs, comment):
        entry = node.params.get("code", "")
        info = read_code(self.doc.code[entry])
        self.code_used[entry] = info.name
        call_args = ", ".join(
            f"{k}={literal(node.params.get(k, default))}" for k, default in info.params.items()
            if k in info.required_params or (k in node.params and node.params[k] != default))
        args = ", ".join(ins[p][0] for p in info.inputs if p in ins)
        var = var_ns.claim(node.label)
        vars_[var] = node.id
        outputs[(node.id, "out")] = var
        if info.kind == "module":
            attr = attr_ns.claim(node.label)
            attrs[attr] = node.id
            init.append(f"self.{attr} = {info.name}({call_args})")
            body.append(f"{var} = self.{attr}({args}){comment}")
        else:
            extra = f", {call_args}" if call_args else ""
            body.append(f"{var} = {info.name}({args}{extra}){comment}")


def node_run_params(run: ScopeRun, node: Node) -> dict[str, Any]:
    node_run = run.nodes.get(node.id)
    return node_run.params if node_run is not None else {}


def _main_block(doc: Document, model_name: str) -> str:
    """A runnable check at the end of the exported file: build, feed a dummy batch, print shapes."""
    from codegen.shapes import DTYPES

    lines = ['if __name__ == "__main__":', f"    model = {model_name}()"]
    names = []
    ns = Namespace()
    for node in doc.graph.nodes_of_type("Input"):
        shape = node.params.get("shape", [1])
        shape = [shape] if isinstance(shape, int) else list(shape)
        dtype = node.params.get("dtype", "float32")
        dims = ", ".join(str(d) for d in [2, *shape])
        name = ns.claim(node.label)
        names.append(name)
        if dtype == "int64":
            lines.append(f"    {name} = torch.zeros({dims}, dtype=torch.long)")
        elif dtype in DTYPES and dtype != "float32":
            lines.append(f"    {name} = torch.randn({dims}, dtype=torch.{dtype})")
        else:
            lines.append(f"    {name} = torch.randn({dims})")
    call = f"model({', '.join(names)})"
    if len(doc.graph.nodes_of_type("Output")) == 1:
        lines.append(f'    print("output shape", tuple({call}.shape))')
    else:
        lines.append(f"    for out in {call}:")
        lines.append('        print("output shape", tuple(out.shape))')
    return "\n".join(lines)


def _claim_class(ns: Namespace, hint: str) -> str:
    name, k = hint, 2
    while name in ns._used:  # noqa: SLF001 - class names keep their CamelCase
        name, k = f"{hint}{k}", k + 1
    ns._used.add(name)  # noqa: SLF001
    return name


def _split_imports(source: str) -> tuple[list[str], str]:
    """Top-level import lines of a code entry (hoisted to the header) and the rest."""
    tree = ast.parse(source)
    lines = source.splitlines()
    drop: set[int] = set()
    imports: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imports.append(ast.unparse(stmt))
            drop.update(range(stmt.lineno - 1, (stmt.end_lineno or stmt.lineno)))
    rest = "\n".join(line for k, line in enumerate(lines) if k not in drop).strip("\n")
    return imports, rest


def _header(doc: Document, body: str, extra_imports: list[str]) -> str:
    title = doc.name if doc.name and doc.name != "untitled" else "Model"
    lines = [f'"""{title}: generated by TorchCanvas.', ""]
    if doc.description.strip():
        lines += [*_wrap(doc.description.strip()), ""]
    lines += ["Plain PyTorch: this file depends on nothing but torch.", '"""', ""]
    std = sorted({i for i in extra_imports if i.split()[1].split(".")[0] in ("math", "typing", "itertools",
                                                                              "functools", "collections")}
                 | ({"import math"} if "math." in body else set()))
    third = ["import torch"] if "torch." in body else []
    third.append("from torch import nn")
    for imp in extra_imports:
        if imp not in std and imp not in third and imp not in ("import torch", "from torch import nn"):
            third.append(imp)
    if std:
        lines += [*std, ""]
    lines += third
    return "\n".join(lines)


def _docstring(text: str) -> list[str]:
    """A class docstring that stays within 88 columns once indented."""
    text = text.replace(chr(34) * 3, chr(39) * 3)
    if len(text) <= 74:
        return [chr(34) * 3 + text + chr(34) * 3]
    lines = _wrap(text, 76)
    return [chr(34) * 3 + lines[0], *lines[1:], chr(34) * 3]


def _wrap(text: str, width: int = 76) -> list[str]:
    out: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        out.append(line)
    return out


def compile_document(doc: Document, layers: Mapping[str, LayerDef] | None = None,
                     registry: Registry | None = None, *, trusted: bool = False) -> Compiled:
    """Validates, infers shapes and emits the module; raises CompileError naming each problem."""
    from codegen.catalogue import LAYERS
    from codegen.catalogue import registry as catalogue_registry

    layers = LAYERS if layers is None else layers
    registry = catalogue_registry() if registry is None else registry
    issues = [i for i in validate(doc, registry) if i.severity == "error"]
    if issues:
        raise CompileError(issues)
    inference = infer_shapes(doc, layers, trusted=trusted)
    if inference.errors:
        raise CompileError(inference.errors)
    skipped = [r for r in inference.first_runs.values() if r.skipped]
    if skipped and any(r.type != "Code" for r in skipped):
        code_nodes = sorted({r.label for r in skipped if r.type == "Code"})
        raise CompileError([Issue(f"shapes after code node(s) {', '.join(code_nodes)} are unknown until you "
                                  "trust this project's code", ROOT)])
    emitter = _Emitter(doc, layers, inference)
    model_name = class_name(doc.name)
    emitter.class_names._used.add(model_name)  # noqa: SLF001 - reserve the model's name for the model
    for entry in doc.code:
        try:
            emitter.class_names._used.add(read_code(doc.code[entry]).name)  # noqa: SLF001
        except CodeEntryError:
            pass
    model_doc = doc.description.strip().splitlines()[0] if doc.description.strip() else f"The {doc.name} model."
    emitter.emit_scope(inference.root, "__model__", model_doc)
    emitter.classes[-1].name = model_name
    from codegen.support_text import support_text

    sections: list[str] = []
    support = support_text(sorted(emitter.support))
    if support:
        sections.append(support)
    imports: list[str] = []
    for entry, _ in emitter.code_used.items():
        entry_imports, rest = _split_imports(doc.code[entry])
        imports += [i for i in entry_imports if i not in imports]
        sections.append(f"# Custom code: {entry}\n{rest}")
    for cls in emitter.classes:
        lines = [f"class {cls.name}(nn.Module):"] + [(INDENT + s if s else "") for s in cls.lines]
        sections.append("\n".join(lines))
    sections.append(_main_block(doc, model_name))
    body = "\n\n\n".join(sections)
    source = _header(doc, body, imports) + "\n\n\n" + body + "\n"
    source = format_source(source)
    source_map = build_source_map(source, {c.name: c for c in emitter.classes},
                                  {entry: name for entry, name in emitter.code_used.items()})
    attributes = _attribute_paths(doc, emitter.classes, model_name)
    return Compiled(source, model_name, source_map, inference, attributes,
                    [n.label for n in doc.graph.nodes_of_type("Input")],
                    [n.label for n in doc.graph.nodes_of_type("Output")])


def _attribute_paths(doc: Document, classes: list[_ClassText], model_name: str) -> dict[tuple[str, str], str]:
    paths: dict[tuple[str, str], str] = {}
    by_scope: dict[str, _ClassText] = {}
    for cls in classes:
        by_scope.setdefault(cls.scope, cls)
    model = next(c for c in classes if c.name == model_name)

    def walk(cls: _ClassText, prefix: str, depth: int) -> None:
        if depth > 20:
            return
        for attr, nid in cls.attrs.items():
            path = f"{prefix}{attr}"
            paths.setdefault((cls.scope, nid), path)
            node = doc.scope(cls.scope).nodes[nid]
            if node.type in ("Group", "Ensemble") and node.params.get("group") in by_scope:
                repeat = node.params.get("repeat", 1)
                stacked = node.type == "Ensemble" or (isinstance(repeat, int) and repeat > 1)
                inner = f"{path}.0." if stacked else f"{path}."
                walk(by_scope[node.params["group"]], inner, depth + 1)

    walk(model, "", 0)
    return paths


def compile_to_source(doc: Document, *, trusted: bool = False) -> str:
    """The generated module's text (raises CompileError naming each problem)."""
    return compile_document(doc, trusted=trusted).source


def build_from_compiled(compiled: Compiled) -> nn.Module:
    """Executes the generated text and instantiates the model class."""
    register_source(FILENAME, compiled.source)
    namespace = base_namespace()
    exec(compile(compiled.source, FILENAME, "exec"), namespace)  # noqa: S102 - our own generated text
    model = namespace[compiled.class_name]()
    return model


def build_module(doc: Document, *, trusted: bool = False) -> nn.Module:
    return build_from_compiled(compile_document(doc, trusted=trusted))
