"""Issue 14's zoo: each model imports, passes check, exports, rebuilds in a fresh process with the same
outputs (eval mode, atol 1e-5), and export → import → export is a fixed point (same text, same keys)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from codegen import build_from_compiled, compile_document
from codegen.catalogue import registry
from codegen.export import save_weights
from codegen.importer import transfer_weights
from codegen.importer.report import ImportSummary, count, max_abs_diff
from graph.kinds import GROUP
from graph.validate import validate
from tests.codegen.roundtrip import reimport
from tests.zoo.models import ZOO

BY_NAME = {z.name: z for z in ZOO}


@pytest.mark.parametrize("entry", ZOO, ids=[z.name for z in ZOO])
def test_zoo_model(entry, tmp_path: Path, zoo_rows: list, imported, rebuilder) -> None:
    start = time.perf_counter()
    found = imported(entry)
    original, inputs, doc, origin = found.original, found.inputs, found.doc, found.origin
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
    # in a process of its own, from the exported file and weights only
    rebuilder.rebuild(py, compiled.class_name, tmp_path / "model.safetensors", tmp_path / "inputs.safetensors",
                      tmp_path / "outputs.safetensors")
    rebuilt = load_file(str(tmp_path / "outputs.safetensors"))
    with torch.no_grad():
        expected = original(*inputs)
    got = [rebuilt[f"y{k}"] for k in range(len(rebuilt))]
    diff = max_abs_diff(got if len(got) > 1 else got[0], expected)
    nodes, groups, opaque = count(doc)
    zoo_rows.append(ImportSummary(entry.name, nodes, groups, opaque, diff,
                                  found.seconds + time.perf_counter() - max(start, found.finished)))
    assert diff <= 1e-5
    # export → import → export
    doc2, _, model2, _ = reimport(compiled.source, compiled.class_name, doc, tmp_path, stem="exported")
    again = compile_document(doc2, trusted=True)
    assert again.source == compiled.source
    assert list(model2.state_dict()) == list(model.state_dict())


def test_gpt2_blocks_are_one_group_repeated_and_its_conv1d_classes_are_one_per_shape(imported) -> None:
    """Item 4 on Hugging Face GPT-2: `h.0`, `h.1` (called with the attention mask) are one group ×2; its Conv1D
    layers share a class wherever their constructor arguments are equal (one class per (nx, nf) shape)."""
    found = imported(BY_NAME["HF GPT-2 (tiny)"])
    doc = found.doc
    uses = [(scope, n) for scope in doc.scopes() for n in doc.scope(scope).nodes.values() if n.type == GROUP.type_id
            and n.params.get("group") == "gpt2_block"]
    assert [(n.label, n.params.get("repeat")) for _, n in uses] == [("h", 2)]
    compiled = compile_document(doc, trusted=True)
    source = compiled.source
    assert source.count("class Gpt2Block(nn.Module)") == 1
    assert "self.h = nn.ModuleList([Gpt2Block() for _ in range(2)])" in source
    shapes = {tuple(m.weight.shape) for m in found.original.modules() if type(m).__name__ == "Conv1D"}
    assert len(re.findall(r"^class Conv1D\d*\(", source, flags=re.M)) == len(shapes) == 4
    # Hugging Face's own state-dict names, so its checkpoints load without renaming
    model = build_from_compiled(compiled)
    assert sorted(model.state_dict()) == sorted(found.original.state_dict())
