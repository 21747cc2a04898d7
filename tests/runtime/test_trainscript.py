"""The exported train.py runs unchanged alone and under torchrun (DDP, gloo on CPU)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from app.launch import EXAMPLE
from codegen.formatting import ruff_binary

TORCHRUN = Path(sys.executable).with_name("torchrun")


def export(tmp_path):
    out = tmp_path / "bundle"
    result = subprocess.run([sys.executable, "-m", "app", "export", str(EXAMPLE), "--to", "train", "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return out


def epochs(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_train_script_runs_alone_and_under_torchrun(tmp_path):
    out = export(tmp_path)
    lint = subprocess.run([ruff_binary(), "check", "--isolated", "--select=E,F,W,I,B", "train.py", "model.py"],
                          cwd=out, capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout
    env = {**os.environ, "EPOCHS": "4", "OMP_NUM_THREADS": "1"}
    single = subprocess.run([sys.executable, "train.py"], cwd=out, capture_output=True, text=True, timeout=300,
                            env=env)
    assert single.returncode == 0, single.stderr
    rows = epochs(single.stdout)
    assert len(rows) == 4 and rows[-1]["val_accuracy"] > 0.85
    assert (out / "checkpoints" / "last.safetensors").exists()
    ddp = subprocess.run([str(TORCHRUN), "--nproc_per_node=2", "--standalone", "train.py"], cwd=out,
                         capture_output=True, text=True, timeout=300, env={**env, "EPOCHS": "2"})
    assert ddp.returncode == 0, ddp.stderr[-2000:]
    rows = epochs(ddp.stdout)
    assert len(rows) == 2, ddp.stdout  # only rank 0 prints
    assert rows[-1]["val_accuracy"] > 0.6
