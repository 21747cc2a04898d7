"""Checkpoints are one unit: a kill at any moment leaves the previous complete one; bad files are one line."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import save_file

from codegen.export import load_weights, save_weights
from runtime.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from runtime.cli import run as cli
from tests.crashkill import kill_campaign


def trainer(seed: int = 0, hidden: int = 64) -> SimpleNamespace:
    """What save/load_checkpoint use of a Trainer: a model, Adam with state, a scheduler, step and epoch."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(32, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(4, 32)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3)
    return SimpleNamespace(model=model, optimizer=optimizer, scheduler=scheduler, step=1, epoch=0,
                           last_eval={"val_loss": 0.5})


def mark(t: SimpleNamespace, k: int) -> None:
    """Every number in weights and optimizer state says which save they belong to."""
    with torch.no_grad():
        for p in t.model.parameters():
            p.fill_(k)
            t.optimizer.state[p]["exp_avg"].fill_(k)
    t.step = k


def consistent(path: Path, fresh: SimpleNamespace | None = None) -> str | None:
    """Loads `path` into `fresh` (every value is overwritten) and checks that all of it is from one save."""
    fresh = fresh or trainer(seed=1)
    try:
        info = load_checkpoint(fresh, path)
    except CheckpointError as exc:
        return f"{path.name} does not load: {exc}"
    k = info.get("step")
    weights = {float(p.detach().flatten()[0]) for p in fresh.model.parameters()}
    state = {float(s["exp_avg"].flatten()[0]) for s in fresh.optimizer.state.values()}
    if weights != {k} or state != {k}:
        return f"{path.name}: step {k}, weights {sorted(weights)}, optimizer state {sorted(state)}"
    return None


def test_one_file_round_trip_restores_everything(tmp_path):
    t = trainer()
    mark(t, 7)
    t.optimizer.step()
    t.scheduler.step()  # a scheduler with history
    rng = torch.get_rng_state()
    path = save_checkpoint(t, tmp_path, "epoch0001", next_epoch=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch0001.safetensors"]
    torch.manual_seed(123)
    fresh = trainer(seed=2)
    info = load_checkpoint(fresh, path)
    assert info == {"step": 7, "epoch": 1, "metrics": {"val_loss": 0.5},  # and each optimizer group by name
                    "param_groups": [["0.weight", "0.bias", "2.weight", "2.bias"]]}
    assert torch.equal(torch.get_rng_state(), rng)
    assert fresh.scheduler.state_dict() == t.scheduler.state_dict()
    for a, b in zip(fresh.optimizer.state_dict()["state"].values(), t.optimizer.state_dict()["state"].values(),
                    strict=True):
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert fresh.optimizer.state_dict()["param_groups"] == t.optimizer.state_dict()["param_groups"]
    # the same file loads as plain weights (export --weights, the GUI's load weights)
    other = trainer(seed=3).model
    load_weights(other, path)
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), t.model.state_dict().values(),
                                                 strict=True))


def test_a_checkpoint_written_before_one_file_still_resumes(tmp_path):
    t = trainer()
    mark(t, 4)
    save_weights(t.model, tmp_path / "last.safetensors")
    torch.save({"optimizer": t.optimizer.state_dict(), "scheduler": t.scheduler.state_dict(),
                "rng": torch.get_rng_state()}, tmp_path / "last.state.pt")
    (tmp_path / "last.json").write_text(json.dumps({"step": 4, "epoch": 2}))
    assert consistent(tmp_path / "last.safetensors") is None


def bad_files(tmp_path: Path) -> dict[str, Path]:
    t = trainer()
    files = {}
    files["pickle"] = tmp_path / "pickled.safetensors"
    files["pickle"].write_bytes(pickle.dumps({"weight": [1.0, 2.0]}))
    files["random bytes"] = tmp_path / "noise.safetensors"
    files["random bytes"].write_bytes(bytes(range(256)) * 40)
    good = save_checkpoint(t, tmp_path, "good")
    files["truncated"] = tmp_path / "truncated.safetensors"
    files["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    files["other model"] = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(3)}, str(files["other model"]))
    files["missing"] = tmp_path / "nowhere.safetensors"
    legacy = tmp_path / "legacy.safetensors"
    save_weights(t.model, legacy)
    (tmp_path / "legacy.state.pt").write_bytes(b"\x80\x04garbage that is not a pickle")
    files["damaged .state.pt"] = legacy
    files["other optimizer"] = tmp_path / "sgd.safetensors"
    sgd = SimpleNamespace(model=t.model, optimizer=torch.optim.SGD(t.model.parameters(), lr=0.1, momentum=0.9),
                          scheduler=None, step=1, epoch=0, last_eval={})
    t.model(torch.randn(2, 32)).sum().backward()
    sgd.optimizer.step()
    save_checkpoint(sgd, tmp_path, "sgd")
    return files


def test_bad_checkpoints_are_one_clear_error_naming_the_file(tmp_path):
    for what, path in bad_files(tmp_path).items():
        with pytest.raises(CheckpointError) as refused:
            load_checkpoint(trainer(), path)
        message = str(refused.value)
        assert str(path.with_suffix("")) in message and "\n" not in message, (what, message)


def test_train_resume_from_a_bad_checkpoint_prints_one_line(tmp_path, capsys):
    from app.launch import EXAMPLE

    project = tmp_path / "digits.json"
    project.write_text(EXAMPLE.read_text())
    for what, path in bad_files(tmp_path).items():
        code = cli(["train", str(project), "--max-steps", "1", "--quiet", "--resume", str(path),
                    "--out", str(tmp_path / "run")])
        err = capsys.readouterr().err.strip()
        assert code == 1, (what, err)
        assert err.startswith("error: ") and err.count("\n") == 0 and "Traceback" not in err, (what, err)
        assert path.stem in err, (what, err)


def campaign(tmp_path: Path, trials: int):
    t = trainer()
    mark(t, 0)
    save_checkpoint(t, tmp_path, "last")  # the previous complete checkpoint
    fresh = trainer(seed=1)

    def write_forever():
        k = 0
        while True:
            k += 1
            mark(t, k)
            save_checkpoint(t, tmp_path, "last")
            save_checkpoint(t, tmp_path, f"epoch{k % 3:04d}", next_epoch=k)

    def check(trial: int) -> str | None:
        for path in sorted(tmp_path.glob("*.safetensors")):
            problem = consistent(path, fresh)
            if problem:
                return problem
        if trial % 10 == 9:  # the next save removes what killed saves left
            save_checkpoint(t, tmp_path, "last")
            for k in range(3):
                save_checkpoint(t, tmp_path, f"epoch{k:04d}")
            left = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            if left:
                return f"leftovers after saving: {left}"
        return None

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors; and a forked child must not wait on a thread pool
    try:
        return kill_campaign(trials, write_forever, check, max_delay=0.03, seed=trials)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_killing_the_checkpoint_writer_at_random_moments_leaves_complete_checkpoints(tmp_path):
    result = campaign(tmp_path, 50)  # 50 here; the 400-trial campaign is marked slow
    assert result.trials == 50 and result.failures == [], result.failures[:5]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_checkpoint_kill_campaign_large(tmp_path):
    result = campaign(tmp_path, 400)
    print(f"checkpoint kill campaign: {result.trials} trials, {result.early} before the first write, "
          f"{len(result.failures)} failures")
    assert result.failures == [], result.failures[:5]
