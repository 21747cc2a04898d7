"""One parameter system (issue #13.3): node parameters, dataset parameters and recipe fields.

The same bad value given to a node parameter, a dataset parameter and a recipe
field must come back from the one analysis as `Problem` records of one form,
``<path>: expected <what>, got <value>``, each naming its own path.
"""

from __future__ import annotations

import json
import re

import pytest

from graph import ParamSpec
from graph.builder import Builder
from graph.fileformat import ProjectFileError, loads
from graph.params import check_value, validate_value
from graph.problems import Problem
from runtime.analysis import analyse
from runtime.data import DATASETS

FORM = re.compile(r"^(?P<path>[\w./\[\]]+): expected (?P<what>.+), got (?P<got>.+)$")


def project(node_value, dataset_value, recipe_value, *, node_param="out_features", dataset_param="seed",
            recipe_field="epochs"):
    b = Builder("wording")
    x = b.input("x", shape=[64])
    b.output(b.add("Linear", x, label="fc", **{node_param: node_value}))
    b.doc.recipe = {"dataset": {"name": "digits", dataset_param: dataset_value}, recipe_field: recipe_value}
    return b.doc


def three_problems(doc) -> dict[str, Problem]:
    problems = analyse(doc).problems
    assert all(isinstance(p, Problem) for p in problems)
    by_path = {}
    for p in problems:
        match = FORM.match(p.text())
        assert match, f"not in the one form: {p.text()!r}"
        by_path[match["path"]] = p
    return by_path


@pytest.mark.parametrize(("node", "dataset", "recipe", "got"), [
    pytest.param(("out_features", -1), ("seed", -1), ("epochs", -1), "-1", id="negative int"),
    pytest.param(("out_features", "64"), ("seed", "3"), ("epochs", "3"), None, id="string for an int"),
    pytest.param(("out_features", 2.5), ("seed", 2.5), ("epochs", 2.5), "2.5", id="float for an int"),
    pytest.param(("out_features", True), ("seed", True), ("epochs", True), "True", id="bool for an int"),
])
def test_the_same_bad_int_reads_the_same_everywhere(node, dataset, recipe, got):
    doc = project(node[1], dataset[1], recipe[1], node_param=node[0], dataset_param=dataset[0],
                  recipe_field=recipe[0])
    found = three_problems(doc)
    assert set(found) == {"fc.out_features", "recipe.dataset.seed", "recipe.epochs"}, found
    node_problem = found["fc.out_features"]
    assert node_problem.node_id is not None and node_problem.param == "out_features"
    assert found["recipe.dataset.seed"].recipe_path == "recipe.dataset.seed"
    assert found["recipe.epochs"].recipe_path == "recipe.epochs"
    assert node_problem.message == "expected a positive integer, got " + (got or repr(node[1]))
    assert found["recipe.dataset.seed"].message == "expected a non-negative integer, got " + (got or repr(dataset[1]))
    assert found["recipe.epochs"].message == "expected an integer from 1 to 100000, got " + (got or repr(recipe[1]))


def test_a_wrong_choice_reads_the_same_everywhere():
    b = Builder("wording")
    x = b.input("x", shape=[1, 8, 8])
    b.output(b.add("Conv2d", x, label="conv", padding_mode="mirror"))
    b.doc.recipe = {"dataset": {"name": "digits", "task": "mirror"}, "device": "mirror"}
    found = three_problems(b.doc)
    assert set(found) == {"conv.padding_mode", "recipe.dataset.task", "recipe.device"}, found
    assert found["conv.padding_mode"].message == (
        "expected one of 'zeros', 'reflect', 'replicate', 'circular', got 'mirror'")
    assert found["recipe.dataset.task"].message == "expected one of 'classification', 'reconstruction', got 'mirror'"
    assert found["recipe.device"].message == "expected one of 'auto', 'cpu', 'cuda', 'mps', got 'mirror'"


def test_recipe_fields_are_described_like_parameters():
    doc = project(8, 0, 1)
    doc.recipe.update({"optimizer": {"lr": -1, "momentum": 1.5, "betas": [0.9]}, "loader": {"num_workers": -2},
                       "batch_size": None, "metrics": ["accuracy", "f1"], "schedule": {"step_size": 0, "bogus": 1}})
    texts = {p.recipe_path: p.text() for p in analyse(doc).problems}
    assert texts["recipe.optimizer.lr"] == "recipe.optimizer.lr: expected a positive number, got -1"
    assert texts["recipe.optimizer.momentum"] == "recipe.optimizer.momentum: expected a number ≥ 0 and < 1, got 1.5"
    assert texts["recipe.optimizer.betas"] == "recipe.optimizer.betas: expected a list of 2 numbers, got [0.9]"
    assert texts["recipe.loader.num_workers"] == (
        "recipe.loader.num_workers: expected 'auto' or an integer from 0 to 64, got -2")
    assert texts["recipe.batch_size"] == "recipe.batch_size: expected an integer from 1 to 1000000, got null"
    assert texts["recipe.metrics[1]"].startswith("recipe.metrics[1]: expected one of 'accuracy', 'top5'")
    assert texts["recipe.metrics[1]"].endswith(", got 'f1'")
    assert texts["recipe.schedule.step_size"] == "recipe.schedule.step_size: expected a positive integer, got 0"
    assert texts["recipe.schedule.bogus"].startswith(
        "recipe.schedule.bogus: not a setting of recipe.schedule; it takes: name, step_size, ")
    assert len([p for p in analyse(doc).problems if p.recipe_path == "recipe.loader.num_workers"]) == 1


def test_dataset_and_recipe_refuse_unknown_keys_in_the_same_words():
    doc = project(8, 0, 1)
    doc.recipe["dataset"]["batch"] = 3
    doc.recipe["optimiser"] = {"lr": 0.1}
    texts = {p.recipe_path: p.message for p in analyse(doc).problems}
    assert texts["recipe.dataset.batch"] == "not a setting of recipe.dataset (digits); it takes: flat, val_fraction, seed, task"
    assert texts["recipe.optimiser"].startswith("not a setting of recipe; it takes: dataset, batch_size, epochs")


def test_dataset_parameters_are_node_parameter_specs():
    for info in DATASETS.values():
        for p in info.params:
            assert isinstance(p, ParamSpec), (info.name, p)
            value, message = validate_value(p, p.default) if p.default is not None or p.optional else (None, None)
            assert message is None, (info.name, p.name, message)
    size = DATASETS["image_folder"].param("size")
    assert validate_value(size, 16) == ((16, 16), None)
    assert validate_value(size, [1, 2, 3])[1] == "expected a positive integer or [height, width], got [1, 2, 3]"
    assert check_value(DATASETS["digits"].param("val_fraction"), 1.0) == "expected a number ≥ 0 and < 1, got 1.0"


def test_the_project_file_uses_the_same_words(tmp_path):
    b = Builder("wording")
    b.output(b.add("Linear", b.input("x", shape=[4]), label="fc"))
    data = json.loads(json.dumps({"format": "torchcanvas", "version": 1, "nodes": [
        {"id": "a", "type": "Linear", "label": "fc", "params": {"out_features": -1}, "position": [0]}]}))
    with pytest.raises(ProjectFileError) as err:
        loads(json.dumps(data))
    assert err.value.problems == ["nodes[0].position: expected a list of 2 numbers, got [0]"]
    data["nodes"][0]["position"] = [0, 0]
    from codegen.catalogue import registry

    with pytest.raises(ProjectFileError) as err:
        loads(json.dumps(data), registry())
    assert err.value.problems == ["nodes[0].params.out_features: expected a positive integer, got -1"]
