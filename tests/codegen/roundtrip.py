"""Export → import → export, as a user would do it: the exported .py file imported by the CLI's code."""

from __future__ import annotations

from pathlib import Path

from codegen import compile_document
from graph.kinds import inputs_of
from runtime.commands.import_ import import_file


def input_args(doc) -> tuple[list[str], list[str]]:
    shapes, dtypes = [], []
    for node in inputs_of(doc.graph):
        shape = node.params.get("shape", [1])
        shape = [shape] if isinstance(shape, int) else list(shape)
        shapes.append(",".join(map(str, shape)))
        dtypes.append(node.params.get("dtype", "float32"))
    return shapes, dtypes


def reimport(source: str, class_name: str, doc, folder: Path, stem: str = "exported"):
    """(document, original module, rebuilt model, summary) of importing `source` from a file."""
    path = folder / f"{stem}.py"
    path.write_text(source, encoding="utf-8")
    shapes, dtypes = input_args(doc)
    return import_file(f"{path}:{class_name}", shapes, dtypes)


def fixed_point(doc, folder: Path, trusted: bool = True):
    """(first export, second export, first state keys, second state keys, summary)."""
    first = compile_document(doc, trusted=trusted)
    doc2, original, model, summary = reimport(first.source, first.class_name, doc, folder)
    second = compile_document(doc2, trusted=trusted)
    return first.source, second.source, list(original.state_dict()), list(model.state_dict()), summary, doc2
