"""Training a project in the app and with its exported train.py, and reading both loss curves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from graph import Document
from runtime.events import BatchEnded, EvalEnded
from runtime.session import prepare, run
from runtime.trainscript import export_training

TORCHRUN = Path(sys.executable).with_name("torchrun")
ZYGOTE = Path(__file__).with_name("script_zygote.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def app_curve(doc: Document, project_dir: Path | None) -> dict:
    """Losses per step, validation per evaluation and learning rates of a run in the app (one thread)."""
    events: list = []
    run(prepare(doc, project_dir=project_dir, trusted=True, emit=events.append, num_threads=1))
    return {"loss": [e.loss for e in events if isinstance(e, BatchEnded)],
            "lr": [e.lr for e in events if isinstance(e, BatchEnded)],
            "taken": [e.step_taken for e in events if isinstance(e, BatchEnded)],
            "val": [e.metrics.get("val_loss") for e in events if isinstance(e, EvalEnded)]}


def export(doc: Document, out: Path, project_dir: Path | None) -> Path:
    return export_training(doc, out, project_dir, trusted=True)


def script_command(folder: Path, *args: str, nproc: int = 1) -> list[str]:
    if nproc == 1:
        return [sys.executable, "train.py", *args]
    return [str(TORCHRUN), f"--nproc_per_node={nproc}", "--standalone", "train.py", *args]


def run_script(folder: Path, *args: str, nproc: int = 1, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(script_command(folder, *args, nproc=nproc), cwd=folder, capture_output=True, text=True,
                            timeout=600, env=ENV)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@dataclass
class ScriptResult:
    returncode: int
    stdout: str
    stderr: str


def run_scripts(folders: list[Path], args: dict[Path, list[str]] | None = None) -> list[ScriptResult]:
    """`python train.py ARGS` in each folder (`args` by folder, none by default), two at a time, forked from one
    process that imported torch once."""
    specs = [json.dumps([str(f), *args[f]]) if args and f in args else str(f) for f in folders]
    result = subprocess.run([sys.executable, str(ZYGOTE), *specs], capture_output=True, text=True,
                            timeout=1800, env=ENV)
    assert result.returncode == 0, result.stderr[-3000:]
    status = json.loads(result.stdout.splitlines()[-1])
    return [ScriptResult(status[str(f)], (f / "run.out").read_text(), (f / "run.err").read_text()) for f in folders]


def script_curve(folder: Path) -> dict:
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    batches = [r for r in records if r["kind"] == "batch"]
    return {"loss": [r["loss"] for r in batches], "lr": [r["lr"] for r in batches],
            "taken": [r["step_taken"] for r in batches],
            "val": [r["metrics"].get("val_loss") for r in records if r["kind"] == "eval"],
            "records": records}


def assert_same_curve(app: dict, script: dict, what: str, rtol: float = 1e-5) -> None:
    import torch

    assert len(app["loss"]) == len(script["loss"]), (what, len(app["loss"]), len(script["loss"]))
    assert app["loss"], what
    torch.testing.assert_close(torch.tensor(script["loss"], dtype=torch.float64),
                               torch.tensor(app["loss"], dtype=torch.float64), rtol=rtol, atol=1e-7,
                               msg=lambda m: f"{what}: loss curves differ\n{m}")
    torch.testing.assert_close(torch.tensor(script["lr"], dtype=torch.float64),
                               torch.tensor(app["lr"], dtype=torch.float64), rtol=1e-6, atol=0,
                               msg=lambda m: f"{what}: learning rates differ\n{m}")
    assert script["taken"] == app["taken"], f"{what}: hook decisions differ"
    assert len(script["val"]) == len(app["val"]), (what, script["val"], app["val"])
    torch.testing.assert_close(torch.tensor(script["val"], dtype=torch.float64),
                               torch.tensor(app["val"], dtype=torch.float64), rtol=rtol, atol=1e-7,
                               msg=lambda m: f"{what}: validation losses differ\n{m}")
