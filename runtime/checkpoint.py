"""Checkpoints: weights as safetensors, optimizer and RNG state loaded with weights_only=True."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

from codegen.export import load_weights, save_weights
from runtime.callbacks import Callback
from runtime.events import CheckpointSaved


def save_checkpoint(trainer: Any, folder: Path, name: str, next_epoch: int | None = None) -> Path:
    """`next_epoch`: where a resumed run starts (the current epoch when saved mid-epoch)."""
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    save_weights(trainer.model, weights)
    torch.save({"optimizer": trainer.optimizer.state_dict(),
                "scheduler": trainer.scheduler.state_dict() if trainer.scheduler is not None else None,
                "rng": torch.get_rng_state()}, folder / f"{name}.state.pt")
    (folder / f"{name}.json").write_text(json.dumps({"step": trainer.step,
                                                     "epoch": trainer.epoch if next_epoch is None else next_epoch,
                                                     "metrics": trainer.last_eval}, indent=2))
    return weights


def load_checkpoint(trainer: Any, weights: Path) -> dict[str, Any]:
    """Restores weights, optimizer, scheduler and RNG; returns the saved step/epoch record."""
    weights = Path(weights)
    load_weights(trainer.model, weights)
    base = weights.with_suffix("")
    state_file = base.with_name(base.name + ".state.pt")
    info_file = base.with_name(base.name + ".json")
    if state_file.exists():
        state = torch.load(state_file, weights_only=True)
        trainer.optimizer.load_state_dict(state["optimizer"])
        if trainer.scheduler is not None and state.get("scheduler"):
            trainer.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
    return json.loads(info_file.read_text()) if info_file.exists() else {}


class Checkpointer(Callback):
    """Saves every `every` epochs and at the end (also when stopped or failed).

    Epoch checkpoints after the first are written at most once per
    `min_seconds`: a small model's epoch can take milliseconds, and writing
    its files every epoch would cost more than training it.
    """

    name = "checkpoint"

    def __init__(self, folder: Path, every: int = 1, keep: int = 3, min_seconds: float = 0.0) -> None:
        self.folder = Path(folder)
        self.every = every
        self.keep = keep  # epoch checkpoints kept besides "last"
        self.min_seconds = min_seconds
        self.last: Path | None = None
        self.saved: list[str] = []
        self._saved_at: float | None = None

    def _save(self, trainer: Any, name: str, next_epoch: int | None = None) -> None:
        self.last = save_checkpoint(trainer, self.folder, name, next_epoch)
        trainer.emit(CheckpointSaved(trainer.step, str(self.last)))

    def on_epoch_end(self, trainer: Any) -> None:
        if self._saved_at is not None and time.monotonic() - self._saved_at < self.min_seconds:
            return
        if self.every and (trainer.epoch + 1) % self.every == 0:
            self._saved_at = time.monotonic()
            name = f"epoch{trainer.epoch + 1:04d}"
            self._save(trainer, name, trainer.epoch + 1)
            self.saved.append(name)
            while self.keep and len(self.saved) > self.keep:
                old = self.saved.pop(0)
                for suffix in (".safetensors", ".state.pt", ".json"):
                    (self.folder / f"{old}{suffix}").unlink(missing_ok=True)

    def on_fit_end(self, trainer: Any) -> None:
        self._save(trainer, "last")
