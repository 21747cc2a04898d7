"""Typed parameter text is read in one place, into the document's own types."""

import pytest

from graph import MISSING, ParamSpec
from graph.kinds.boundary import INPUT
from graph.params import check_value, parse_text, value_text

SHAPE = INPUT.spec.param("shape")
KERNEL = ParamSpec("kernel_size", "ints", 3, min=1)
LR = ParamSpec("lr", "float", 0.1, min=0)
OPTIONAL = ParamSpec("in_features", "int", None, min=1, optional=True)


@pytest.mark.parametrize("text, value", [("64", [64]), ("(3, 32, 32)", [3, 32, 32]), ("[1,28,28]", [1, 28, 28]),
                                         ("3x32x32", [3, 32, 32]), ("3 × 32", [3, 32])])
def test_a_shape_is_always_a_list(text, value):
    assert parse_text(SHAPE, text) == value
    assert parse_text(SHAPE, value_text(value)) == value


def test_a_kernel_size_keeps_a_single_number():
    assert parse_text(KERNEL, "3") == 3
    assert parse_text(KERNEL, "3, 5") == [3, 5]


def test_a_scalar_shape_is_an_error_wherever_it_comes_from():
    assert "list" in check_value(SHAPE, 64)


@pytest.mark.parametrize("spec, text, words", [(SHAPE, "abc", "shape: cannot read 'abc'"),
                                                (KERNEL, "0", "kernel_size: expected a positive integer"),
                                                (LR, "-1", "lr: expected a non-negative number, got -1.0"), (SHAPE, "", "got nothing")])
def test_bad_text_says_which_parameter_and_what_it_expects(spec, text, words):
    with pytest.raises(ValueError, match=words):
        parse_text(spec, text)


def test_empty_optional_text_means_the_default():
    assert parse_text(OPTIONAL, "  ") is MISSING
