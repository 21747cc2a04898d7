import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import ProjectFileError, load, loads, save, validate
from graph.fileformat import FORMAT_VERSION, dumps, to_dict
from tests.graph.sample import full_document, registry


def test_round_trip_keeps_every_feature(tmp_path):
    doc = full_document()
    path = tmp_path / "p.json"
    save(doc, path)
    loaded = load(path, registry())
    assert loaded == doc
    assert to_dict(loaded) == to_dict(doc)
    assert validate(loaded, registry()) == []
    # Saving again gives byte-identical text (stable order, diffs well).
    save(loaded, path)
    assert path.read_text() == dumps(doc)


def test_file_is_indented_with_stable_key_order(tmp_path):
    text = dumps(full_document())
    data = json.loads(text)
    assert list(data)[:3] == ["format", "version", "name"]
    assert data["format"] == "torchcanvas" and data["version"] == FORMAT_VERSION
    assert "\n  \"nodes\": [\n" in text
    assert list(data["nodes"][1]["params"]) == sorted(data["nodes"][1]["params"])


def test_save_keeps_previous_file_as_bak(tmp_path):
    path = tmp_path / "p.json"
    doc = full_document()
    save(doc, path)
    first = path.read_text()
    doc.name = "changed"
    save(doc, path)
    assert (tmp_path / "p.json.bak").read_text() == first
    assert load(path).name == "changed"


def test_crash_before_rename_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save(full_document(), path)
    before = path.read_bytes()
    doc = full_document()
    doc.name = "never written"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        save(doc, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load(path).name == "sample"
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_error_names_the_path_inside_the_document():
    data = to_dict(full_document())
    data["nodes"][3]["type"] = "Conv2d"
    data["nodes"][3]["params"] = {"kernel_size": -2}
    with pytest.raises(ProjectFileError) as err:
        loads(json.dumps(data), registry())
    assert "nodes[3].params.kernel_size: expected a positive integer or a list of them, got -2" in str(err.value)


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d.update(version=FORMAT_VERSION + 1), "newer TorchCanvas"),
        (lambda d: d.update(format="keras"), "not a TorchCanvas project"),
        (lambda d: d["nodes"][0].update(position="left"), "nodes[0].position"),
        (lambda d: d["nodes"][1].update(type="Warp"), "nodes[1].type: unknown node type 'Warp'"),
        (lambda d: d["edges"][0].pop("dst"), "edges[0].dst"),
        (lambda d: d["groups"][0]["nodes"][0].update(id="n1"), "groups[0].nodes[0].id: node id 'n1'"),
        (lambda d: d.update(surprise=1), "surprise"),
    ],
)
def test_bad_documents_get_clear_errors(mutate, expected):
    data = to_dict(full_document())
    mutate(data)
    with pytest.raises(ProjectFileError) as err:
        loads(json.dumps(data), registry())
    assert expected in str(err.value)


def test_truncated_json_names_line_and_column():
    text = dumps(full_document())
    with pytest.raises(ProjectFileError, match=r"not valid JSON: .* \(line \d+, column \d+\)"):
        loads(text[: len(text) // 2])


def test_unreadable_file_is_a_project_error(tmp_path):
    with pytest.raises(ProjectFileError, match="cannot read"):
        load(tmp_path / "missing.json")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_loader_only_raises_project_errors_on_arbitrary_bytes(raw):
    try:
        loads(raw, registry())
    except ProjectFileError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=8,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _mutated(data, draw):
    paths = list(_paths(data))
    path = draw(st.sampled_from(paths))
    replacement = draw(json_values)
    if not path:
        return replacement
    target = data
    for key in path[:-1]:
        target = target[key]
    if draw(st.booleans()) and isinstance(target, dict):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = replacement
    return data


@st.composite
def mutated_documents(draw):
    data = to_dict(full_document())
    for _ in range(draw(st.integers(1, 4))):
        data = _mutated(data, draw)
        if not isinstance(data, (dict, list)):
            break
    return data


def _load_mutated(data):
    try:
        doc = loads(json.dumps(data), registry())
    except ProjectFileError:
        return
    validate(doc, registry())  # a loaded document can always be validated


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_loader_only_raises_project_errors_on_mutated_documents(data):
    _load_mutated(data)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_loader_fuzz_campaign(data):
    _load_mutated(data)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None)
@given(st.binary(max_size=2000))
def test_loader_fuzz_campaign_bytes(raw):
    try:
        loads(raw, registry())
    except ProjectFileError:
        pass
