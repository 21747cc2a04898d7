"""The training recipe: how to train, saved in the project next to the graph.

Validated with pydantic (strict: a string is not a number) so a bad setting
gets an error that names it in the words a bad node or dataset parameter gets
(`recipe.optimizer.lr: expected a positive number, got -1`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, ValidationError

from graph.model_errors import field_errors
from graph.params import expected
from graph.problems import Problem, ProblemError

LOSSES = ("cross_entropy", "nll", "mse", "l1", "smooth_l1", "huber", "bce", "bce_with_logits", "kl_div",
          "poisson_nll", "soft_margin", "multilabel_soft_margin", "code")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "radam")
SCHEDULES = ("none", "step", "multistep", "exponential", "cosine", "onecycle", "reduce_on_plateau")
METRICS = ("accuracy", "top5", "top3", "mse", "mae", "perplexity")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("fp32", "bf16", "fp16")

_CFG = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class LossSpec(BaseModel):
    model_config = _CFG
    name: Literal[LOSSES] = "cross_entropy"  # type: ignore[valid-type]
    label_smoothing: float = Field(0.0, ge=0, le=1)
    code: str = ""  # with name "code": the code entry defining loss(output, target)


class OptimizerSpec(BaseModel):
    model_config = _CFG
    name: Literal[OPTIMIZERS] = "adam"  # type: ignore[valid-type]
    lr: float = Field(1e-3, gt=0)
    momentum: float = Field(0.0, ge=0, lt=1)
    nesterov: bool = False
    betas: Annotated[tuple[StrictFloat, StrictFloat], Field(strict=False)] = (0.9, 0.999)  # a JSON list is fine
    eps: float = Field(1e-8, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    alpha: float = Field(0.99, gt=0, lt=1)  # RMSprop smoothing


class ScheduleSpec(BaseModel):
    model_config = _CFG
    name: Literal[SCHEDULES] = "none"  # type: ignore[valid-type]
    step_size: int = Field(10, ge=1)  # epochs, for "step"
    milestones: list[int] = []
    gamma: float = Field(0.1, gt=0)
    warmup_steps: int = Field(0, ge=0)
    min_lr: float = Field(0.0, ge=0)
    max_lr: float | None = Field(None, gt=0)  # onecycle; default: optimizer lr
    patience: int = Field(5, ge=0)  # reduce_on_plateau, in evaluations
    factor: float = Field(0.5, gt=0, lt=1)


class HookSpec(BaseModel):
    model_config = _CFG
    name: str  # a built-in policy ("revert_noise", ...) or "code"
    params: dict[str, Any] = {}
    code: str = ""  # with name "code": the code entry defining a Callback subclass
    enabled: bool = True


class ParamGroupSpec(BaseModel):
    """A learning rate for some nodes (by label, or groups by name): finetuning."""

    model_config = _CFG
    nodes: list[str]
    lr: float = Field(gt=0)


class InitSpec(BaseModel):
    """Weights to load before training: a whole model, or one node / group by its label (finetuning)."""

    model_config = _CFG
    file: str  # a safetensors file, or a Hugging Face model folder holding model.safetensors
    node: str = ""  # label of the node or group the file's weights belong to; "" = the whole model
    strict: bool = True
    #: prefix of the file's weight names → attribute path in the model (runtime.init_weights)
    rename: dict[str, str] = {}


class LoaderSpec(BaseModel):
    """How batches are made (runtime.batches).

    Data held as tensors is batched by index from a permutation (``in_memory:
    "auto"``); ``"off"`` forces a DataLoader. The DataLoader settings apply to
    datasets that stream (and to ``"off"``); ``"auto"`` picks for the machine:
    the free cores as workers (at most 4), pinned memory on CUDA, workers kept
    alive between epochs.
    """

    model_config = _CFG
    in_memory: Literal["auto", "off"] = "auto"
    num_workers: Literal["auto"] | Annotated[int, Field(ge=0, le=64)] = "auto"
    pin_memory: Literal["auto"] | bool = "auto"
    persistent_workers: Literal["auto"] | bool = "auto"
    prefetch_factor: int | None = Field(None, ge=1)


class Recipe(BaseModel):
    model_config = _CFG
    dataset: dict[str, Any] = Field(default_factory=lambda: {"name": "digits"})
    batch_size: int = Field(64, ge=1, le=1_000_000)
    epochs: int = Field(10, ge=1, le=100_000)
    max_steps: int | None = Field(None, ge=1)
    loss: LossSpec = LossSpec()
    optimizer: OptimizerSpec = OptimizerSpec()
    schedule: ScheduleSpec = ScheduleSpec()
    l1: float = Field(0.0, ge=0)
    l2: float = Field(0.0, ge=0)
    clip_grad_norm: float | None = Field(None, gt=0)
    seed: int = Field(0, ge=0, lt=2**63)  # torch.manual_seed takes a signed 64-bit number
    device: Literal[DEVICES] = "auto"  # type: ignore[valid-type]
    metrics: list[Literal[METRICS]] = ["accuracy"]  # type: ignore[valid-type]
    eval_every: int = Field(0, ge=0)  # batches; 0 = once per epoch
    eval_batches: int | None = Field(None, ge=1)  # cap on validation batches per evaluation
    hooks: list[HookSpec] = []
    param_groups: list[ParamGroupSpec] = []
    init_from: list[InitSpec] = []
    log_layers: bool = True  # per-layer gradient / weight norms every batch
    # Batches between activation histograms; 0 = off; "auto" = about once a second (a live view's pace).
    activation_every: Literal["auto"] | Annotated[int, Field(ge=0)] = "auto"
    checkpoint_every: int = Field(1, ge=0)  # epochs; 0 = only the final weights
    #: Refuse to train when the estimated memory exceeds this; None = half the machine's RAM.
    memory_limit_gb: float | None = Field(None, gt=0)
    checkpoint_min_seconds: float = Field(30.0, ge=0)  # epoch checkpoints after the first at most this often
    loader: LoaderSpec = LoaderSpec()
    # GPU speed-ups (runtime.precision); all off by default.
    precision: Literal[PRECISIONS] = "fp32"  # type: ignore[valid-type]  # autocast dtype; fp16 adds a GradScaler
    channels_last: bool = False  # NHWC memory order for image models
    compile: bool = False  # torch.compile the model (its first step pays the compile time)


class RecipeError(ProblemError, ValueError):
    """A recipe that does not validate; `problems` name each setting by its recipe path."""


def check_recipe(data: Any) -> tuple[Recipe | None, list[Problem]]:
    """The parsed recipe, or None and a Problem per bad setting (`recipe.optimizer.lr`, ...)."""
    if not isinstance(data, dict):
        return None, [Problem(expected("an object", data), recipe_path="recipe")]
    try:
        return Recipe.model_validate(data), []
    except ValidationError as exc:
        return None, [Problem(message, recipe_path=path) for path, message in field_errors(exc, Recipe, "recipe")]


def recipe_problems(data: dict[str, Any]) -> list[Problem]:
    return check_recipe(data)[1]


def parse_recipe(data: dict[str, Any] | None) -> Recipe:
    recipe, problems = check_recipe(data or {})
    if recipe is None:
        raise RecipeError(problems)
    return recipe
