"""Rebuilds exported models in a process of their own: load an exported .py and its safetensors, run it on saved
inputs, save the outputs.

    python rebuild.py MODEL.py CLASS WEIGHTS.safetensors INPUTS.safetensors OUTPUTS.safetensors
    python rebuild.py --serve    (one request per line on stdin: the five arguments as a JSON list;
                                  answers "ok" or "error: …" on one line)

The zoo starts one serving process for the whole session: it never imports the original models (only torch and
safetensors), and each exported file is loaded as a module of its own name, so every model still stands alone;
starting Python and torch once instead of once per model saves about 20 s per model under load.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback

import torch
from safetensors.torch import load_file, save_file


def main(path: str, class_name: str, weights: str, inputs: str, outputs: str, module_name: str = "exported_model"
         ) -> None:
    spec = importlib.util.spec_from_file_location(module_name, path)
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


def serve() -> None:
    for k, line in enumerate(sys.stdin):
        try:
            main(*json.loads(line), module_name=f"exported_model_{k}")
            answer = "ok"
        except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails with it
            answer = "error: " + json.dumps("".join(traceback.format_exception(exc)))
        print(answer, flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main(*sys.argv[1:6])
