import json
import subprocess
import sys

import onnx
import pytest
import torch

from codegen import build_from_compiled, compile_document
from codegen.export import ExportError, export_onnx, export_python, load_weights, save_weights
from graph import save
from tests.codegen import graphs


def test_exported_py_with_weights_reproduces_outputs_in_fresh_process(tmp_path):
    doc, _, _ = graphs.lenet5()
    compiled = compile_document(doc)
    model = build_from_compiled(compiled).eval()
    export_python(compiled, tmp_path / "lenet.py")
    save_weights(model, tmp_path / "lenet.safetensors")
    x = torch.randn(2, 1, 32, 32)
    torch.save(x, tmp_path / "x.pt")
    torch.save(model(x).detach(), tmp_path / "y.pt")
    script = (
        "import sys, torch; sys.path.insert(0, sys.argv[1])\n"
        "from safetensors.torch import load_file\n"
        "from lenet import LeNet5\n"
        "m = LeNet5().eval(); m.load_state_dict(load_file(sys.argv[1] + '/lenet.safetensors'))\n"
        "x = torch.load(sys.argv[1] + '/x.pt'); y = torch.load(sys.argv[1] + '/y.pt')\n"
        "torch.testing.assert_close(m(x), y); print('same')\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "same"


def test_weights_round_trip_and_mismatch_is_reported(tmp_path):
    doc, _, _ = graphs.mlp()
    model = build_from_compiled(compile_document(doc))
    save_weights(model, tmp_path / "w.safetensors")
    other = build_from_compiled(compile_document(doc))
    load_weights(other, tmp_path / "w.safetensors")
    for a, b in zip(model.parameters(), other.parameters(), strict=True):
        assert torch.equal(a, b)
    doc2, _, _ = graphs.lenet5()
    with pytest.raises(ExportError, match="do not fit"):
        load_weights(build_from_compiled(compile_document(doc2)), tmp_path / "w.safetensors")


@pytest.mark.parametrize("name", ["mlp", "lenet5", "resnet"])
def test_onnx_export_passes_the_checker(tmp_path, name):
    doc, _, inputs = graphs.ALL[name]()
    compiled = compile_document(doc)
    model = build_from_compiled(compiled)
    path = export_onnx(doc, compiled, model, tmp_path / "m.onnx")
    onnx.checker.check_model(onnx.load(str(path)))
    assert [i.name for i in onnx.load(str(path)).graph.input][:1] == compiled.input_names


def test_cli_export_and_layers(tmp_path):
    doc, _, _ = graphs.mlp()
    project = tmp_path / "mlp.json"
    save(doc, project)
    result = subprocess.run([sys.executable, "-m", "app", "export", str(project), "--to", "py"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "class Mlp(nn.Module):" in (tmp_path / "mlp.py").read_text()
    result = subprocess.run([sys.executable, "-m", "app", "layers", "--json"], capture_output=True, text=True,
                            timeout=120)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) >= 120
    assert {"type", "category", "target"} <= set(rows[0])
    assert any(r["type"] == "Conv2d" and r["target"] == "nn.Conv2d" for r in rows)
