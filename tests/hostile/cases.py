"""The hostile corpus: malformed and malicious projects, each with the outcome it must have.

Generated here (never kept as blobs) so every case says what it attacks and
what should happen. Expectations per door: `OK`, or `refuse(names...)`: exit
1 with one `error: <file>: ...` line naming each of `names`. The GUI door
"refuses" when it cannot open the file or shows an error problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.hostile.harness import OK, Case, Expect, refuse
from tests.hostile.projects import (
    MARKING_HOOK,
    MARKING_LOSS,
    add_node,
    base,
    checkpoint_bytes,
    fifo,
    malicious_pickle,
    marker_code,
    marking_module,
    node,
    sparse_text,
    text,
)

ALL_OK = {"check": OK, "py": OK, "onnx": OK, "train": OK, "gui": OK}


def everywhere(*names: str) -> dict[str, Expect]:
    """A file no door can read: every command refuses naming `names`."""
    return {door: refuse(*names) for door in ALL_OK}


def graph_error(*names: str) -> dict[str, Expect]:
    """A model that cannot be built: check, export, train and the editor all say where."""
    return everywhere(*names)


def recipe_error(*names: str, overridden: bool = False) -> dict[str, Expect]:
    """A bad training setting: the code and ONNX export are fine; check, train and the editor refuse.

    `overridden`: the harness's `train --epochs 1` replaces the bad setting, so training works.
    """
    return {"check": refuse(*names), "py": OK, "onnx": OK, "train": OK if overridden else refuse(*names),
            "gui": refuse(*names)}


def untrusted(train_only: bool = False) -> dict[str, Expect]:
    """Code that must not run: the text exports, building the model needs --trust."""
    return {"check": OK, "py": OK, "onnx": OK if train_only else refuse("--trust"), "train": refuse("--trust"),
            "gui": OK}


def memory_error(*names: str) -> dict[str, Expect]:
    return {"check": refuse(*names), "py": OK, "onnx": refuse(*names), "train": refuse(*names),
            "gui": refuse(*names)}


def mutated(mutate: Callable[[dict[str, Any]], Any]) -> bytes:
    """The base project changed in place by `mutate` (its return value is ignored)."""
    data = base()
    mutate(data)
    return text(data)


def _case(name: str, why: str, project: bytes, expect: dict[str, Expect], **kw: Any) -> Case:
    files = {"project.json": project, **kw.pop("files", {})}
    return Case(name, files, expect, why=why, **kw)


# -- the file itself -----------------------------------------------------------------------------------

def file_cases() -> list[Case]:
    good = mutated(lambda d: None)
    deep = b'{"format": "torchcanvas", "version": 1, "ui": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    return [
        _case("empty-file", "an empty file", b"", everywhere("not valid JSON")),
        _case("binary-garbage", "random bytes", bytes(range(256)) * 8, everywhere("UTF-8")),
        _case("truncated-json", "a file cut in half", good[: len(good) // 2], everywhere("not valid JSON", "line")),
        _case("top-level-array", "JSON, but not an object", b"[1, 2, 3]", everywhere("object")),
        _case("wrong-format", "another program's JSON", mutated(lambda d: d.update(format="keras")),
              everywhere("format")),
        _case("newer-version", "written by a newer TorchCanvas", mutated(lambda d: d.update(version=99)),
              everywhere("newer")),
        _case("version-as-text", "version \"1\"", mutated(lambda d: d.update(version="1")), everywhere("version")),
        _case("nan-literal", "#12: NaN literals are accepted by the loader",
              good.replace(b'"p": 0.1', b'"p": NaN'), everywhere("NaN", "nodes[3].params.p", "line")),
        _case("infinity-literal", "#12: Infinity in the recipe",
              good.replace(b'"lr": 0.002', b'"lr": -Infinity'), everywhere("Infinity", "recipe.optimizer.lr")),
        _case("overflowing-float", "1e999 parses as inf", good.replace(b'"lr": 0.002', b'"lr": 1e999'),
              everywhere("1e999", "recipe.optimizer.lr")),
        _case("duplicate-key", "#12: duplicate JSON keys are accepted (the last one silently wins)",
              good.replace(b'"label": "fc2",', b'"label": "fc2", "label": "shadow",'),
              everywhere("appears twice", "nodes[4].label")),
        _case("huge-integer", "a 5000-digit integer (a ValueError from int parsing)",
              good.replace(b'"seed": 0', b'"seed": ' + b"9" * 5000, 1), everywhere("too large")),
        _case("deep-nesting", "100,000 nested arrays", deep, everywhere("nested too deeply")),
        _case("utf8-bom", "#12: a UTF-8 byte-order mark must be accepted", b"\xef\xbb\xbf" + good, ALL_OK),
        _case("unknown-node-type", "a type no catalogue has",
              mutated(lambda d: node(d, "act1").update(type="os.system")), everywhere("unknown node type")),
        _case("duplicate-node-ids", "two nodes with one id",
              mutated(lambda d: node(d, "act1").update(id="n2")), everywhere("already used")),
        _case("giant-label", "a 100,000-character label",
              mutated(lambda d: node(d, "fc1").update(label="a" * 100_000)), everywhere("nodes[1].label")),
        _case("negative-size", "out_features = -1",
              mutated(lambda d: node(d, "fc1")["params"].update(out_features=-1)), everywhere("out_features")),
        _case("size-as-code", "out_features holding a Python statement",
              mutated(lambda d: node(d, "fc1")["params"].update(out_features="128); import os; os.system('x')#")),
              everywhere("out_features")),
        _case("dtype-injection", "an Input dtype that is code",
              mutated(lambda d: node(d, "x")["params"].update(dtype="float32); " + marker_code("dtype") + "#")),
              everywhere("dtype")),
        _case("recipe-not-object", "recipe is a list", mutated(lambda d: d.update(recipe=[1, 2])),
              everywhere("recipe")),
    ]


# -- graph structure, shapes, generated source -----------------------------------------------------------

def _cycle(d: dict[str, Any]) -> None:
    d["edges"].append({"src": "n5", "src_port": "out", "dst": "n2", "dst_port": "x"})


def _self_group(d: dict[str, Any]) -> None:
    d["groups"] = [{"name": "loop", "description": "", "nodes": [
        {"id": "g1", "type": "Input", "label": "x", "params": {}, "position": [0, 0]},
        {"id": "g2", "type": "Group", "label": "inner", "params": {"group": "loop"}, "position": [1, 0]},
        {"id": "g3", "type": "Output", "label": "y", "params": {}, "position": [2, 0]}],
        "edges": [{"src": "g1", "src_port": "out", "dst": "g2", "dst_port": "x"},
                  {"src": "g2", "src_port": "y", "dst": "g3", "dst_port": "x"}]}]
    add_node(d, "n7", "Group", "looped", {"group": "loop"}, after="act1", before="drop", out_port="y")


def _block(description: str, name: str = "block") -> dict[str, Any]:
    return {"name": name, "description": description, "nodes": [
        {"id": f"{name}1", "type": "Input", "label": "x", "params": {}, "position": [0, 0]},
        {"id": f"{name}2", "type": "ReLU", "label": "r", "params": {}, "position": [1, 0]},
        {"id": f"{name}3", "type": "Output", "label": "y", "params": {}, "position": [2, 0]}],
        "edges": [{"src": f"{name}1", "src_port": "out", "dst": f"{name}2", "dst_port": "x"},
                  {"src": f"{name}2", "src_port": "out", "dst": f"{name}3", "dst_port": "x"}]}


def _with_block(description: str, model_description: str = "") -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        d["groups"] = [_block(description)]
        d["description"] = model_description
        add_node(d, "n7", "Group", "blk", {"group": "block"}, after="act1", before="drop", out_port="y")
    return mutate


def _expression(expr: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: add_node(d, "n7", "Expression", "formula", {"expr": expr}, after="act1", before="drop")


def _two_labels(first: str, second: str) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        node(d, "fc1")["label"] = first
        add_node(d, "n7", "Linear", second, {"out_features": 128}, after=first, before="act1")
    return mutate


def _distinct_layers(folder) -> str | None:
    source = (folder / "out" / "model.py").read_text() if (folder / "out" / "model.py").exists() else ""
    layers = [line for line in source.splitlines() if "= nn.Linear(" in line]
    names = {line.split("=")[0].strip() for line in layers}
    return None if len(layers) == 3 and len(names) == 3 else f"expected 3 distinct Linear layers, got {layers}"


def graph_cases() -> list[Case]:
    payload = marker_code("docstring")
    return [
        _case("edge-to-nowhere", "an edge to a node that does not exist",
              mutated(lambda d: d["edges"].append({"src": "n5", "src_port": "out", "dst": "n99", "dst_port": "x"})),
              graph_error("n99")),
        _case("cycle", "fc2 feeds fc1", mutated(_cycle), graph_error("cycle")),
        _case("shape-mismatch", "#12: check says ok for a shape mismatch",
              mutated(lambda d: node(d, "fc2")["params"].update(in_features=7)), graph_error("in_features")),
        _case("kernel-larger-than-input", "#12: check says ok for a kernel larger than its input",
              mutated(lambda d: (node(d, "x")["params"].update(shape=[1, 64]),
                                 add_node(d, "n7", "Conv1d", "conv", {"out_channels": 4, "kernel_size": 99},
                                          after="x", before="fc1")) and None),
              graph_error("conv")),
        _case("group-contains-itself", "a group that instantiates itself", mutated(_self_group),
              graph_error("loop")),
        _case("missing-group", "a Group node naming no group",
              mutated(lambda d: add_node(d, "n7", "Group", "ghost", {"group": "nowhere"}, after="act1",
                                         before="drop", out_port="y")), graph_error("nowhere")),
        _case("output-unconnected", "the Output receives nothing",
              mutated(lambda d: d.update(edges=d["edges"][:-1])), graph_error("logits")),
        _case("negative-input-shape", "Input shape [-64]",
              mutated(lambda d: node(d, "x")["params"].update(shape=[-64])), everywhere("shape")),
        _case("exponent-tower", "#12: an Expression x * 9**9**9**9 hangs export, train and the GUI",
              mutated(_expression("x * 9**9**9**9")), graph_error("formula")),
        _case("expression-import", "an Expression that imports os",
              mutated(_expression(f"x + 0 * len(str({marker_code('expr')})) ")), graph_error("formula")),
        _case("expression-dunder", "an Expression climbing to object's subclasses",
              mutated(_expression("x.__class__.__mro__[-1].__subclasses__()")), graph_error("formula")),
        _case("expression-huge-repeat", "an Expression building a giant list",
              mutated(_expression("x * len([0] * 10**12)")), graph_error("formula")),
        _case("nfkc-twins", "#12: labels 'ﬁ' and 'fi' are one identifier after NFKC: one shared layer",
              mutated(_two_labels("ﬁ", "fi")), ALL_OK, verify=_distinct_layers),
        _case("superscript-label", "#12: a label like a² gives a SyntaxError traceback",
              mutated(lambda d: node(d, "fc1").update(label="a²")), ALL_OK),
        _case("keyword-labels", "labels that are Python keywords and builtins",
              mutated(lambda d: [node(d, a).update(label=b) for a, b in
                                 (("fc1", "class"), ("act1", "None"), ("drop", "self"), ("fc2", "super"))] and None),
              ALL_OK),
        _case("label-with-code", "a label with a newline and a statement",
              mutated(lambda d: node(d, "fc1").update(label="fc1\n" + marker_code("label"))), ALL_OK),
        _case("label-with-quotes", 'a label of """ and \\',
              mutated(lambda d: node(d, "act1").update(label='"""\\')), ALL_OK),
        _case("name-docstring-injection", "#12: a name with \"\"\" and code runs that code in train and onnx",
              mutated(lambda d: d.update(name='x"""\n' + payload + '\n"""')), ALL_OK),
        _case("description-docstring-injection", "#12: the description closes the module docstring",
              mutated(lambda d: d.update(description='"""\n' + payload + '\n"""')), ALL_OK),
        _case("group-description-backslash", "#12: a group description ending in a backslash",
              mutated(_with_block("block\\", payload)), ALL_OK),
        _case("description-ends-in-quote", "#12: a description ending in a quote (SyntaxError traceback)",
              mutated(lambda d: d.update(description='it ends in a quote"')), ALL_OK),
        _case("description-ends-in-backslash", "#12: a description ending in a backslash",
              mutated(lambda d: d.update(description="it ends in a backslash\\")), ALL_OK),
        _case("group-name-injection", "a group whose name is code",
              mutated(lambda d: (_with_block("")(d), d["groups"][0].update(name="b\n" + payload),
                                 node(d, "blk")["params"].update(group="b\n" + payload)) and None), ALL_OK),
    ]


# -- code that must not run ------------------------------------------------------------------------------

def _code_node(d: dict[str, Any], connected: bool, tag: str) -> None:
    d["code"] = {"marked": marking_module(tag)}
    if connected:
        add_node(d, "n7", "Code", "marked", {"code": "marked"}, after="act1", before="drop")
    else:
        add_node(d, "n7", "Code", "marked", {"code": "marked"}, after="x")


def _code_in_group(d: dict[str, Any]) -> None:
    block = _block("")
    block["nodes"].append({"id": "block9", "type": "Code", "label": "m", "params": {"code": "marked"},
                           "position": [1, 1]})
    block["edges"].append({"src": "block1", "src_port": "out", "dst": "block9", "dst_port": "x"})
    d["groups"] = [block]
    d["code"] = {"marked": marking_module("group")}
    add_node(d, "n7", "Group", "blk", {"group": "block"}, after="act1", before="drop", out_port="y")


def trust_cases() -> list[Case]:
    hook = MARKING_HOOK.format(payload=marker_code("hook-module"), payload2=marker_code("hook"))
    loss = MARKING_LOSS.format(payload=marker_code("loss-module"), payload2=marker_code("loss"))
    return [
        _case("dangling-code-node", "#12: an unconnected code node runs module code, __init__ and forward",
              mutated(lambda d: _code_node(d, False, "dangling")), untrusted()),
        _case("connected-code-node", "a code node in the middle of the model",
              mutated(lambda d: _code_node(d, True, "connected")), untrusted()),
        _case("code-node-in-group", "a code node inside a group", mutated(_code_in_group), untrusted()),
        _case("code-hook", "a hook written in Python",
              mutated(lambda d: (d.update(code={"spy": hook}),
                                 d["recipe"].update(hooks=[{"name": "code", "code": "spy"}])) and None),
              untrusted(train_only=True)),
        _case("code-loss", "a loss written in Python",
              mutated(lambda d: (d.update(code={"my_loss": loss}),
                                 d["recipe"].update(loss={"name": "code", "code": "my_loss"})) and None),
              untrusted(train_only=True)),
        _case("disabled-code-hook", "a disabled Python hook does not run: no trust needed",
              mutated(lambda d: (d.update(code={"spy": hook}), d["recipe"].update(
                  hooks=[{"name": "code", "code": "spy", "enabled": False}])) and None), ALL_OK),
        _case("unused-code-entry", "code nothing uses", mutated(lambda d: d.update(code={"x": marking_module("u")})),
              ALL_OK),
        _case("entry-name-injection", "a code entry whose name is a statement",
              mutated(lambda d: (d.update(code={"e\n" + marker_code("entry"): marking_module("entry")}),
                                 add_node(d, "n7", "Code", "m", {"code": "e\n" + marker_code("entry")},
                                          after="x")) and None), untrusted()),
        _case("code-syntax-error", "a code entry that does not parse",
              mutated(lambda d: (d.update(code={"bad": "def (:\n"}),
                                 add_node(d, "n7", "Code", "m", {"code": "bad"}, after="x")) and None),
              {"check": refuse("line 1"), "py": refuse("line 1"), "onnx": refuse(), "train": refuse(),
               "gui": refuse("line 1")}),
    ]


# -- the training recipe -------------------------------------------------------------------------------

def recipe_cases() -> list[Case]:
    def recipe(**changes: Any) -> bytes:
        return mutated(lambda d: d["recipe"].update(changes))

    return [
        _case("zero-epochs", "#12: check says ok for epochs 0", recipe(epochs=0),
              recipe_error("recipe.epochs", overridden=True)),
        _case("negative-lr", "#12: check says ok for lr -1", recipe(optimizer={"name": "adam", "lr": -1}),
              recipe_error("recipe.optimizer.lr")),
        _case("epochs-as-text", "#12: a GUI recipe-panel ValueError on a bad recipe", recipe(epochs="ten"),
              recipe_error("recipe.epochs", overridden=True)),
        _case("batch-size-as-text", "the recipe panel's int() on text; not overridden by the harness",
              recipe(batch_size="sixty-four"), recipe_error("recipe.batch_size")),
        _case("dataset-as-text", "the recipe panel reads dataset.get on a string", recipe(dataset="digits"),
              recipe_error("recipe.dataset")),
        _case("loss-as-text", "the recipe panel reads loss.get on a string", recipe(loss="mse"),
              recipe_error("recipe.loss")),
        _case("unknown-optimizer", "optimizer name that does not exist",
              recipe(optimizer={"name": "os.system"}), recipe_error("recipe.optimizer.name")),
        _case("missing-dataset-file", "#12: check says ok for a dataset path that does not exist",
              recipe(dataset={"name": "csv", "path": "nowhere.csv"}), recipe_error("nowhere.csv")),
        _case("unknown-dataset", "a dataset name nobody knows", recipe(dataset={"name": "imagenet-22k"}),
              recipe_error("imagenet-22k")),
        _case("unknown-hook", "a hook that does not exist", recipe(hooks=[{"name": "rm_rf"}]),
              recipe_error("rm_rf")),
        _case("hooks-garbage", "hooks that are not objects", recipe(hooks=[1, "x", None]),
              recipe_error("recipe.hooks")),
    ]


# -- data files ---------------------------------------------------------------------------------------

def _dataset(spec: dict[str, Any], shape: list[int] | None = None) -> bytes:
    def mutate(d: dict[str, Any]) -> None:
        d["recipe"]["dataset"] = spec
        if shape is not None:
            node(d, "x")["params"].update(shape=shape)
    return mutated(mutate)


def data_cases() -> list[Case]:
    noise = bytes((k * 7919 + 13) % 256 for k in range(60_000))
    return [
        _case("csv-random-bytes", "#12: a CSV dataset of random bytes gives a UnicodeDecodeError traceback",
              _dataset({"name": "csv", "path": "noise.csv"}), recipe_error("noise.csv", "line"),
              files={"noise.csv": noise}),
        _case("text-1gib-bad-line-3", "#12: a 1 GB text dataset is read whole before its first bad line",
              _dataset({"name": "text_file", "path": "huge.txt", "block_size": 8}),
              recipe_error("huge.txt", "line 3"), makers={"huge.txt": sparse_text}),
        _case("dataset-is-a-fifo", "a dataset path that is a named pipe (open() would block for ever)",
              _dataset({"name": "csv", "path": "pipe.csv"}), recipe_error("pipe.csv"), makers={"pipe.csv": fifo}),
        _case("dataset-is-dev-zero", "a text dataset that never ends",
              _dataset({"name": "text_file", "path": "/dev/zero", "block_size": 8}), recipe_error("/dev/zero")),
        _case("dataset-is-a-folder", "a CSV path that is a folder",
              _dataset({"name": "csv", "path": "home"}), recipe_error("home")),
        _case("npz-with-pickle", "an .npz whose array is a pickled object",
              _dataset({"name": "npz", "path": "data.npz"}), recipe_error("data.npz"),
              makers={"data.npz": _pickled_npz}),
        _case("init-from-pickle", "pretrained weights that are a malicious pickle",
              mutated(lambda d: d["recipe"].update(init_from=[{"file": "weights.pt"}])),
              {"check": OK, "py": OK, "onnx": OK, "train": refuse("weights.pt"), "gui": OK},
              makers={"weights.pt": malicious_pickle("init")}),
    ]


def _pickled_npz(path) -> None:
    import numpy as np

    np.savez(path, x=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    path.rename(path.with_suffix(".npz.tmp"))
    path.with_suffix(".npz.tmp").rename(path)


# -- memory ---------------------------------------------------------------------------------------------

def memory_cases() -> list[Case]:
    def wide(d: dict[str, Any]) -> None:
        node(d, "fc1")["params"].update(out_features=100_000)
        add_node(d, "n7", "Linear", "wide", {"out_features": 100_000}, after="drop", before="fc2")

    return [
        _case("40gb-linear", "#12: Linear(64→100,000)→Linear(100,000→100,000) allocates 40 GB in train",
              mutated(wide), memory_error("memory")),
        _case("tera-feature-linear", "#12: check says ok for a 10^12-feature Linear",
              mutated(lambda d: node(d, "fc1")["params"].update(out_features=10**12)), memory_error("memory")),
    ]


# -- resuming and importing ----------------------------------------------------------------------------

def _resume(name: str, why: str, files: dict[str, bytes] | None = None,
            makers: dict[str, Callable] | None = None, target: str = "ck.safetensors") -> Case:
    expect = {**ALL_OK, "train": refuse(target.split(".")[0])}
    return _case(name, why, mutated(lambda d: None), expect, files=files or {}, makers=makers or {},
                 train_args=("--resume", target))


IMPORTABLE = b'''from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)
'''


def resume_and_import_cases() -> list[Case]:
    good = checkpoint_bytes()
    return [
        _resume("resume-pickle", "#12: train --resume with a pickle (UnpicklingError traceback)",
                makers={"ck.safetensors": malicious_pickle("resume")}),
        _resume("resume-random-bytes", "train --resume with random bytes (ExportError traceback)",
                files={"ck.safetensors": bytes(range(256)) * 64}),
        _resume("resume-truncated", "a checkpoint cut in half by a kill", files={"ck.safetensors": good[: len(good) // 2]}),
        _resume("resume-legacy-damaged-state", "an old-style checkpoint whose .state.pt is damaged",
                files={"ck.safetensors": checkpoint_bytes(weights_only=True), "ck.state.pt": b"PK\x03\x04 cut"}),
        _resume("resume-missing", "a checkpoint that does not exist"),
        _case("import-weights-pickle", "#12: import --weights with a pickle",
              mutated(lambda d: None), ALL_OK, files={"net.py": IMPORTABLE},
              makers={"w.pt": malicious_pickle("import")},
              extra=(("import", ("import", "{dir}/net.py:Net", "--input-shape", "4", "--weights", "{dir}/w.pt",
                                 "-o", "{dir}/out/imported.json"), refuse("w.pt")),)),
    ]


# -- odd but valid ----------------------------------------------------------------------------------------

def _chain(d: dict[str, Any], n: int) -> None:
    previous = "act1"
    for k in range(n):
        add_node(d, f"c{k}", "ReLU", f"r{k}", after=previous, before="drop")
        previous = f"r{k}"


def valid_cases() -> list[Case]:
    return [
        _case("ui-garbage", "UI state that is nonsense is safe to lose",
              mutated(lambda d: d.update(ui={"zoom": "x", "center": "nowhere", "docks": [None]})), ALL_OK),
        _case("extreme-positions", "nodes at ±1e308",
              mutated(lambda d: [n.update(position=[1e308 * (-1) ** k, -1e308]) for k, n in
                                 enumerate(d["nodes"])] and None), ALL_OK),
        _case("long-chain", "300 ReLUs in a row", mutated(lambda d: _chain(d, 300)), ALL_OK),
        _case("bidi-and-emoji-labels", "right-to-left override and emoji in labels",
              mutated(lambda d: (node(d, "fc1").update(label="\u202efc1\u202c"),
                                 node(d, "act1").update(label="🔥"),
                                 node(d, "drop").update(label="\x00drop")) and None), ALL_OK),
        _case("megabyte-description", "a 1 MB description", mutated(lambda d: d.update(description="word " * 200_000)),
              ALL_OK),
        _case("control-character-name", "a name made of control characters",
              mutated(lambda d: d.update(name="\x1b[31m\r\x0b\x0c\u2028\u2029")), ALL_OK),
    ]


def corpus() -> list[Case]:
    cases = (file_cases() + graph_cases() + trust_cases() + recipe_cases() + data_cases() + memory_cases()
             + resume_and_import_cases() + valid_cases())
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


def manifest() -> str:
    """One line per case: name, expectation and the observation it reproduces (for the closing note)."""
    lines = []
    for c in corpus():
        expect = ", ".join(f"{k}={v.outcome}" + (f"[{'/'.join(v.names)}]" if v.names else "")
                           for k, v in c.expect.items())
        lines.append(json.dumps({"case": c.name, "why": c.why, "expect": expect}, ensure_ascii=False))
    return "\n".join(lines)
