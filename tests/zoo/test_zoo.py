"""Issue 14's zoo: each model imports, passes check, exports, rebuilds in a fresh process with the same
outputs (eval mode, atol 1e-5), and export → import → export is a fixed point (same text, same keys)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from codegen import build_from_compiled, compile_document
from codegen.catalogue import registry
from codegen.export import save_weights
from codegen.importer import import_module, transfer_weights
from codegen.importer.report import ImportSummary, count, max_abs_diff
from graph.validate import validate
from tests.codegen.roundtrip import reimport
from tests.zoo.models import ZOO, build

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("entry", ZOO, ids=[z.name for z in ZOO])
def test_zoo_model(entry, tmp_path: Path, zoo_rows: list) -> None:
    start = time.perf_counter()
    original = build(entry)
    inputs = entry.inputs()
    doc, origin = import_module(original, inputs=inputs)
    assert [str(p) for p in validate(doc, registry()) if p.is_error] == []
    compiled = compile_document(doc, trusted=True)
    model = build_from_compiled(compiled)
    assert transfer_weights(original, origin, compiled, model) == []
    # tied weights stay tied (nanoGPT's and GPT-2's head share the token embedding): parameters counted once
    assert origin.notes == []
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trained == sum(p.numel() for p in original.parameters() if p.requires_grad)
    # buffers stay buffers, persistent or not as in the original (BERT's position_ids are not saved)
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in original.parameters())
    assert sorted(b.numel() for b in model.buffers()) == sorted(b.numel() for b in original.buffers())
    assert len(model.state_dict()) == len(original.state_dict())
    py = tmp_path / "model.py"
    py.write_text(compiled.source, encoding="utf-8")
    save_weights(model, tmp_path / "model.safetensors")
    save_file({f"x{k}": t.contiguous() for k, t in enumerate(inputs)}, str(tmp_path / "inputs.safetensors"))
    subprocess.run([sys.executable, str(HERE / "rebuild.py"), str(py), compiled.class_name,
                    str(tmp_path / "model.safetensors"), str(tmp_path / "inputs.safetensors"),
                    str(tmp_path / "outputs.safetensors")], check=True, timeout=300)
    rebuilt = load_file(str(tmp_path / "outputs.safetensors"))
    with torch.no_grad():
        expected = original(*inputs)
    got = [rebuilt[f"y{k}"] for k in range(len(rebuilt))]
    diff = max_abs_diff(got if len(got) > 1 else got[0], expected)
    nodes, groups, opaque = count(doc)
    zoo_rows.append(ImportSummary(entry.name, nodes, groups, opaque, diff, time.perf_counter() - start))
    assert diff <= 1e-5
    # export → import → export
    doc2, _, model2, _ = reimport(compiled.source, compiled.class_name, doc, tmp_path, stem="exported")
    again = compile_document(doc2, trusted=True)
    assert again.source == compiled.source
    assert list(model2.state_dict()) == list(model.state_dict())
