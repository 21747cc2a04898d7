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
    tied = [k for k in result.missing_keys if k not in state]
    assert not result.unexpected_keys, result.unexpected_keys
    assert not tied, f"missing weights: {tied[:5]}"
    model.eval()
    given = load_file(inputs)
    with torch.no_grad():
        out = model(*[given[f"x{k}"] for k in range(len(given))])
    outs = out if isinstance(out, (tuple, list)) else [out]
    save_file({f"y{k}": t.contiguous() for k, t in enumerate(outs)}, outputs)


if __name__ == "__main__":
    main(*sys.argv[1:6])
