"""Project strings reach generated source only through codegen.escape (issue #12.1).

Each observation from the issue first, then a property test over arbitrary text.
"""

from __future__ import annotations

import ast

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen import build_from_compiled, compile_document
from codegen.escape import escape
from tests.codegen.graphs import builder

INJECTED = 'x"""\nimport os; os.system("touch {marker}")\n"""'


def small(name="net", description="", group_description="One block.", labels=("fc1", "fc2"), group="block"):
    b = builder(name)
    b.doc.description = description
    g = b.group(group, group_description)
    g.output(g.add("ReLU", g.input("x"), "act"), "y")
    h = b.add("Linear", b.input("x", [4]), labels[0], out_features=3)
    h = b.use(group, h, "body")
    b.output(b.add("Linear", h, labels[1], out_features=2), "y")
    return b.doc


def statements(source: str) -> list[str]:
    return [type(n).__name__ for n in ast.walk(ast.parse(source)) if isinstance(n, ast.stmt)]


def test_a_name_with_triple_quotes_and_code_does_not_run_that_code(tmp_path):
    marker = tmp_path / "MARK"
    doc = small(name=INJECTED.format(marker=marker), description=INJECTED.format(marker=marker))
    compiled = compile_document(doc)
    assert statements(compiled.source) == statements(compile_document(small()).source)
    build_from_compiled(compiled)
    assert not marker.exists()
    assert ast.get_docstring(ast.parse(compiled.source)).startswith(INJECTED.format(marker=marker).splitlines()[0])


@pytest.mark.parametrize("text", ["ends in a backslash \\", 'ends in a quote "', 'three """ inside',
                                  "tab\tand\rreturn and \x00 null and \u2028 separator"])
def test_group_and_project_descriptions_that_used_to_break_the_text_compile_and_build(text):
    compiled = compile_document(small(description=text, group_description=text))
    model = build_from_compiled(compiled)
    assert model(torch.randn(2, 4)).shape == (2, 2)
    block = next(n for n in ast.parse(compiled.source).body if isinstance(n, ast.ClassDef) and n.name == "Block")
    assert ast.get_docstring(block, clean=False) == text


def test_labels_that_normalise_to_one_identifier_get_two_layers():
    compiled = compile_document(small(labels=("ﬁ", "fi")))
    model = build_from_compiled(compiled)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 2 and linears[0].out_features == 3 and linears[1].out_features == 2


def test_a_label_that_is_no_identifier_compiles():
    compiled = compile_document(small(labels=("a²", "class")))
    model = build_from_compiled(compiled)
    assert hasattr(model, "a2") and model(torch.randn(1, 4)).shape == (1, 2)


def test_escape_contexts():
    assert escape("ﬁ", "identifier") == escape("fi", "identifier") == "fi"
    assert escape("a²", "identifier") == "a2"
    assert escape("2nd layer", "identifier") == "n_2nd_layer"
    assert escape("class", "identifier").isidentifier() and escape("class", "identifier") != "class"
    assert escape("résumé net", "class") == "RésuméNet" or escape("résumé net", "class").isidentifier()
    assert "\n" not in escape("a\nimport os", "comment")
    assert ast.literal_eval(escape('a"\'\\\n', "literal")) == 'a"\'\\\n'


text = st.text(max_size=40)
label = st.text(min_size=1, max_size=12).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=text, description=text, group_description=text, labels=st.tuples(label, label), group=label)
def test_arbitrary_text_never_changes_what_the_module_does(name, description, group_description, labels, group):
    if labels[0] == labels[1]:
        labels = (labels[0], labels[1] + "2")
    doc = small(name, description, group_description, labels, group)
    source = compile_document(doc).source
    reference = compile_document(small()).source
    assert statements(source) == statements(reference)
    model = build_from_compiled(compile_document(doc))
    assert model(torch.randn(1, 4)).shape == (1, 2)


def test_a_code_entry_name_cannot_start_a_statement_in_its_comment(tmp_path):
    marker = tmp_path / "MARK"
    entry = f'scale\nimport os\nos.system("touch {marker}")'
    b = builder("coded")
    b.doc.code[entry] = "class Scale(nn.Module):\n    def forward(self, x):\n        return 2 * x\n"
    b.output(b.add("Code", b.input("x", [3]), "scale", code=entry))
    compiled = compile_document(b.doc, trusted=True)
    assert "import os" not in [ast.unparse(n) for n in ast.parse(compiled.source).body]
    build_from_compiled(compiled)
    assert not marker.exists()


@pytest.mark.parametrize("text", ["None", "True", "False", "none", "true", "print", "Exception", "object",
                                  "torch", "nn", "f", "math", "TORCHCANVAS", "__import__"])
def test_a_class_name_is_never_a_keyword_a_builtin_or_a_name_the_module_uses(text):
    import builtins
    import keyword

    from codegen.metadata import NAME
    from codegen.naming import class_name

    name = escape(text, "class")
    assert class_name(text) == name and name.isidentifier()
    assert not keyword.iskeyword(name) and name not in dir(builtins)
    assert name not in {"torch", "nn", "F", "math", NAME}


@pytest.mark.parametrize("name", ["None", "True", "print", "TORCHCANVAS"])
def test_a_project_and_a_group_named_like_a_keyword_or_builtin_compile_and_build(name):
    compiled = compile_document(small(name=name, group=name))
    model = build_from_compiled(compiled)
    assert model(torch.randn(2, 4)).shape == (2, 2)
    classes = [n.name for n in ast.parse(compiled.source).body if isinstance(n, ast.ClassDef)]
    assert compiled.class_name in classes and len(set(classes)) == 2


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_ascii_text_splits_into_the_words_the_unicode_rules_find(text):
    from codegen.escape import _unicode_words, _words

    assert _words(text) == _unicode_words(text)
