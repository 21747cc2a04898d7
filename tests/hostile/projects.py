"""Building blocks of hostile cases: a good project to spoil, payloads that leave a marker, data files.

Every payload writes a file named PWNED-* into the case's folder when it
runs; the harness fails any case that leaves one. Case folders are made at
test time, so payloads name them by a placeholder that `materialise`
replaces with the real absolute path.
"""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

from app.launch import EXAMPLE

#: Replaced by the case folder's absolute path when the files are written.
DIR = "@@CASE_DIR@@"


def marker_code(tag: str) -> str:
    """A Python statement that leaves PWNED-<tag> in the case folder."""
    return f"__import__('pathlib').Path({DIR + '/PWNED-' + tag!r}).write_text('ran')"


def base() -> dict[str, Any]:
    """The bundled digits MLP: x(64) → fc1 → act1 → drop → fc2 → logits, trained on sklearn digits."""
    return copy.deepcopy(json.loads(EXAMPLE.read_text()))


def node(data: dict[str, Any], label: str) -> dict[str, Any]:
    return next(n for n in data["nodes"] if n["label"] == label)


def add_node(data: dict[str, Any], nid: str, type_: str, label: str, params: dict[str, Any] | None = None,
             after: str | None = None, before: str | None = None, out_port: str = "out") -> dict[str, Any]:
    """Adds a node; with `after`/`before` (labels) it is spliced into that edge (or hung off `after`).

    `out_port`: the new node's output port (a Group's is its Output's label).
    """
    new = {"id": nid, "type": type_, "label": label, "params": params or {}, "position": [0.0, 300.0]}
    data["nodes"].append(new)
    ids = {n["label"]: n["id"] for n in data["nodes"]}
    if after and before:
        edge = next(e for e in data["edges"] if e["src"] == ids[after] and e["dst"] == ids[before])
        data["edges"].append({"src": nid, "src_port": out_port, "dst": edge["dst"], "dst_port": edge["dst_port"]})
        edge["dst"], edge["dst_port"] = nid, "x"
    elif after:
        data["edges"].append({"src": ids[after], "src_port": "out", "dst": nid, "dst_port": "x"})
    return new


def text(data: Any) -> bytes:
    return json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8")


def materialise(files: dict[str, bytes], folder: Path) -> dict[str, bytes]:
    return {k: v.replace(DIR.encode(), str(folder).encode()) for k, v in files.items()}


MARKING_MODULE = '''import pathlib

{payload}

import torch
from torch import nn


class Marked(nn.Module):
    def __init__(self):
        super().__init__()
        {payload2}

    def forward(self, x):
        {payload3}
        return x
'''


def marking_module(tag: str) -> str:
    return MARKING_MODULE.format(payload=marker_code(tag + "-module"), payload2=marker_code(tag + "-init"),
                                 payload3=marker_code(tag + "-forward"))


MARKING_HOOK = '''{payload}


class Spy(Callback):
    def on_fit_start(self, trainer):
        {payload2}
'''

MARKING_LOSS = '''import torch.nn.functional as F

{payload}


def loss(output, target):
    {payload2}
    return F.cross_entropy(output, target)
'''


class _Reduce:
    """Pickles to a call that leaves a marker when unpickled by a plain pickle.load."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        import os

        return (os.system, (f"echo ran > '{self.path}'",))


def malicious_pickle(tag: str):
    """A maker: the pickle names the case folder's absolute path, so it is made in place."""
    def make(path: Path) -> None:
        path.write_bytes(pickle.dumps({"weight": _Reduce(path.parent / f"PWNED-{tag}")}, protocol=4))
    return make


def checkpoint_bytes(weights_only: bool = False) -> bytes:
    """A real checkpoint of the digits MLP's weights and Adam state (or, old style, its weights alone)."""
    import tempfile
    from types import SimpleNamespace

    import torch

    from codegen.export import save_weights
    from runtime.checkpoint import save_checkpoint

    model = torch.nn.Module()
    model.fc1 = torch.nn.Linear(64, 128)
    model.fc2 = torch.nn.Linear(128, 10)
    optimizer = torch.optim.Adam(model.parameters())
    trainer = SimpleNamespace(model=model, optimizer=optimizer, scheduler=None, step=3, epoch=1, last_eval={})
    with tempfile.TemporaryDirectory() as folder:
        if weights_only:
            return save_weights(model, Path(folder) / "w.safetensors").read_bytes()
        return save_checkpoint(trainer, Path(folder), "ck").read_bytes()


def sparse_text(path: Path, bad_line: int = 3, size: int = 1 << 30) -> None:
    """1 GiB that costs no disk: a few lines, a byte that is not UTF-8, then a hole of zeros."""
    with path.open("wb") as f:
        for k in range(1, bad_line):
            f.write(f"line {k}\n".encode())
        f.write(b"bad \xff byte\n")
        f.truncate(size)


def fifo(path: Path) -> None:
    import os

    os.mkfifo(path)
