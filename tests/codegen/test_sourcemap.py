"""The source map: which generated lines each node wrote, in the text as written and as ruff formats it.

The map is made from the writer's own record of which node wrote which line,
paired statement by statement with the text (`codegen.sourcemap.statements`),
not by parsing the whole module (issue #16.6: CPython's parser cost more per
node the bigger the model's class).
"""

from __future__ import annotations

import ast
import io
import tokenize

import pytest

from codegen import compile_document
from codegen.compiler import format_compiled
from codegen.sourcemap import build_source_map, statements
from graph import ROOT
from tests.bench.generated_graphs import chain
from tests.codegen import graphs
from tests.codegen.graphs import builder
from tests.codegen.test_code_nodes import code_doc

LONG = "the_projection_that_feeds_every_later_layer_of_this_rather_deep_network"

TRICKY = '''"""Module docstring with ( and [ and a # that is not a comment."""

x = (1,  # an open bracket's comment )
     2)
y = "a string with ( ] # inside" + 'and \\' one' \\
    + "continued"
# a comment line ((((
z = """one
    ( two
three"""


class A:
    """Doc ( with [ brackets."""

    def f(self, a=[1, {2: (3,)}]):
        for k in range(3):  # (B, 3)
            a.append(
                k
            )
        return a
'''


def logical_lines(source: str) -> list[tuple[int, int]]:
    """What Python's own tokenizer calls a logical line: (first row, last row), in order."""
    found, start = [], None
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
            tokenize.ENDMARKER}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NEWLINE:
            if start is not None:
                found.append((start, token.start[0]))
            start = None
        elif token.type not in skip and start is None:
            start = token.start[0]
    return found


def wrapped_doc():
    b = builder("wrapped")
    h = b.add("Linear", b.input("x", [8]), "fc1", out_features=16)
    h = b.add("Linear", h, LONG, out_features=16)
    b.output(b.add("ReLU", h, "act"), "y")
    return b.doc


def function_statements(source: str, class_name: str) -> dict[int, ast.stmt]:
    """The statements inside the methods of one class (a loop's body too), by first line."""
    cls = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == class_name)
    return {s.lineno: s for fn in cls.body if isinstance(fn, ast.FunctionDef)
            for s in ast.walk(fn) if isinstance(s, ast.stmt) and s is not fn}


def test_a_statement_the_formatter_wraps_maps_to_its_node_on_every_line():
    doc = wrapped_doc()
    compiled = compile_document(doc)
    lines = compiled.source.splitlines()
    long = doc.graph.node_by_label(LONG).id
    spans = compiled.source_map.lines_for_node(ROOT, long)
    # ruff put both of this node's statements over three lines each
    assert [lines[s - 1].strip() for s, _ in spans] == [f"self.{LONG} = (", f"{LONG} = self.{LONG}("]
    assert all(end == start + 2 for start, end in spans)
    by_line = function_statements(compiled.source, "Wrapped")
    assert [(by_line[s].lineno, by_line[s].end_lineno) for s, _ in spans] == spans
    for start, end in spans:
        assert {compiled.source_map.node_at_line(k) for k in range(start, end + 1)} == {(ROOT, long)}
    # the nodes after it are found where the wrapping moved them
    act = doc.graph.node_by_label("act").id
    assert [lines[s - 1].strip() for s, _ in compiled.source_map.lines_for_node(ROOT, act)] == [
        "self.act = nn.ReLU()", "act = self.act("]
    fc1 = doc.graph.node_by_label("fc1").id
    assert [lines[s - 1].strip() for s, _ in compiled.source_map.lines_for_node(ROOT, fc1)] == [
        "self.fc1 = nn.Linear(8, 16)", "fc1 = self.fc1(x)  # (B, 16)"]


def test_the_map_of_the_text_as_written_is_the_writers_line_for_line():
    doc = wrapped_doc()
    draft = compile_document(doc, formatted=False)
    lines = draft.source.splitlines()
    long = doc.graph.node_by_label(LONG).id
    spans = draft.source_map.lines_for_node(ROOT, long)
    assert [lines[s - 1].strip() for s, e in spans if s == e] == [
        f"self.{LONG} = nn.Linear(16, 16)", f"{LONG} = self.{LONG}(fc1)  # (B, 16)"]
    assert format_compiled(draft).source_map == compile_document(doc).source_map


@pytest.mark.parametrize("name", sorted(graphs.ALL))
def test_every_mapped_statement_is_one_python_statement_naming_its_nodes_layer_or_output(name):
    doc, _, _ = graphs.ALL[name]()
    for compiled in (compile_document(doc), compile_document(doc, formatted=False)):
        assert compiled.source_map.spans
        in_class: dict[int, tuple[ast.stmt, object]] = {}
        for class_name, cls in compiled.map_inputs[0].items():
            in_class.update({k: (s, cls) for k, s in function_statements(compiled.source, class_name).items()})
        for span in compiled.source_map.spans:
            stmt, cls = in_class[span.start]
            header_end = stmt.body[0].lineno - 1 if isinstance(stmt, ast.For) else stmt.end_lineno
            assert (span.start, span.end) == (stmt.lineno, header_end)
            handed_out = {n for n, nid in [*cls.attrs.items(), *cls.vars.items()] if nid == span.node_id}
            named = {n.attr if isinstance(n, ast.Attribute) else n.id
                     for n in ast.walk(stmt) if isinstance(n, (ast.Attribute, ast.Name))}
            assert handed_out & named, ast.unparse(stmt)


@pytest.mark.parametrize("description", ['ends in a backslash \\', 'three """ inside (', "a # and a ) [",
                                         "two\nlines ( of\ndescription"])
def test_statements_are_what_pythons_tokenizer_calls_logical_lines(description):
    b = builder("odd (name) # here")
    b.doc.description = description
    g = b.group("block", description)
    g.output(g.add("ReLU", g.input("x"), "act"), "y")
    h = b.use("block", b.add("Linear", b.input("x", [4]), LONG, out_features=3), "body")
    b.output(b.add("Linear", h, "fc", out_features=2), "y")
    for compiled in (compile_document(b.doc), compile_document(b.doc, formatted=False)):
        source = compiled.source
        assert [(first, last) for first, last, _ in statements(source)] == logical_lines(source)
    assert [(first, last) for first, last, _ in statements(TRICKY)] == logical_lines(TRICKY)


def test_a_class_whose_statements_were_edited_maps_nothing_rather_than_wrong_lines():
    compiled = compile_document(wrapped_doc())
    edited = compiled.source.replace("        self.act = nn.ReLU()\n", "")
    spans = build_source_map(edited, *compiled.map_inputs).spans
    assert spans == []


def test_a_2000_node_compile_parses_no_python(monkeypatch):
    parsed: list[str] = []
    real = ast.parse
    monkeypatch.setattr(ast, "parse", lambda source, *a, **k: parsed.append(source) or real(source, *a, **k))
    compiled = compile_document(chain(2000).doc)
    assert parsed == []
    assert len(compiled.source_map.spans) == 2 * 1998  # a line in __init__ and one in forward per layer


def test_with_code_entries_only_the_text_before_the_models_classes_is_parsed(monkeypatch):
    doc = code_doc()
    parsed: list[str] = []
    real = ast.parse
    monkeypatch.setattr(ast, "parse", lambda source, *a, **k: parsed.append(source) or real(source, *a, **k))
    compiled = compile_document(doc, trusted=True)
    assert parsed and not any("class Custom(nn.Module)" in text for text in parsed)
    line = compiled.source.splitlines().index("class ScaledTanh(nn.Module):") + 1
    assert compiled.source_map.code_entry_at_line(line) == ("scaled_tanh", 1)


def test_a_docstring_written_as_one_entry_over_two_lines_keeps_the_owners_in_step():
    b = builder("two\nlines")  # the model's docstring, "The two\nlines model.", is one entry of the writer's lines
    b.output(b.add("Linear", b.input("x", [4]), "fc", out_features=2), "y")
    compiled = compile_document(b.doc)
    lines = compiled.source.splitlines()
    fc = b.doc.graph.node_by_label("fc").id
    assert [lines[s - 1].strip() for s, _ in compiled.source_map.lines_for_node(ROOT, fc)] == [
        "self.fc = nn.Linear(4, 2)", "fc = self.fc(x)  # (B, 2)"]
