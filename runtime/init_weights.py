"""Pretrained weights to start from (recipe.init_from): a safetensors file or a Hugging Face model folder.

A Hugging Face folder (config.json beside model.safetensors, or beside
model.safetensors.index.json and the shards it lists) names weights as
the original module did (`transformer.h.0.attn.c_attn.weight`); the entry's
`rename` maps prefixes of those names to the imported model's attribute paths,
as the importer found them (the longest matching prefix wins). A tied weight
the folder leaves out (GPT-2's `lm_head.weight`) is not missing: it loads
through the tensor it shares (`codegen.export.truly_missing`).
"""

from __future__ import annotations

from pathlib import Path

import torch

#: The one weights file of a Hugging Face model folder, and the index of a sharded one.
FOLDER_WEIGHTS = "model.safetensors"
FOLDER_INDEX = "model.safetensors.index.json"


class InitFileError(ValueError):
    """The entry's file cannot give weights; the message names the file and why."""


def weights_file(path: Path) -> Path:
    """`path` itself, or a Hugging Face folder's model.safetensors (a sharded folder: its index)."""
    if path.is_dir():
        inner = path / FOLDER_WEIGHTS
        if inner.is_file():
            return inner
        if (path / FOLDER_INDEX).is_file():
            return path / FOLDER_INDEX
        raise InitFileError(f"{path} is a folder without {FOLDER_WEIGHTS} or {FOLDER_INDEX}")
    if path.exists() and not path.is_file():
        raise InitFileError(f"{path} is not a regular file (a device or a pipe cannot hold weights)")
    return path


def shard_files(index: Path) -> list[Path]:
    """The shards a sharded checkpoint's index names (in its folder), in order; InitFileError when it is
    not an index Hugging Face writes or a shard is missing."""
    import json

    try:
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        names = list(dict.fromkeys(weight_map.values()))
    except Exception as exc:  # noqa: BLE001 - any unreadable index: one clear message
        raise InitFileError(f"cannot read {index}: not a sharded checkpoint's index ({exc})") from None
    shards = []
    for name in names:
        # only files beside the index: a name is never a path out of the folder
        if not isinstance(name, str) or Path(name).name != name or not name.endswith(".safetensors"):
            raise InitFileError(f"{index}: {name!r} is not a .safetensors file in the checkpoint's folder")
        shard = index.parent / name
        if not shard.is_file():
            raise InitFileError(f"{index} names {name}, which is not in {index.parent}")
        shards.append(shard)
    return shards


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
    state: dict[str, torch.Tensor] = {}
    for part in shard_files(file) if file.name == FOLDER_INDEX else [file]:
        try:
            state.update(load_file(str(part)))
        except Exception as exc:  # noqa: BLE001 - any unreadable file: one clear message
            raise InitFileError(f"cannot read {part}: {exc}") from None
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
