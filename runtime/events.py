"""What the training engine tells the world: small frozen records.

Subscribers (the CLI's progress bar, the worker's queue to the GUI, tests)
receive these and nothing else, so the engine knows no Qt and no files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FitStarted:
    epochs: int
    steps_per_epoch: int
    total_steps: int
    parameters: int
    trainable: int
    layers: tuple[str, ...] = ()
    kind: str = "fit_started"


@dataclass(frozen=True)
class BatchEnded:
    step: int
    epoch: int
    loss: float
    lr: float
    samples_per_s: float
    #: Per layer (attribute path of a module that owns parameters): gradient and weight L2 norms.
    grad_norms: dict[str, float] = field(default_factory=dict)
    weight_norms: dict[str, float] = field(default_factory=dict)
    step_taken: bool = True
    kind: str = "batch_ended"


@dataclass(frozen=True)
class EvalEnded:
    step: int
    epoch: int
    metrics: dict[str, float]
    kind: str = "eval_ended"


@dataclass(frozen=True)
class HookDecision:
    """A policy's verdict on one step, e.g. accepted / reverted+noise."""

    step: int
    policy: str
    decision: str
    detail: dict[str, float] = field(default_factory=dict)
    kind: str = "hook_decision"


@dataclass(frozen=True)
class EpochEnded:
    epoch: int
    step: int
    metrics: dict[str, float]
    kind: str = "epoch_ended"


@dataclass(frozen=True)
class ActivationStats:
    step: int
    node: str
    mean: float
    std: float
    histogram: tuple[float, ...]
    edges: tuple[float, ...]
    kind: str = "activation_stats"


@dataclass(frozen=True)
class CheckpointSaved:
    step: int
    path: str
    kind: str = "checkpoint_saved"


@dataclass(frozen=True)
class LogMessage:
    text: str
    level: str = "info"
    kind: str = "log"


@dataclass(frozen=True)
class FitEnded:
    status: str  # "finished", "stopped", "failed"
    step: int
    metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""
    #: Why a run failed, as `graph.problems.Problem.to_dict()` records (node, recipe path, file line).
    problems: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "fit_ended"


Event = FitStarted | BatchEnded | EvalEnded | HookDecision | EpochEnded | ActivationStats | CheckpointSaved \
    | LogMessage | FitEnded

KINDS = {cls.__dataclass_fields__["kind"].default: cls for cls in (
    FitStarted, BatchEnded, EvalEnded, HookDecision, EpochEnded, ActivationStats, CheckpointSaved, LogMessage,
    FitEnded)}


def to_record(event: Any) -> dict[str, Any]:
    """A JSON-able dict (for metrics.jsonl and the worker's queue)."""
    return asdict(event)


def from_record(record: dict[str, Any]) -> Any:
    cls = KINDS[record["kind"]]
    values = dict(record)
    for name, f in cls.__dataclass_fields__.items():
        if name in values and isinstance(values[name], list) and "tuple" in str(f.type):
            values[name] = tuple(values[name])
    return cls(**values)
