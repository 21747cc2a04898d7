"""Writing what the compiler made: the .py module, the weights, an ONNX graph."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from codegen.compiler import Compiled
from codegen.summary import example_inputs
from codegen.tensor_file import write_tensors
from graph.atomicfile import atomic_path
from graph.document import Document


class ExportError(Exception):
    """An export that cannot be written; the message says why."""


def export_python(compiled: Compiled, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(compiled.source, encoding="utf-8")
    return path


#: Checkpoint entries that are not weights (optimizer state) start with this; no parameter name does.
STATE_PREFIX = "@"


def weight_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict as plain CPU tensors, shared tensors once (safetensors refuses aliases)."""
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    seen: dict[int, str] = {}
    unique = {}
    for name, tensor in state.items():
        key = tensor.data_ptr()
        if key in seen and tensor.numel() > 0:
            continue
        seen[key] = name
        unique[name] = tensor
    return unique


def shared_names(model: nn.Module) -> dict[str, list[str]]:
    """State-dict name → every name holding the same tensor (tied weights); only names that share."""
    by_tensor: dict[int, list[str]] = {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        if tensor.numel():
            by_tensor.setdefault(id(tensor), []).append(name)
    return {name: names for names in by_tensor.values() if len(names) > 1 for name in names}


def truly_missing(model: nn.Module, missing: list[str], state: dict[str, torch.Tensor]) -> list[str]:
    """`missing` less the tied names whose tensor was loaded under another of its names."""
    aliases = shared_names(model)
    return [k for k in missing if not any(a in state for a in aliases.get(k, ()))]


def save_weights(model: nn.Module, path: str | Path) -> Path:
    """safetensors, never pickle; written atomically (a kill leaves the old file or the new one)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        write_tensors(weight_tensors(model), tmp, {"format": "pt", "producer": "torchcanvas"})
    return path


def apply_weights(model: nn.Module, state: dict[str, torch.Tensor], path: str | Path,
                  strict: bool = True) -> list[str]:
    """Loads a state dict read from `path`; errors name the file and what does not fit."""
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:
        sizes = [line.strip() for line in str(exc).splitlines() if "size mismatch" in line][:3]
        raise ExportError(f"{path}: weights do not fit the model ({'; '.join(sizes) or exc})") from None
    result.missing_keys[:] = truly_missing(model, result.missing_keys, state)
    if strict and (result.missing_keys or result.unexpected_keys):
        problems = []
        if result.missing_keys:
            problems.append(f"missing {', '.join(result.missing_keys[:5])}")
        if result.unexpected_keys:
            problems.append(f"unexpected {', '.join(result.unexpected_keys[:5])}")
        raise ExportError(f"{path}: weights do not fit the model ({'; '.join(problems)})")
    return list(result.missing_keys)


def load_weights(model: nn.Module, path: str | Path, strict: bool = True) -> list[str]:
    """Loads safetensors weights (a checkpoint's too); returns the missing names (strict=False) or raises."""
    try:
        state = load_file(str(path))
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear message
        raise ExportError(f"{path}: cannot read weights ({str(exc).splitlines()[0][:200] if str(exc) else exc!r}); "
                          "a .safetensors file is expected") from None
    state = {k: v for k, v in state.items() if not k.startswith(STATE_PREFIX)}
    return apply_weights(model, state, path, strict)


def export_onnx(doc: Document, compiled: Compiled, model: nn.Module, path: str | Path) -> Path:
    """ONNX with a dynamic batch dimension, named inputs and outputs."""
    path = Path(path)
    model = model.eval()
    inputs = tuple(example_inputs(doc, batch=2))
    dynamic = {name: {0: "batch"} for name in compiled.input_names}
    try:
        torch.onnx.export(model, inputs, str(path), input_names=compiled.input_names,
                          output_names=compiled.output_names, dynamic_axes=dynamic, dynamo=False)
    except Exception as exc:  # noqa: BLE001 - the exporter raises many types; say which op failed
        raise ExportError(f"ONNX export failed: {str(exc).splitlines()[0][:300]}") from None
    return path


def export_torch_export(doc: Document, model: nn.Module, path: str | Path) -> Path:
    """A `torch.export` program (.pt2) with a dynamic batch dimension."""
    path = Path(path)
    inputs = tuple(example_inputs(doc, batch=2))
    batch = torch.export.Dim("batch", min=1)
    try:
        program = torch.export.export(model.eval(), inputs, dynamic_shapes=tuple({0: batch} for _ in inputs))
        torch.export.save(program, str(path))
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"torch.export failed: {str(exc).splitlines()[0][:300]}") from None
    return path
