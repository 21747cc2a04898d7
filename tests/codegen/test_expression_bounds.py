"""Expression nodes cannot make constant folding explode (issue #12.3)."""

from __future__ import annotations

import pytest

from codegen import CompileError, compile_document
from codegen.catalogue.expression import parse_expression
from runtime.analysis import analyse
from tests.codegen.graphs import builder


def expression_doc(expr: str):
    b = builder("formula")
    b.output(b.add("Expression", b.input("x", [4]), "f", expr=expr))
    return b.doc


@pytest.mark.timeout(60)
@pytest.mark.parametrize("expr", ["x * 9**9**9**9", "x + 2**100000", "x * (10.0**400)", "x ** (9**9**9)",
                                  "x * " + "9" * 5000, "(" * 300 + "x" + ")" * 300])
def test_exploding_constants_are_a_problem_on_the_expression_not_a_hang(expr):
    problems = analyse(expression_doc(expr), training=False).errors
    assert [(p.label, p.param) for p in problems] == [("f", "expr")]
    with pytest.raises(CompileError):
        compile_document(expression_doc(expr))


@pytest.mark.parametrize("expr", ["x ** 2", "x * 2**10 + 1e300", "torch.sin(x) ** 3 - math.pi", "2 ** x", "x ** -0.5"])
def test_ordinary_constants_still_compile(expr):
    parse_expression(expr)
    assert analyse(expression_doc(expr), training=False).errors == []
