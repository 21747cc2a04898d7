"""`torchcanvas import FILE.py:Class --input-shape 3,32,32 -o PROJECT`: trace a PyTorch module into a project."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import torch

from codegen import CompileError, build_from_compiled, compile_document
from codegen.export import save_weights
from codegen.importer import ImportFailed, import_module, transfer_weights
from graph import save


def load_class(spec: str):
    if ":" not in spec:
        raise ImportFailed(f"expected FILE.py:ClassName, got {spec!r}")
    file, name = spec.rsplit(":", 1)
    path = Path(file)
    if not path.exists():
        raise ImportFailed(f"{file}: no such file")
    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[path.stem] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the user's file failed; say so with its message
        raise ImportFailed(f"{file}: importing it failed: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, name):
        raise ImportFailed(f"{file} defines no {name!r}")
    return getattr(module, name)


def load_state(path: str) -> dict:
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, weights_only=True, map_location="cpu")


def run(args: argparse.Namespace) -> int:
    try:
        cls = load_class(args.module)
        kwargs = json.loads(args.args) if args.args else {}
        original = cls(**kwargs).eval()
        if args.weights:
            original.load_state_dict(load_state(args.weights))
        shapes = [[int(d) for d in s.split(",")] for s in args.input_shape]
        doc, origin = import_module(original, shapes, name=cls.__name__)
        compiled = compile_document(doc, trusted=True)
    except (ImportFailed, CompileError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = Path(args.output)
    save(doc, out)
    print(f"wrote {out}: {len(doc.graph.nodes)} nodes, {len(doc.groups)} groups, {len(doc.code)} code entries")
    if args.weights:
        model = build_from_compiled(compiled)
        missing = transfer_weights(original, origin, compiled.attributes, model)
        if missing:
            print(f"warning: weights not placed: {', '.join(missing[:5])}", file=sys.stderr)
        weights = out.with_suffix(".safetensors")
        save_weights(model, weights)
        print(f"wrote {weights} (weights in the generated model's names)")
    return 0
