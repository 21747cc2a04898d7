"""What the training engine tells the world: small immutable records.

Subscribers (the CLI's progress bar, the run folder's metrics file, the
worker's queue to the GUI, TensorBoard, tests) receive these and nothing else,
so the engine knows no Qt and no files. They are named tuples: one is made
per batch, and a tuple costs a fraction of a frozen dataclass on that path.
They cross the process boundary as they are (pickled by the worker's queue)
and become dicts only for JSON (`to_record`). Treat them and their dicts as
read-only: a field's default dict is shared.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class FitStarted(NamedTuple):
    epochs: int
    steps_per_epoch: int
    total_steps: int
    parameters: int
    trainable: int
    layers: tuple[str, ...] = ()
    kind = "fit_started"


class BatchEnded(NamedTuple):
    step: int
    epoch: int
    loss: float
    lr: float
    samples_per_s: float
    #: Per layer (attribute path of a module that owns parameters): gradient and weight L2 norms.
    grad_norms: dict[str, float] = {}
    weight_norms: dict[str, float] = {}
    step_taken: bool = True
    kind = "batch_ended"


class EvalEnded(NamedTuple):
    step: int
    epoch: int
    metrics: dict[str, float]
    kind = "eval_ended"


class HookDecision(NamedTuple):
    """A policy's verdict on one step, e.g. accepted / reverted+noise."""

    step: int
    policy: str
    decision: str
    detail: dict[str, float] = {}
    kind = "hook_decision"


class EpochEnded(NamedTuple):
    epoch: int
    step: int
    metrics: dict[str, float]
    kind = "epoch_ended"


class ActivationStats(NamedTuple):
    """A layer's output distribution. For complex outputs `histogram` is of the magnitude |z|, and the
    phase histogram and a sample of (Re z, Im z) points are added."""

    step: int
    node: str
    mean: float
    std: float
    histogram: tuple[float, ...]
    edges: tuple[float, ...]
    is_complex: bool = False
    phase_histogram: tuple[float, ...] = ()
    phase_edges: tuple[float, ...] = ()
    sample_real: tuple[float, ...] = ()
    sample_imag: tuple[float, ...] = ()
    kind = "activation_stats"


class CheckpointSaved(NamedTuple):
    step: int
    path: str
    kind = "checkpoint_saved"


class ModelCompiled(NamedTuple):
    """torch.compile finished: the first step's time, most of which is compiling."""

    step: int
    seconds: float
    kind = "model_compiled"


class RevisionCreated(NamedTuple):
    """Training changed the model's structure (a forest grew): the project as it now is.

    `project` is the revised project file's text; the run folder's project.json
    and model.py hold it too, so exported, reloaded and reopened models equal
    the one that trained.
    """

    step: int
    revision: int
    summary: str
    project: str
    kind = "revision_created"


class MemberContributions(NamedTuple):
    """How much each forest member helps: the validation loss without it minus the loss with all members."""

    step: int
    forest: str
    loss: float
    contributions: tuple[float, ...]
    kind = "member_contributions"


class PauseChanged(NamedTuple):
    """The run waits before the batch after `step` (`paused`), or goes on from it.

    Sent when the engine itself stops or starts waiting, not when Pause is
    pressed: every batch before it has been reported, and a Stop while paused
    ends the run at this very step.
    """

    step: int
    paused: bool
    kind = "pause_changed"


class LogMessage(NamedTuple):
    text: str
    level: str = "info"
    kind = "log"


class FitEnded(NamedTuple):
    status: str  # "finished", "stopped", "failed"
    step: int
    metrics: dict[str, float] = {}
    message: str = ""
    #: Why a run failed, as `graph.problems.Problem.to_dict()` records (node, recipe path, file line).
    problems: list[dict[str, Any]] = []
    kind = "fit_ended"


Event = FitStarted | BatchEnded | EvalEnded | HookDecision | EpochEnded | ActivationStats | CheckpointSaved \
    | ModelCompiled | RevisionCreated | MemberContributions | PauseChanged | LogMessage | FitEnded

KINDS = {cls.kind: cls for cls in (
    FitStarted, BatchEnded, EvalEnded, HookDecision, EpochEnded, ActivationStats, CheckpointSaved, ModelCompiled,
    RevisionCreated, MemberContributions, PauseChanged, LogMessage, FitEnded)}


def to_record(event: Any) -> dict[str, Any]:
    """A JSON-able dict (for metrics.jsonl): the fields, then ``kind``."""
    record = event._asdict()
    record["kind"] = event.kind
    return record


def from_record(record: dict[str, Any]) -> Any:
    cls = KINDS[record["kind"]]
    values = {k: v for k, v in record.items() if k != "kind"}
    for name, kind in cls.__annotations__.items():
        if name in values and isinstance(values[name], list) and "tuple" in str(kind):
            values[name] = tuple(values[name])
    return cls(**values)
