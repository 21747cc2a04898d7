"""The second corpus, part two: attacks written blind, with the outcome predicted before running them.

These were written from an attacker's list (unicode tricks, huge integers,
deep nesting, symlinked data, recursion in groups, code smuggled into hook
settings, library references, expression escapes) without reading the fixes.
Each case says what a professional tool should do; a difference is a finding,
not a reason to change the prediction. Every case also gets an extra door,
`export --to train` (the recipe reaches generated source there), and a
check on the generated text: outside string constants it must hold no
`__import__`, `exec`, `eval` or `os` call the compiler's templates never write.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile.cases import (
    ALL_OK,
    everywhere,
    graph_error,
    memory_error,
    mutated,
    recipe_error,
    untrusted,
)
from tests.hostile.harness import ANY, Case, Expect, refuse
from tests.hostile.projects import DIR, MARKING_HOOK, add_node, base, marker_code, node, text

FORBIDDEN_NAMES = {"__import__", "exec", "eval", "compile", "system", "popen", "getattr"}
TRAIN_EXPORT = ("train-export", ("export", "project.json", "--to", "train", "-o", "out/train"), ANY)


def _no_smuggled_calls(folder: Path) -> str | None:
    """Generated text holds only template statements: no call to a name a template never writes."""
    for source in sorted((folder / "out").rglob("*.py")):
        if b"PWNED" not in source.read_bytes():
            continue
        data = (folder / "project.json").read_bytes()
        if b'"code": {}' not in data and b'"code":{}' not in data:
            continue  # the project's own code entries are written verbatim: that is their job
        try:
            tree = ast.parse(source.read_text())
        except SyntaxError as exc:
            return f"{source.name} does not parse: {exc}"
        for n in ast.walk(tree):
            if isinstance(n, ast.Call):
                f = n.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                if name in FORBIDDEN_NAMES:
                    return f"{source.name} line {n.lineno} calls {name}: project text became code"
    return None


def _case(name: str, why: str, project: bytes, expect: dict[str, Expect], **kw: Any) -> Case:
    files = {"project.json": project, **kw.pop("files", {})}
    extra = kw.pop("extra", ()) + (TRAIN_EXPORT,)
    verify = kw.pop("verify", None)

    def check(folder: Path) -> str | None:
        return _no_smuggled_calls(folder) or (verify(folder) if verify else None)

    return Case(f"attack-{name}", files, expect, why=why, extra=extra, verify=check, **kw)


def _labels(**changes: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: [node(d, old).update(label=new) for old, new in changes.items()] and None


def _twin(first: str, second: str) -> Callable[[dict[str, Any]], None]:
    """fc1 renamed `first`, and a new Linear `second` after it: two layers that must stay two."""
    def mutate(d: dict[str, Any]) -> None:
        node(d, "fc1")["label"] = first
        add_node(d, "n7", "Linear", second, {"out_features": 128}, after=first, before="act1")
    return mutate


def _three_linears(folder: Path) -> str | None:
    path = folder / "out" / "model.py"
    if not path.exists():
        return "export --to py wrote nothing"
    layers = [line.split("=")[0].strip() for line in path.read_text().splitlines() if "= nn.Linear(" in line]
    return None if len(set(layers)) == 3 else f"expected 3 distinct Linear layers, got {layers}"


def unicode_cases() -> list[Case]:
    return [
        _case("math-bold-twin", "𝐟𝐜𝟏 is fc1 after NFKC", mutated(_twin("fc1", "𝐟𝐜𝟏")), ALL_OK,
              verify=_three_linears),
        _case("fullwidth-keyword", "ｃｌａｓｓ is the keyword class after NFKC",
              mutated(_labels(fc1="ｃｌａｓｓ")), ALL_OK),
        _case("zero-width-twin", "fc\u200b1 beside fc1", mutated(_twin("fc1", "fc\u200b1")), ALL_OK,
              verify=_three_linears),
        _case("cyrillic-homoglyph", "fс1 (Cyrillic es) beside fc1", mutated(_twin("fc1", "fс1")), ALL_OK,
              verify=_three_linears),
        _case("combining-mark-label", "a label that is one combining accent", mutated(_labels(fc1="\u0301")),
              ALL_OK),
        _case("digits-label", "a label that is a number", mutated(_labels(fc1="123", act1="1e5")), ALL_OK),
        _case("dunder-labels", "labels that are dunder names",
              mutated(_labels(fc1="__class__", act1="__init__", drop="forward")), ALL_OK),
        _case("lone-surrogate", "a lone UTF-16 surrogate in a name (not encodable as UTF-8)",
              text(base()).replace(b'"name": "Digits MLP"', b'"name": "a\\ud800b"'),
              {door: ANY for door in ALL_OK}),
        _case("surrogate-label", "a lone surrogate in a label",
              text(base()).replace(b'"label": "fc1"', b'"label": "fc\\udfff1"'), {door: ANY for door in ALL_OK}),
        _case("empty-label", "an empty label", mutated(_labels(fc1="")), {door: ANY for door in ALL_OK}),
    ]


def _conv(**params: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        node(d, "x")["params"].update(shape=[1, 64])
        add_node(d, "n7", "Conv1d", "conv", {"out_channels": 4, "kernel_size": 3, **params}, after="x",
                 before="fc1")
    return mutate


def number_cases() -> list[Case]:
    return [
        _case("in-features-2-64", "in_features 2**64", mutated(lambda d: node(d, "fc2")["params"].update(
            in_features=2**64)), graph_error("in_features")),
        _case("kernel-10-25", "kernel_size 10**25", mutated(_conv(kernel_size=10**25)), graph_error("kernel_size")),
        _case("stride-zero", "stride 0", mutated(_conv(stride=0)), graph_error("stride")),
        _case("dropout-p-two", "Dropout p = 2", mutated(lambda d: node(d, "drop")["params"].update(p=2.0)),
              graph_error("p")),
        _case("float-width", "out_features 128.0", mutated(lambda d: node(d, "fc1")["params"].update(
            out_features=128.0)), everywhere("out_features")),
        _case("bool-width", "out_features true", mutated(lambda d: node(d, "fc1")["params"].update(
            out_features=True)), everywhere("out_features")),
        _case("input-shape-zero", "an Input of shape [0]", mutated(lambda d: node(d, "x")["params"].update(
            shape=[0])), everywhere("shape")),
        _case("input-shape-huge", "an Input of 10^6 × 10^6", mutated(lambda d: node(d, "x")["params"].update(
            shape=[10**6, 10**6])), memory_error("memory")),
        _case("ensemble-billion", "an Ensemble of 10^9 members",
              mutated(lambda d: (d.update(groups=[_relu_group("blk")]), add_node(
                  d, "n7", "Ensemble", "many", {"group": "blk", "members": 10**9}, after="act1", before="drop",
                  out_port="y")) and None), {door: ANY for door in ALL_OK}),
        _case("group-repeat-billion", "a Group repeated 10^9 times",
              mutated(lambda d: (d.update(groups=[_relu_group("blk")]), add_node(
                  d, "n7", "Group", "many", {"group": "blk", "repeat": 10**9}, after="act1", before="drop",
                  out_port="y")) and None), {door: ANY for door in ALL_OK}),
        _case("seed-huge", "seed 2**70", mutated(lambda d: d["recipe"].update(seed=2**70)),
              recipe_error("recipe.seed")),
    ]


def _relu_group(name: str, inner: str | None = None) -> dict[str, Any]:
    middle = {"id": f"{name}2", "type": "Group", "label": "inner", "params": {"group": inner},
              "position": [1, 0]} if inner else {"id": f"{name}2", "type": "ReLU", "label": "r", "params": {},
                                                  "position": [1, 0]}
    port = "y" if inner else "out"
    return {"name": name, "description": "", "nodes": [
        {"id": f"{name}1", "type": "Input", "label": "x", "params": {}, "position": [0, 0]}, middle,
        {"id": f"{name}3", "type": "Output", "label": "y", "params": {}, "position": [2, 0]}],
        "edges": [{"src": f"{name}1", "src_port": "out", "dst": f"{name}2", "dst_port": "x"},
                  {"src": f"{name}2", "src_port": port, "dst": f"{name}3", "dst_port": "x"}]}


def _nested(depth: int, loop: bool = False) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        names = [f"g{k}" for k in range(depth)]
        inner = [*names[1:], names[0] if loop else None]
        d["groups"] = [_relu_group(n, i) for n, i in zip(names, inner, strict=True)]
        add_node(d, "n7", "Group", "nest", {"group": "g0"}, after="act1", before="drop", out_port="y")
    return mutate


def nesting_cases() -> list[Case]:
    deep_objects = b'{"format": "torchcanvas", "version": 1, "ui": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001
    return [
        # Predicted "accepted"; the tool limits nesting to 20 groups with a clear error naming the chain,
        # which is a fair limit (deeper models nest by Repeat/Ensemble): the prediction was wrong, not the tool.
        _case("groups-150-deep", "150 groups each holding the next", mutated(_nested(150)),
              everywhere("nested more than 20 deep")),
        _case("groups-mutual-recursion", "g0 holds g1, g1 holds g0", mutated(_nested(2, loop=True)),
              graph_error("g0")),
        _case("groups-long-loop", "a ring of 40 groups", mutated(_nested(40, loop=True)), graph_error("g0")),
        _case("group-without-ports", "a group with no Input or Output",
              mutated(lambda d: (d.update(groups=[{"name": "empty", "description": "", "nodes": [], "edges": []}]),
                                 add_node(d, "n7", "Group", "void", {"group": "empty"}, after="x")) and None),
              {door: ANY for door in ALL_OK}),
        _case("deep-objects", "50,000 nested JSON objects", deep_objects, everywhere("nested")),
    ]


def _symlink(target: str) -> Callable[[Path], None]:
    return lambda path: os.symlink(target, path)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dataset(spec: dict[str, Any]) -> bytes:
    return mutated(lambda d: d["recipe"].update(dataset=spec))


def data_cases() -> list[Case]:
    return [
        _case("dataset-symlink-dev-zero", "a CSV path that is a symlink to /dev/zero",
              _dataset({"name": "csv", "path": "link.csv"}), recipe_error("link.csv"),
              makers={"link.csv": _symlink("/dev/zero")}),
        _case("dataset-symlink-loop", "a.csv → b.csv → a.csv", _dataset({"name": "csv", "path": "a.csv"}),
              recipe_error("a.csv"), makers={"a.csv": _symlink("b.csv"), "b.csv": _symlink("a.csv")}),
        _case("dataset-symlink-fifo", "a text dataset that is a symlink to a named pipe",
              _dataset({"name": "text_file", "path": "link.txt", "block_size": 8}), recipe_error("link.txt"),
              makers={"pipe": _fifo, "link.txt": _symlink("pipe")}),
        _case("dataset-passwd", "/etc/passwd as a CSV dataset", _dataset({"name": "csv", "path": "/etc/passwd"}),
              recipe_error("/etc/passwd")),
        _case("init-from-dev-zero", "pretrained weights from /dev/zero",
              mutated(lambda d: d["recipe"].update(init_from=[{"file": "/dev/zero"}])),
              {**ALL_OK, "check": ANY, "gui": ANY, "train": refuse("/dev/zero")}),
        _case("init-from-fifo-link", "pretrained weights from a symlink to a named pipe",
              mutated(lambda d: d["recipe"].update(init_from=[{"file": "w.safetensors"}])),
              {**ALL_OK, "check": ANY, "gui": ANY, "train": refuse("w.safetensors")},
              makers={"pipe": _fifo, "w.safetensors": _symlink("pipe")}),
    ]


def recipe_cases() -> list[Case]:
    code = marker_code("recipe")

    def recipe(**changes: Any) -> bytes:
        return mutated(lambda d: d["recipe"].update(changes))

    hook = MARKING_HOOK.format(payload=marker_code("hook-module"), payload2=marker_code("hook"))
    return [
        _case("hook-param-code", "revert_noise sigma holding a statement",
              recipe(hooks=[{"name": "revert_noise", "params": {"sigma": code}}]), recipe_error("sigma")),
        _case("hook-param-key-code", "a hook parameter whose NAME is a statement",
              recipe(hooks=[{"name": "early_stopping", "params": {code: 1}}]), recipe_error("recipe.hooks")),
        _case("hook-name-code", "a hook name that is a statement", recipe(hooks=[{"name": code}]),
              recipe_error("recipe.hooks")),
        _case("hook-missing-entry", "a code hook naming no code entry",
              recipe(hooks=[{"name": "code", "code": "nope"}]), {**recipe_error("nope"), "train": ANY}),
        _case("hook-entry-name-code", "a code hook whose entry name is a statement",
              mutated(lambda d: (d.update(code={"s'\n" + code: hook}),
                                 d["recipe"].update(hooks=[{"name": "code", "code": "s'\n" + code}])) and None),
              untrusted(train_only=True)),
        _case("metric-code", "a metric name that is a statement", recipe(metrics=["accuracy", code]),
              recipe_error("recipe.metrics")),
        _case("loss-name-code", "a loss name that closes a string", recipe(loss={"name": "x')\n" + code + "\n#"}),
              recipe_error("recipe.loss")),
        _case("dataset-name-code", "a dataset name that is a statement", recipe(dataset={"name": code}),
              recipe_error("recipe.dataset")),
        _case("param-group-node-code", "a param_groups node label that is a statement",
              recipe(param_groups=[{"nodes": [code], "lr": 0.1}]), recipe_error("recipe.param_groups")),
        _case("schedule-code", "a schedule name that is a statement", recipe(schedule={"name": code}),
              recipe_error("recipe.schedule")),
        _case("device-code", "a device string that is a statement", recipe(device="cpu'); " + code + "#"),
              recipe_error("recipe.device")),
    ]


def _opaque(target: str, args: Any = "", inputs: str = "x") -> Callable[[dict[str, Any]], None]:
    import json

    encoded = args if isinstance(args, str) else json.dumps(args)
    return lambda d: add_node(d, "n7", "Opaque", "lib", {"target": target, "args": encoded, "inputs": inputs},
                              after="act1", before="drop")


def library_cases() -> list[Case]:
    shell = f"touch {DIR}/PWNED-opaque"
    return [
        _case("opaque-os-system", "an Opaque node whose class is os.system", mutated(_opaque("os.system")),
              graph_error("os.system")),
        _case("opaque-torch-load", "an Opaque node whose class is torch.load", mutated(_opaque("torch.load")),
              graph_error("torch.load")),
        _case("opaque-partial-system", "functools.partial(os.system, ...) as an argument",
              mutated(_opaque("torch.nn.Identity", {"args": [{"$call": "functools.partial",
                                                              "args": [{"$ref": "os.system"}, shell]}]})),
              graph_error("os.system")),
        _case("opaque-hub-load", "torch.hub.load called as an argument",
              mutated(_opaque("torch.nn.Identity", {"args": [{"$call": "torch.hub.load",
                                                              "args": ["evil/repo", "model"]}]})),
              graph_error("torch.hub.load")),
        _case("opaque-load-inline", "torch.utils.cpp_extension.load_inline as the class",
              mutated(_opaque("torch.utils.cpp_extension.load_inline")), graph_error("load_inline")),
        _case("opaque-dunder", "a dunder path", mutated(_opaque("torch.nn.Module.__subclasses__")),
              graph_error("dunder")),
        _case("opaque-inputs-code", "input names that are a statement",
              mutated(_opaque("torch.nn.Identity", inputs="x); " + marker_code("inputs") + " #")),
              {door: ANY for door in ALL_OK}),
        _case("opaque-kwargs-key-code", "a keyword argument name that is a statement",
              mutated(_opaque("torch.nn.Identity", {"kwargs": {"a=1); " + marker_code("kw") + "; (b": 1}})),
              graph_error("lib")),
    ]


def _expr(expr: str) -> bytes:
    return mutated(lambda d: add_node(d, "n7", "Expression", "formula", {"expr": expr}, after="act1",
                                      before="drop"))


def expression_cases() -> list[Case]:
    return [
        _case("expr-mro", "x.__class__.__mro__", _expr("x.__class__.__mro__[1]"), graph_error("formula")),
        _case("expr-import", "__import__ in an Expression", _expr(marker_code("expr") + " or x"),
              graph_error("formula")),
        _case("expr-lambda", "a lambda called at once", _expr("(lambda: x)()"), graph_error("formula")),
        _case("expr-walrus", "an assignment expression", _expr("(y := x) * 2"), {door: ANY for door in ALL_OK}),
        _case("expr-open", "open() in an Expression", _expr("open('/etc/passwd') and x"), graph_error("formula")),
        _case("expr-shift", "x * (1 << 10**9)", _expr("x * (1 << 10**9)"), graph_error("formula")),
        _case("expr-parens", "20,000 nested parentheses", _expr("(" * 20_000 + "x" + ")" * 20_000),
              graph_error("formula")),
        _case("expr-newline", "an Expression with a newline and a statement", _expr("x\n" + marker_code("nl")),
              graph_error("formula")),
        _case("expr-string-mul", "a string multiplied by 10^10", _expr("x * len('a' * 10**10)"),
              graph_error("formula")),
    ]


def structure_cases() -> list[Case]:
    def many(d: dict[str, Any]) -> None:
        for k in range(2000):
            add_node(d, f"m{k}", "ReLU", f"m{k}", after="x")

    return [
        _case("code-entry-number", "a code entry that is a number",
              mutated(lambda d: (d.update(code={"m": 42}), add_node(d, "n7", "Code", "m", {"code": "m"},
                                                                     after="x")) and None), everywhere("code")),
        _case("edge-port-code", "an edge port name that is a statement",
              mutated(lambda d: d["edges"][0].update(dst_port="x'); " + marker_code("port") + "#")),
              graph_error("fc1")),
        _case("two-thousand-dangling", "2,000 dangling ReLUs off the input", mutated(many), ALL_OK),
        _case("output-twice", "two Outputs with one label",
              mutated(lambda d: add_node(d, "n7", "Output", "logits", {}, after="fc1")),
              {door: ANY for door in ALL_OK}),
    ]


def attack_corpus() -> list[Case]:
    cases = (unicode_cases() + number_cases() + nesting_cases() + data_cases() + recipe_cases()
             + library_cases() + expression_cases() + structure_cases())
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases

