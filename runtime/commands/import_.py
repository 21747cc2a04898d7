"""`torchcanvas import FILE.py:Class --input-shape 3,32,32 [--input-dtype long] -o PROJECT`."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from codegen import CompileError, build_from_compiled, compile_document
from codegen.export import save_weights, truly_missing
from codegen.importer import (
    ImportFailed,
    example_inputs,
    import_module,
    record_constructors,
    transfer_weights,
)
from codegen.importer.report import ImportSummary, compare, count
from graph import save
from runtime.report import print_error


def load_class(spec: str) -> type:
    """The class `Class` defined in `FILE.py`; ImportFailed with one line otherwise."""
    if ":" not in spec:
        raise ImportFailed(f"expected FILE.py:ClassName, got {spec!r}")
    file, name = spec.rsplit(":", 1)
    path = Path(file)
    if not path.is_file():
        raise ImportFailed(f"{file}: no such file")
    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportFailed(f"{file}: not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[path.stem] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the user's file failed; say so with its message
        raise ImportFailed(f"{file}: importing it failed: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, name, None)
    if cls is None:
        classes = sorted(k for k, v in vars(module).items() if isinstance(v, type) and issubclass(v, nn.Module)
                         and v.__module__ == module.__name__)
        hint = f" (it defines {', '.join(classes)})" if classes else ""
        raise ImportFailed(f"{file} defines no {name!r}{hint}")
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ImportFailed(f"{file}: {name} is not an nn.Module subclass")
    return cls


def load_state(path: str) -> dict:
    """A state dict from safetensors, or from a .pt read with weights_only=True (a pickle runs nothing)."""
    try:
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file

            return load_file(path)
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - UnpicklingError, a truncated file...: one line naming it
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ImportFailed(f"{path}: not readable weights ({first}); save a state_dict as .safetensors, or "
                           "with torch.save(model.state_dict())") from None
    if not isinstance(state, dict):
        raise ImportFailed(f"{path}: holds a {type(state).__name__}, not a state_dict")
    return state


def construct(cls: type, kwargs: dict[str, Any]) -> nn.Module:
    """Builds the user's model while recording every submodule's constructor arguments."""
    try:
        with record_constructors():
            return cls(**kwargs)
    except TypeError as exc:
        raise ImportFailed(f"{cls.__name__}(): {exc} (give them with --args as JSON)") from None
    except Exception as exc:  # noqa: BLE001 - the user's constructor failed
        raise ImportFailed(f"{cls.__name__}(): {type(exc).__name__}: {exc}") from None


def load_into(module: nn.Module, path: str) -> None:
    state = load_state(path)
    try:
        result = module.load_state_dict(state, strict=False)
    except RuntimeError as exc:
        sizes = [line.strip() for line in str(exc).splitlines() if "size mismatch" in line][:2]
        raise ImportFailed(f"{path}: weights do not fit {type(module).__name__} ({'; '.join(sizes) or exc})") \
            from None
    result.missing_keys[:] = truly_missing(module, result.missing_keys, state)
    if result.missing_keys or result.unexpected_keys:
        parts = []
        if result.missing_keys:
            parts.append(f"missing {', '.join(result.missing_keys[:3])}")
        if result.unexpected_keys:
            parts.append(f"unexpected {', '.join(result.unexpected_keys[:3])}")
        raise ImportFailed(f"{path}: weights do not fit {type(module).__name__} ({'; '.join(parts)})")


def parse_shape(text: str) -> list[int]:
    try:
        dims = [int(d) for d in text.replace(" ", "").split(",") if d]
    except ValueError:
        raise ImportFailed(f"input shape {text!r}: expected numbers separated by commas, e.g. 3,32,32") from None
    if not dims or any(d <= 0 for d in dims):
        raise ImportFailed(f"input shape {text!r}: expected positive sizes, e.g. 3,32,32")
    return dims


def import_file(spec: str, shapes: list[str], dtypes: list[str] | None = None, args_json: str | None = None,
                weights: str | None = None) -> tuple[Any, nn.Module, nn.Module, ImportSummary]:
    """Everything `torchcanvas import` and the GUI dialog do: (document, original, rebuilt model, summary)."""
    start = time.perf_counter()
    cls = load_class(spec)
    try:
        kwargs = json.loads(args_json) if args_json else {}
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"--args: not JSON ({exc.msg}, column {exc.colno})") from None
    original = construct(cls, kwargs).eval()
    if weights:
        load_into(original, weights)
    dims = [parse_shape(s) for s in shapes]
    inputs = example_inputs(dims, [{"long": "int64"}.get(d, d) for d in dtypes] if dtypes else None)
    doc, origin = import_module(original, name=cls.__name__, inputs=inputs)
    _keep_metadata(doc, cls)
    compiled = compile_document(doc, trusted=True)
    model = build_from_compiled(compiled)
    missing = transfer_weights(original, origin, compiled, model)
    if missing:
        raise ImportFailed(f"weights not placed: {', '.join(missing[:5])} (a TorchCanvas bug; please report it)")
    diff = compare(original, model, inputs)
    nodes, groups, opaque = count(doc)
    summary = ImportSummary(cls.__name__, nodes, groups, opaque, diff, time.perf_counter() - start,
                            tuple(origin.notes))
    return doc, original, model, summary


def _keep_metadata(doc: Any, cls: type) -> None:
    """A file TorchCanvas exported carries its project's name, description and recipe: keep them."""
    from codegen.metadata import read_metadata

    meta = read_metadata(sys.modules.get(cls.__module__))
    if meta:
        doc.name = meta.get("name", doc.name)
        doc.description = meta.get("description", doc.description)
        doc.recipe = meta.get("recipe", doc.recipe)


def run(args: argparse.Namespace) -> int:
    try:
        if args.input_dtype and len(args.input_dtype) != len(args.input_shape):
            raise ImportFailed("give one --input-dtype per --input-shape (or none)")
        doc, _, model, summary = import_file(args.module, args.input_shape, args.input_dtype, args.args,
                                              args.weights)
    except (ImportFailed, CompileError) as exc:
        return print_error(args.module.rsplit(":", 1)[0], exc)
    out = Path(args.output)
    save(doc, out)
    weights = out.with_suffix(".safetensors")
    save_weights(model, weights)
    print(f"wrote {out} and {weights.name}: {summary.line()}")
    for note in summary.notes:
        print(f"note: {note}")
    return 0
