"""Graph → one readable Python module → live nn.Module.

The compiler emits source text first; `build_module` executes exactly that
text, so what trains is what the user exports. Inferred parameters come from
shape inference (`codegen.shapes`), so the text holds concrete numbers. What
each node writes is its kind's `emit` (`codegen.kinds`); this module runs the
analysis, asks the kinds, and assembles the classes into one module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from torch import nn

from codegen.errors import CompileError
from codegen.escape import escape, first_line
from codegen.formatting import format_source
from codegen.kinds import compiler_kinds
from codegen.layer import LayerDef
from codegen.metadata import metadata_block
from codegen.module_text import header, main_block, split_imports
from codegen.naming import class_name
from codegen.runs import Inference
from codegen.shapes import infer_shapes
from codegen.sourcemap import SourceMap, build_source_map
from codegen.usercode import base_namespace, register_source
from codegen.writer import INDENT, ClassText, ModuleWriter
from graph.codeinfo import CodeEntryError, read_code
from graph.document import ROOT, Document
from graph.kinds import FOREST, inputs_of, kind_of, outputs_of
from graph.problems import Problem, Severity
from graph.registry import Registry
from graph.trust import UntrustedCode
from graph.validate import validate

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
    #: Compiled with the person's trust: only then may the text (which defines the
    #: code entries in `code_entries`) be executed.
    trusted: bool = False
    code_entries: tuple[str, ...] = ()
    #: Labels of nodes whose shapes are unknown because untrusted code comes before them
    #: (only with `compile_document(..., partial=True)`; such text is for reading, not running).
    unknown_shapes: tuple[str, ...] = ()
    #: The text went through ``ruff format`` (the code view's and export's text). Unformatted
    #: text builds and maps to the graph just the same; `format_compiled` formats it later.
    formatted: bool = True
    #: What `build_source_map` needs to map a re-formatted text again.
    map_inputs: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def label_paths(self, doc: Document) -> dict[str, str]:
        """Node label → attribute path (the first node with a label wins): layers named as on the canvas."""
        paths: dict[str, str] = {}
        for (scope, nid), path in self.attributes.items():
            node = doc.scope(scope).nodes.get(nid)
            if node is not None:
                paths.setdefault(node.label, path)
        return paths


UNTRUSTED_NOTE = ("NOTE: this project's custom code was not trusted, so it was not run while writing "
                  "this file. Shapes after the code nodes are unknown: sizes that would be inferred from "
                  "them are written as None ({nodes}). Trust the project (torchcanvas export --trust, or "
                  "Train › Trust project code in the app) to get a file that runs.")


def unknown_after_code(inference: Inference, severity: Severity = "error") -> list[Problem]:
    """Nodes after untrusted code nodes have no shapes yet: one problem naming those code nodes."""
    skipped = [inference.first_runs[key] for key in inference.skipped]
    code_nodes = sorted({r.label for r in skipped if kind_of(r.type).runs_user_code})
    if not code_nodes or all(kind_of(r.type).runs_user_code for r in skipped):
        return []  # nothing waits for trust (nodes after a failing one are skipped too: no news)
    return [Problem(f"shapes after code node(s) {', '.join(code_nodes)} are unknown until you trust this "
                    "project's code", ROOT, severity=severity, hint="trust the project to check them")]


def compile_document(doc: Document, layers: Mapping[str, LayerDef] | None = None,
                     registry: Registry | None = None, *, trusted: bool = False,
                     inference: Inference | None = None, partial: bool = False,
                     formatted: bool = True) -> Compiled:
    """Validates, infers shapes and emits the module; raises CompileError naming each problem.

    `inference`: the shape inference of this very document made by an analysis
    whose validation passed (`runtime.analysis`: the editor's, `check`'s,
    export's), so neither validation nor inference runs twice. `formatted=False`
    skips the ``ruff format`` subprocess (the editor writes code on every edit
    but formats it only for the code view and export: `format_compiled`).

    Untrusted code is never run here. Without trust, layers after a code node
    have unknown shapes: that is an error, unless `partial` asks for text to
    read anyway (`export --to py`), with unknown sizes written as None and a
    comment saying so; such a result cannot be built.
    """
    from codegen.catalogue import LAYERS
    from codegen.catalogue import registry as catalogue_registry

    layers = LAYERS if layers is None else layers
    registry = catalogue_registry() if registry is None else registry
    if inference is None:
        problems = [p for p in validate(doc, registry) if p.is_error]
        if problems:
            raise CompileError(problems)
        inference = infer_shapes(doc, layers, trusted=trusted)
    if inference.errors:
        raise CompileError(inference.errors)
    problems = unknown_after_code(inference)
    if problems and not partial:
        raise CompileError(problems)
    unknown = tuple(sorted({r.label for r in inference.first_runs.values()
                            if r.skipped and not kind_of(r.type).runs_user_code}))
    compiled = _write(doc, layers, inference, unknown, formatted)
    compiled.trusted = trusted
    return compiled


def format_compiled(compiled: Compiled) -> Compiled:
    """The same module with its text through ``ruff format`` and the source map redone for it."""
    if compiled.formatted:
        return compiled
    source = format_source(compiled.source)
    return replace(compiled, source=source, source_map=build_source_map(source, *compiled.map_inputs),
                   formatted=True)


def _write(doc: Document, layers: Mapping[str, LayerDef], inference: Inference,
           unknown: tuple[str, ...] = (), formatted: bool = True) -> Compiled:
    kinds = compiler_kinds(layers)
    writer = ModuleWriter(doc, layers, inference, kinds)
    code_names: set[str] = set()
    for entry in doc.code:
        try:
            code_names.add(read_code(doc.code[entry]).name)
        except CodeEntryError:
            pass
    model_name = class_name(doc.name)
    while model_name in code_names:  # e.g. a model imported whole: its own class is a code entry
        model_name += "Model"
    writer.class_names.used.add(model_name)  # reserve the model's name for the model
    writer.class_names.used.update(code_names)
    model_doc = first_line(doc.description) or f"The {doc.name} model."
    writer.write_scope(inference.root, "__model__", model_doc)
    writer.classes[-1].name = model_name
    from codegen.support_text import support_text

    sections: list[str] = []
    support = support_text(sorted(writer.support))
    if support:
        sections.append(support)
    imports: list[str] = []
    for entry in writer.code_used:
        entry_imports, rest = split_imports(doc.code[entry])
        imports += [i for i in entry_imports if i not in imports]
        sections.append(f"# Custom code: {escape(entry, 'comment')}\n{rest}")
    imports += [line for line in writer.library.lines() if line not in imports]
    for cls in writer.classes:
        lines = [f"class {cls.name}(nn.Module):"] + [(INDENT + s if s else "") for s in cls.lines]
        sections.append("\n".join(lines))
    attributes = _attribute_paths(doc, writer.classes, model_name, kinds)
    sections.append(metadata_block(doc, _forest_records(doc, attributes)))
    sections.append(main_block(doc, model_name))
    body = "\n\n\n".join(sections)
    note = UNTRUSTED_NOTE.format(nodes=", ".join(unknown)) if unknown else ""
    source = header(doc, body, imports, note) + "\n\n\n" + body + "\n"
    if formatted:
        source = format_source(source)
    map_inputs = ({c.name: c for c in writer.classes}, dict(writer.code_used))
    return Compiled(source, model_name, build_source_map(source, *map_inputs), inference, attributes,
                    [n.label for n in inputs_of(doc.graph)], [n.label for n in outputs_of(doc.graph)],
                    code_entries=tuple(writer.code_used), unknown_shapes=unknown, formatted=formatted,
                    map_inputs=map_inputs)


def _attribute_paths(doc: Document, classes: list[ClassText], model_name: str, kinds) -> dict[tuple[str, str], str]:
    paths: dict[tuple[str, str], str] = {}
    by_scope: dict[str, ClassText] = {}
    for cls in classes:
        if cls.body:
            by_scope.setdefault(cls.scope, cls)
    model = next(c for c in classes if c.name == model_name)

    def walk(cls: ClassText, prefix: str, depth: int) -> None:
        if depth > 20:
            return
        for attr, nid in cls.attrs.items():
            path = f"{prefix}{attr}"
            paths.setdefault((cls.scope, nid), path)
            node = doc.scope(cls.scope).nodes[nid]
            kind = kinds(node.type)
            group = kind.subnetwork(node) if hasattr(kind, "subnetwork") else None
            if group in by_scope:
                walk(by_scope[group], kind.body_prefix(node, path), depth + 1)

    walk(model, "", 0)
    return paths


def _forest_records(doc: Document, attributes: dict[tuple[str, str], str]) -> dict[str, dict[str, Any]]:
    """Attribute path → a Forest node's hand-off and growth parameters (read back by import)."""
    records = {}
    for (scope, nid), path in attributes.items():
        node = doc.scope(scope).nodes[nid]
        if node.type == FOREST.type_id:
            records[path] = {k: v for k, v in sorted(node.params.items()) if k not in ("group", "members")}
    return records


def compile_to_source(doc: Document, *, trusted: bool = False) -> str:
    """The generated module's text (raises CompileError naming each problem)."""
    return compile_document(doc, trusted=trusted).source


def build_from_compiled(compiled: Compiled) -> nn.Module:
    """Executes the generated text and instantiates the model class.

    The text defines the project's code entries, so executing it runs their
    top-level statements and constructors: refused unless compiled with trust.
    """
    if compiled.code_entries and not compiled.trusted:
        raise UntrustedCode([f"code entry {entry!r}" for entry in compiled.code_entries])
    if compiled.unknown_shapes:
        raise CompileError([Problem(f"shapes after untrusted code are unknown ({', '.join(compiled.unknown_shapes)})"
                                    "; this text is for reading only", ROOT)])
    register_source(FILENAME, compiled.source)
    namespace = base_namespace()
    exec(compile(compiled.source, FILENAME, "exec"), namespace)  # noqa: S102 - our own generated text
    return namespace[compiled.class_name]()


def build_module(doc: Document, *, trusted: bool = False) -> nn.Module:
    return build_from_compiled(compile_document(doc, trusted=trusted))
