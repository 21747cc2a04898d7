"""The arms of the engine benchmark: the same model and data trained five ways.

Every arm trains the same generated model class on the same in-memory digits
split with Adam at the project's learning rate (no schedule) and evaluates the
validation split once per epoch, so the arms differ only in the loop around
the model. Each returns the process CPU seconds and wall seconds it took; the
careful loop and the engine also run as arms of a `tests.bench.turns.Turns`
rotation (given a `Turn`: they start its clock once set up and hand over after
every epoch), and then the rotation measures them.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from app.launch import EXAMPLE
from codegen import build_from_compiled, compile_document
from graph import Document, load
from runtime.callbacks import Callback
from runtime.commands.check import project_registry
from tests.bench.turns import Turn

TEMPLATES = EXAMPLE.parent.parent / "templates"
PROJECTS = {"digits MLP": EXAMPLE, "LeNet": TEMPLATES / "03_lenet5_digits.json"}


@dataclass
class Setup:
    """One benchmark configuration: a project at a batch size, its data as tensors, and a model factory."""

    name: str
    doc: Document
    project_dir: Path
    batch_size: int
    epochs: int
    lr: float
    x: torch.Tensor
    y: torch.Tensor
    xv: torch.Tensor
    yv: torch.Tensor
    make_model: Callable[[int], nn.Module]
    #: The engine loads the whole split itself: a short setup caps its steps instead (no cap otherwise: the timed
    #: runs are whole epochs, each ending in the hook that hands the turn on).
    max_steps: int | None = None

    def warm_up(self) -> Setup:
        """A short version of this setup: pays imports and first-call costs before timing."""
        return dataclasses.replace(self, epochs=1, x=self.x[:256], y=self.y[:256],
                                   max_steps=len(range(0, 256, self.batch_size)))

    @property
    def samples(self) -> int:
        return len(self.x) * self.epochs

    def overrides(self, **more: Any) -> dict[str, Any]:
        cap = {"max_steps": self.max_steps} if self.max_steps else {}
        return {"epochs": self.epochs, "batch_size": self.batch_size, "schedule": {"name": "none"}, **cap, **more}


def setup(name: str, batch_size: int, epochs: int) -> Setup:
    from runtime.data import load_dataset
    from runtime.recipe import parse_recipe

    path = PROJECTS[name]
    doc = load(path, project_registry())
    recipe = parse_recipe(doc.recipe)
    bundle = load_dataset(recipe.dataset, path.parent)
    x, y = bundle.train.tensors
    xv, yv = bundle.val.tensors
    compiled = compile_document(doc)

    def make_model(seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return build_from_compiled(compiled)

    return Setup(f"{name} b{batch_size}", doc, path.parent, batch_size, epochs, recipe.optimizer.lr, x, y, xv, yv,
                 make_model)


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def careful_loop(s: Setup, seed: int, _run_dir: Path, turn: Turn | None = None) -> tuple[float, float]:
    """What a PyTorch expert writes: tensors in memory, batches by index from a permutation."""
    model = s.make_model(seed)
    opt = torch.optim.Adam(model.parameters(), lr=s.lr)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    n, bs = len(s.x), s.batch_size

    def train() -> None:
        for _ in range(s.epochs):
            model.train()
            perm = torch.randperm(n, generator=g)
            running = 0.0
            for i in range(0, n, bs):
                idx = perm[i:i + bs]
                loss = loss_fn(model(s.x[idx]), s.y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                running += loss.item()
            model.eval()
            with torch.no_grad():
                (model(s.xv).argmax(1) == s.yv).float().mean().item()
            if turn is not None:
                turn.epoch_end()

    if turn is not None:
        turn.start()
    return _timed(train)


def dataloader_loop(s: Setup, seed: int, _run_dir: Path) -> tuple[float, float]:
    """The simplest loop of the tutorials: TensorDataset + DataLoader(shuffle=True)."""
    model = s.make_model(seed)
    opt = torch.optim.Adam(model.parameters(), lr=s.lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(s.x, s.y), batch_size=s.batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    val = DataLoader(TensorDataset(s.xv, s.yv), batch_size=256)

    def train() -> None:
        for _ in range(s.epochs):
            model.train()
            for x, y in loader:
                loss = loss_fn(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                sum((model(x).argmax(1) == y).sum().item() for x, y in val)

    return _timed(train)


def lightning_loop(s: Setup, seed: int, _run_dir: Path) -> tuple[float, float]:
    """PyTorch Lightning with everything that prints or writes switched off; it logs the loss, as we do."""
    import pytorch_lightning as pl

    class Lit(pl.LightningModule):
        def __init__(self, model: nn.Module) -> None:
            super().__init__()
            self.model = model
            self.loss_fn = nn.CrossEntropyLoss()

        def training_step(self, batch, _index):
            x, y = batch
            loss = self.loss_fn(self.model(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, _index):
            x, y = batch
            self.log("val_accuracy", (self.model(x).argmax(1) == y).float().mean())

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=s.lr)

    lit = Lit(s.make_model(seed))
    loader = DataLoader(TensorDataset(s.x, s.y), batch_size=s.batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    val = DataLoader(TensorDataset(s.xv, s.yv), batch_size=256)

    def train() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer = pl.Trainer(max_epochs=s.epochs, accelerator="cpu", devices=1, logger=False,
                                 enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                                 num_sanity_val_steps=0)
            trainer.fit(lit, loader, val)

    import logging

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    return _timed(train)


class HandOver(Callback):
    """Hands the turn to the next arm after every epoch (a per-epoch hook: batches call nothing more)."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn

    def on_epoch_end(self, trainer: Any) -> None:
        self.turn.epoch_end()


def engine(s: Setup, seed: int, run_dir: Path | None, turn: Turn | None = None,
           **overrides: Any) -> tuple[float, float]:
    """The real path the GUI and the CLI take: `session.prepare` + `session.run`."""
    from runtime.session import prepare, run

    steps = len(range(0, len(s.x), s.batch_size)) * s.epochs
    job = prepare(s.doc, project_dir=s.project_dir, run_dir=run_dir, extra_callbacks=[HandOver(turn)] if turn else None,
                  overrides=s.overrides(seed=seed, **overrides))
    if turn is not None:
        turn.start()
    result = _timed(lambda: run(job))
    assert job.trainer.step == steps, "the engine did not finish"
    return result


def engine_default(s: Setup, seed: int, run_dir: Path, turn: Turn | None = None) -> tuple[float, float]:
    return engine(s, seed, run_dir, turn)


def engine_minimal(s: Setup, seed: int, run_dir: Path, turn: Turn | None = None) -> tuple[float, float]:
    return engine(s, seed, None, turn, log_layers=False, activation_every=0)
