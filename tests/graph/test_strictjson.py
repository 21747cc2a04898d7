"""The loader refuses what JSON should not hold (NaN, Infinity, duplicate keys), each with path and line."""

import json

import pytest

from graph import ProjectFileError, load, loads
from graph.fileformat import dumps
from graph.strictjson import StrictJSONError, loads_strict, locate
from tests.graph.sample import full_document, registry


def project_text() -> str:
    return dumps(full_document())


def line_of(text: str, needle: str, nth: int = 1) -> int:
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_refused_with_path_and_line(literal):
    text = project_text().replace("\"lr\": 0.001", f"\"lr\": {literal}", 1)
    assert literal in text
    with pytest.raises(ProjectFileError) as refused:
        loads(text, registry())
    message = str(refused.value)
    assert "recipe.optimizer.lr" in message
    assert f"line {line_of(text, literal)}" in message
    assert literal in message


def test_nan_inside_a_list_names_its_index():
    text = project_text().replace('"position": [\n        0.0,', '"position": [\n        NaN,', 1)
    with pytest.raises(ProjectFileError, match=r"nodes\[0\]\.position\[0\], line \d+"):
        loads(text, registry())


def test_duplicate_keys_are_refused_with_both_lines():
    text = project_text()
    first = text.index('"label"')
    dup = text[:first] + '"label": "shadow",\n      ' + text[first:]
    with pytest.raises(ProjectFileError) as refused:
        loads(dup, registry())
    message = str(refused.value)
    assert "key 'label' appears twice" in message and "nodes[0].label" in message
    key = '"label"'
    assert f"line {line_of(dup, key, 2)}" in message
    assert f"first on line {line_of(dup, key, 1)}" in message


def test_duplicate_top_level_keys_are_refused():
    with pytest.raises(ProjectFileError, match=r"key 'name' appears twice .*\(name, line 3\)"):
        loads('{"format": "torchcanvas", "version": 1, "name": "a",\n"nodes": [],\n"name": "b"}')


def test_equal_keys_in_different_objects_are_fine():
    assert loads_strict('{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}') == \
        {"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}


def test_huge_integers_are_refused_not_a_traceback():
    text = project_text().replace("\"epochs\": 3", "\"epochs\": " + "9" * 5000, 1)
    with pytest.raises(ProjectFileError, match=r"5000 digits is too large \(recipe.epochs, line \d+\)"):
        loads(text, registry())


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + project_text().encode())
    assert load(path, registry()) == full_document()
    assert loads("\ufeff" + project_text(), registry()) == full_document()


def test_strict_parse_equals_json_on_ordinary_documents():
    text = project_text()
    assert loads_strict(text) == json.loads(text)
    assert locate(text) is None


def test_strings_that_look_like_the_forbidden_tokens_are_fine():
    data = {"NaN": "Infinity", "k": ["NaN", "-Infinity", "1e999"], "e": "\"NaN\\\"", "n": -1.5e-3}
    assert loads_strict(json.dumps(data)) == data


def test_strict_error_has_fields():
    with pytest.raises(StrictJSONError) as refused:
        loads_strict('{\n "a": [1, 2,\n  NaN]\n}')
    assert (refused.value.path, refused.value.line) == ("a[2]", 3)


def test_a_lone_surrogate_escape_is_refused_with_its_path():
    text = dumps(full_document())
    first_label = json.loads(text)["nodes"][0]["label"]
    bad = text.replace(f'"label": "{first_label}"', '"label": "a\\ud800b"', 1)
    with pytest.raises(ProjectFileError) as info:
        loads(bad, registry())
    assert info.value.located == [("nodes[0].label", info.value.located[0][1])]
    assert "surrogate" in info.value.located[0][1]


def test_integers_past_64_bits_are_refused_where_the_parameter_is_checked():
    data = json.loads(dumps(full_document()))
    linear = next(k for k, n in enumerate(data["nodes"]) if n["type"] == "Linear")
    data["nodes"][linear]["params"]["out_features"] = 10**25
    with pytest.raises(ProjectFileError) as info:
        loads(json.dumps(data), registry())
    assert info.value.located[0][0] == f"nodes[{linear}].params.out_features"
