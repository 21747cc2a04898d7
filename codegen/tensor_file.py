"""Writing a safetensors file in one pass: the header, then every tensor's bytes straight from its memory.

`safetensors.torch.save_file` checks and converts each tensor in Python
(shared storage, numpy arrays through ctypes) before its writer runs: ~25 µs a
tensor, which made most of a small model's checkpoint (weights, Adam's two
moments and step per parameter). The format is a public one: an 8-byte
little-endian header length, a JSON header (`__metadata__`, then each tensor's
dtype, shape and byte offsets) padded with spaces to 8 bytes, then the data.
Tensors are laid out as safetensors lays them out (the widest dtypes first,
then by name), so the data stays aligned; any safetensors reader loads the file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

#: torch dtype → (safetensors dtype name, bytes per element).
DTYPES = {
    torch.float64: ("F64", 8), torch.float32: ("F32", 4), torch.float16: ("F16", 2), torch.bfloat16: ("BF16", 2),
    torch.int64: ("I64", 8), torch.int32: ("I32", 4), torch.int16: ("I16", 2), torch.int8: ("I8", 1),
    torch.uint8: ("U8", 1), torch.bool: ("BOOL", 1), torch.complex64: ("C64", 8),
}


def write_tensors(tensors: dict[str, torch.Tensor], path: str | Path, metadata: dict[str, str] | None = None) -> None:
    """Writes `tensors` (contiguous CPU tensors that share no memory) and `metadata` as a safetensors file.

    Anything this writer does not know (another dtype, a big-endian machine) goes through `save_file`.
    """
    if sys.byteorder != "little" or any(t.dtype not in DTYPES for t in tensors.values()):
        save_file(tensors, str(path), metadata=metadata)
        return
    order = sorted(tensors, key=lambda name: (-DTYPES[tensors[name].dtype][1], name))
    header: dict[str, object] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    data = []
    for name in order:
        tensor = tensors[name]
        if not tensor.is_contiguous() or tensor.device.type != "cpu":
            raise ValueError(f"tensor {name!r} must be a contiguous CPU tensor")
        size = tensor.numel() * DTYPES[tensor.dtype][1]
        header[name] = {"dtype": DTYPES[tensor.dtype][0], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
        if size:
            data.append(tensor.reshape(-1).view(torch.uint8).numpy())
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        for chunk in data:
            f.write(chunk)
