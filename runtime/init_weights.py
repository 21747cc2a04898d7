"""Pretrained weights to start from (recipe.init_from): a safetensors file or a Hugging Face model folder.

A Hugging Face folder (config.json beside model.safetensors) names weights as
the original module did (`transformer.h.0.attn.c_attn.weight`); the entry's
`rename` maps prefixes of those names to the imported model's attribute paths,
as the importer found them (the longest matching prefix wins). A tied weight
the folder leaves out (GPT-2's `lm_head.weight`) is not missing: it loads
through the tensor it shares (`codegen.export.truly_missing`).
"""

from __future__ import annotations

from pathlib import Path

import torch

#: The one weights file a Hugging Face model folder holds (sharded checkpoints are not read).
FOLDER_WEIGHTS = "model.safetensors"


class InitFileError(ValueError):
    """The entry's file cannot give weights; the message names the file and why."""


def weights_file(path: Path) -> Path:
    """`path` itself, or a Hugging Face folder's model.safetensors."""
    if path.is_dir():
        inner = path / FOLDER_WEIGHTS
        if not inner.is_file():
            sharded = " (sharded checkpoints are not read)" if any(path.glob("model-*.safetensors")) else ""
            raise InitFileError(f"{path} is a folder without {FOLDER_WEIGHTS}{sharded}")
        return inner
    if path.exists() and not path.is_file():
        raise InitFileError(f"{path} is not a regular file (a device or a pipe cannot hold weights)")
    return path


def renamed(state: dict[str, torch.Tensor], rename: dict[str, str]) -> dict[str, torch.Tensor]:
    """The state with each name's longest prefix in `rename` replaced (whole dotted parts only)."""
    if not rename:
        return state
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        best = max((p for p in rename if not p or key == p or key.startswith(p + ".")), key=len, default=None)
        if best is None:
            out[key] = value
            continue
        rest = key[len(best):].lstrip(".")
        target = rename[best]
        out[f"{target}.{rest}" if target and rest else target or rest] = value
    return out


def read_init_state(path: Path, rename: dict[str, str]) -> dict[str, torch.Tensor]:
    """The weights an init_from entry names, under the model's names; InitFileError when unreadable."""
    from safetensors.torch import load_file

    file = weights_file(path)
    try:
        state = load_file(str(file))
    except Exception as exc:  # noqa: BLE001 - any unreadable file: one clear message
        raise InitFileError(f"cannot read {file}: {exc}") from None
    return renamed(state, rename)


def with_tied_names(state: dict[str, torch.Tensor], compiled, module: str) -> dict[str, torch.Tensor]:
    """`state` plus the tied names it leaves out, for a strict `load_state_dict` in an exported train.py.

    The model is built on the meta device only to learn which of its names share a tensor.
    """
    from codegen import build_from_compiled
    from codegen.export import shared_names

    with torch.device("meta"):
        model = build_from_compiled(compiled)
    part = model.get_submodule(module) if module else model
    out = dict(state)
    for name, aliases in shared_names(part).items():
        given = next((a for a in aliases if a in state), None)
        if name not in out and given is not None:
            out[name] = state[given].clone()
    return out
