"""Checkpoints: one safetensors file holding weights, optimizer, scheduler and RNG state and the step.

One file is one unit: it is written to a temporary name, flushed and renamed
(`graph.atomicfile`), so a kill at any moment leaves the previous complete
checkpoint, never weights from one step beside optimizer state from another.
No pickle: the non-tensor structure of the optimizer/scheduler state is JSON
in the file's metadata, its tensors are entries named `@0`, `@1`, ... (`@` is
never part of a parameter name, so the file still loads as weights with
`codegen.export.load_weights`). Older run folders (weights + `.state.pt` +
`.json`) still resume; the `.state.pt` is read with `weights_only=True`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from codegen.export import STATE_PREFIX, ExportError, apply_weights, weight_tensors
from codegen.tensor_file import write_tensors
from graph.atomicfile import atomic_path, clean_stale_temps_in
from runtime.callbacks import Callback
from runtime.engine import TrainingError
from runtime.events import CheckpointSaved

KIND = "torchcanvas-checkpoint"
VERSION = "1"
LEGACY_SUFFIXES = (".state.pt", ".json")


class CheckpointError(TrainingError):
    """A checkpoint that cannot be read or does not fit; the message names the file."""


#: Values a state dict holds most (an optimizer group's settings): stored as they are, checked first.
_PLAIN = frozenset({bool, int, float, str, type(None)})


def _pack(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """JSON-able skeleton of a state dict; tensors go to `tensors` under `@n`.

    Not copied: the file is written before training goes on, and its writer takes each tensor's bytes apart.
    A CPU tensor that is contiguous and needs no gradient (an optimizer's state) is stored as it is:
    `detach().cpu().contiguous()` would be three calls for the same memory.
    """
    kind = type(obj)
    if kind in _PLAIN:
        return obj
    if isinstance(obj, torch.Tensor):
        key = f"{STATE_PREFIX}{len(tensors)}"
        plain = not obj.requires_grad and obj.device.type == "cpu" and obj.is_contiguous()
        tensors[key] = obj if plain else obj.detach().cpu().contiguous()
        return {"tensor": key}
    if isinstance(obj, dict):
        return {"dict": [[_pack(k, tensors), _pack(v, tensors)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"tuple": [_pack(v, tensors) for v in obj]}
    if isinstance(obj, list):
        return [_pack(v, tensors) for v in obj]
    if isinstance(obj, (bool, int, float, str)):
        return obj
    raise CheckpointError(f"cannot store a {type(obj).__name__} in a checkpoint")


def _unpack(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, list):
        return [_unpack(v, tensors) for v in obj]
    if isinstance(obj, dict):
        if "tensor" in obj:
            return tensors[obj["tensor"]]
        if "tuple" in obj:
            return tuple(_unpack(v, tensors) for v in obj["tuple"])
        return {_unpack(k, tensors): _unpack(v, tensors) for k, v in obj["dict"]}
    return obj


def _scaler(trainer: Any) -> Any:
    """fp16's GradScaler: its scale and growth count are state a resumed run must continue."""
    precision = getattr(trainer, "precision", None)
    return getattr(precision, "scaler", None)


def param_group_names(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> list[list[str]] | None:
    """Each optimizer group's parameters by name: groups added while training (a forest's newcomers)
    are rebuilt from these on resume. None when a parameter is not the model's (nothing to name it by)."""
    names = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    groups = [[names.get(id(p)) for p in group["params"]] for group in optimizer.param_groups]
    return None if any(None in group for group in groups) else groups  # type: ignore[return-value]


def save_checkpoint(trainer: Any, folder: Path, name: str, next_epoch: int | None = None,
                    structure: dict[str, Any] | None = None) -> Path:
    """Writes `<name>.safetensors` as one unit; `next_epoch`: where a resumed run starts.

    `structure`: what a resumed run must rebuild before it loads the weights (a grown forest's
    revision, `runtime.revisions.RevisionRecorder.structure`); kept in the info record.
    """
    path = Path(folder) / f"{name}.safetensors"
    tensors = weight_tensors(trainer.model)
    state = {"optimizer": trainer.optimizer.state_dict(),
             "scheduler": trainer.scheduler.state_dict() if trainer.scheduler is not None else None,
             "rng": torch.get_rng_state(),
             "scaler": _scaler(trainer).state_dict() if _scaler(trainer) is not None else None}
    skeleton = _pack(state, tensors)
    info = {"step": trainer.step, "epoch": trainer.epoch if next_epoch is None else next_epoch,
            "metrics": trainer.last_eval, "param_groups": param_group_names(trainer.model, trainer.optimizer),
            **(structure or {})}
    metadata = {"format": "pt", "producer": "torchcanvas", "kind": KIND, "version": VERSION,
                "state": json.dumps(skeleton), "info": json.dumps(info)}
    with atomic_path(path) as tmp:
        write_tensors(tensors, tmp, metadata)
    base = str(path)[:-len(".safetensors")]
    for suffix in LEGACY_SUFFIXES:  # an older run's files of this name would not match the new checkpoint
        with contextlib.suppress(FileNotFoundError):
            os.unlink(base + suffix)
    return path


def read_checkpoint(path: Path, tensors: bool = True) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All entries (none unless `tensors`) and the metadata of a safetensors file, or CheckpointError naming it."""
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            entries = {key: f.get_tensor(key) for key in f.keys()} if tensors else {}  # noqa: SIM118
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as exc:  # noqa: BLE001 - any unreadable file (a pickle, a truncated file): one line
        raise CheckpointError(f"{path}: not a readable checkpoint (a .safetensors file is expected; "
                              f"{str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})") from None
    return entries, metadata


def checkpoint_info(path: Path) -> dict[str, Any]:
    """The saved step/epoch record alone (no tensors read): what a resume must know before building the model."""
    _, metadata = read_checkpoint(Path(path), tensors=False)
    if metadata.get("kind") != KIND:
        return {}
    try:
        info = json.loads(metadata.get("info", "{}"))
    except ValueError as exc:
        raise CheckpointError(f"{path}: the checkpoint's state record is damaged ({exc})") from None
    return info if isinstance(info, dict) else {}


def named_param_groups(model: torch.nn.Module, names: Any, path: Path) -> list[dict[str, Any]]:
    """The optimizer groups a checkpoint recorded (`param_group_names`), over this model's parameters."""
    params = dict(model.named_parameters(remove_duplicate=False))
    if not isinstance(names, list) or not all(isinstance(g, list) for g in names):
        raise CheckpointError(f"{path}: the checkpoint's optimizer groups are damaged")
    missing = [n for group in names for n in group if n not in params]
    if missing:
        raise CheckpointError(f"{path}: the optimizer state does not fit this model (no parameter "
                              f"{', '.join(map(str, missing[:3]))})")
    return [{"params": [params[n] for n in group]} for group in names]


def _restore_state(trainer: Any, state: dict[str, Any], path: Path) -> None:
    try:
        trainer.optimizer.load_state_dict(state["optimizer"])
        if trainer.scheduler is not None and state.get("scheduler"):
            trainer.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        if _scaler(trainer) is not None and state.get("scaler"):
            _scaler(trainer).load_state_dict(state["scaler"])
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: the optimizer state does not fit this training setup "
                              f"({str(exc).splitlines()[0][:200]})") from None


def load_checkpoint(trainer: Any, weights: Path) -> dict[str, Any]:
    """Restores weights, optimizer, scheduler and RNG; returns the saved step/epoch record.

    Raises CheckpointError (a TrainingError) with the file's name for anything
    wrong: not safetensors, truncated, weights or state that do not fit.
    """
    path = Path(weights)
    tensors, metadata = read_checkpoint(path)
    try:
        apply_weights(trainer.model, {k: v for k, v in tensors.items() if not k.startswith(STATE_PREFIX)}, path)
    except ExportError as exc:
        raise CheckpointError(str(exc)) from None
    if metadata.get("kind") == KIND:
        try:
            state = _unpack(json.loads(metadata["state"]), tensors)
            info = json.loads(metadata.get("info", "{}"))
        except (KeyError, ValueError, TypeError) as exc:
            raise CheckpointError(f"{path}: the checkpoint's state record is damaged ({exc})") from None
        _restore_state(trainer, state, path)
        return info if isinstance(info, dict) else {}
    return _load_legacy_state(trainer, path)


def _load_legacy_state(trainer: Any, path: Path) -> dict[str, Any]:
    """Run folders written before checkpoints were one file: weights + NAME.state.pt + NAME.json."""
    base = path.with_suffix("")
    state_file = base.with_name(base.name + ".state.pt")
    info_file = base.with_name(base.name + ".json")
    if state_file.exists():
        try:
            state = torch.load(state_file, weights_only=True, map_location="cpu")
        except Exception as exc:  # noqa: BLE001 - UnpicklingError, truncated zip, ...: one line naming it
            raise CheckpointError(f"{state_file}: not a readable optimizer state "
                                  f"({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})") from None
        if not isinstance(state, dict):
            raise CheckpointError(f"{state_file}: not an optimizer state")
        _restore_state(trainer, state, state_file)
    if not info_file.exists():
        return {}
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{info_file}: not readable ({exc})") from None
    return info if isinstance(info, dict) else {}


#: Epoch checkpoints may take at most this share of a run's time: after one that took c seconds, the next
#: waits c / CHECKPOINT_SHARE (at least `min_seconds`). A big model's file can take seconds to write.
CHECKPOINT_SHARE = 0.02


class Checkpointer(Callback):
    """Saves every `every` epochs and at the end (also when stopped or failed).

    Epoch checkpoints after the first are written at most once per `min_seconds` (a small model's epoch
    can take milliseconds, and writing its files every epoch would cost more than training it), and late
    enough that writing them stays within CHECKPOINT_SHARE of the run (a big model's can take seconds).
    The first is written at once: a run killed early still leaves one to resume from. `min_seconds` 0
    asks for every `every` epochs, whatever they cost.
    """

    name = "checkpoint"

    def __init__(self, folder: Path, every: int = 1, keep: int = 3, min_seconds: float = 0.0,
                 structure: Callable[[], dict[str, Any]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = Path(folder)
        self.structure = structure  # what a resume must rebuild first (a grown forest's revision)
        self.every = every
        self.keep = keep  # epoch checkpoints kept besides "last"
        self.min_seconds = min_seconds
        self.clock = clock
        self.last: Path | None = None
        self.saved: list[str] = []
        self._due = -math.inf  # the clock's time from which the next epoch checkpoint may be written

    def on_fit_start(self, trainer: Any) -> None:
        clean_stale_temps_in(self.folder)  # what a killed earlier run left half-written
        self._due = -math.inf

    def _save(self, trainer: Any, name: str, next_epoch: int | None = None) -> None:
        structure = self.structure() if self.structure is not None else None
        self.last = save_checkpoint(trainer, self.folder, name, next_epoch, structure)
        trainer.emit(CheckpointSaved(trainer.step, str(self.last)))

    def on_epoch_end(self, trainer: Any) -> None:
        if getattr(trainer, "partial_epoch", False):  # max_steps cut it: `last` keeps the position within it
            return
        if not self.every or (trainer.epoch + 1) % self.every or self.clock() < self._due:
            return
        started = self.clock()
        name = f"epoch{trainer.epoch + 1:04d}"
        self._save(trainer, name, trainer.epoch + 1)
        now = self.clock()
        self._due = now + max(self.min_seconds, (now - started) / CHECKPOINT_SHARE) if self.min_seconds else now
        self.saved.append(name)
        while self.keep and len(self.saved) > self.keep:
            old = self.saved.pop(0)
            for suffix in (".safetensors", *LEGACY_SUFFIXES):
                (self.folder / f"{old}{suffix}").unlink(missing_ok=True)

    def on_fit_end(self, trainer: Any) -> None:
        self._save(trainer, "last")
