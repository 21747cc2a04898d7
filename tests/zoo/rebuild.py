"""Run in a fresh process: load an exported .py and its safetensors, run it on saved inputs, save the outputs.

    python rebuild.py MODEL.py CLASS WEIGHTS.safetensors INPUTS.safetensors OUTPUTS.safetensors
"""

from __future__ import annotations

import importlib.util
import sys

import torch
from safetensors.torch import load_file, save_file


def main(path: str, class_name: str, weights: str, inputs: str, outputs: str) -> None:
    spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, class_name)()
    state = load_file(weights)
    result = model.load_state_dict(state, strict=False)
    assert not result.unexpected_keys, result.unexpected_keys
    # a tied weight is saved once: its other names are loaded through the one tensor they share
    by_tensor: dict[int, list[str]] = {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        by_tensor.setdefault(id(tensor), []).append(name)
    shared = {n: names for names in by_tensor.values() for n in names}
    missing = [k for k in result.missing_keys if not any(a in state for a in shared[k])]
    assert not missing, f"missing weights: {missing[:5]}"
    model.eval()
    given = load_file(inputs)
    with torch.no_grad():
        out = model(*[given[f"x{k}"] for k in range(len(given))])
    outs = out if isinstance(out, (tuple, list)) else [out]
    save_file({f"y{k}": t.contiguous() for k, t in enumerate(outs)}, outputs)


if __name__ == "__main__":
    main(*sys.argv[1:6])
