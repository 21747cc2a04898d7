"""Losses, optimizers and learning-rate schedules from the recipe."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from runtime.recipe import LossSpec, OptimizerSpec, ScheduleSpec

_LOSSES: dict[str, Callable[[LossSpec], nn.Module]] = {
    "cross_entropy": lambda s: nn.CrossEntropyLoss(label_smoothing=s.label_smoothing),
    "nll": lambda s: nn.NLLLoss(),
    "mse": lambda s: nn.MSELoss(),
    "l1": lambda s: nn.L1Loss(),
    "smooth_l1": lambda s: nn.SmoothL1Loss(),
    "huber": lambda s: nn.HuberLoss(),
    "bce": lambda s: nn.BCELoss(),
    "bce_with_logits": lambda s: nn.BCEWithLogitsLoss(),
    "kl_div": lambda s: nn.KLDivLoss(reduction="batchmean"),
    "poisson_nll": lambda s: nn.PoissonNLLLoss(),
    "soft_margin": lambda s: nn.SoftMarginLoss(),
    "multilabel_soft_margin": lambda s: nn.MultiLabelSoftMarginLoss(),
}


def build_loss(spec: LossSpec, code: dict[str, str] | None = None) -> Callable[..., torch.Tensor]:
    if spec.name == "code":
        from runtime.usercode import load_function

        return load_function(spec.code, (code or {}).get(spec.code), "loss")
    return _LOSSES[spec.name](spec)


def build_optimizer(spec: OptimizerSpec, params: Iterable) -> torch.optim.Optimizer:
    wd = spec.weight_decay
    if spec.name == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, nesterov=spec.nesterov and
                               spec.momentum > 0, weight_decay=wd)
    if spec.name == "adam":
        return torch.optim.Adam(params, lr=spec.lr, betas=spec.betas, eps=spec.eps, weight_decay=wd)
    if spec.name == "adamw":
        return torch.optim.AdamW(params, lr=spec.lr, betas=spec.betas, eps=spec.eps, weight_decay=wd or 0.01)
    if spec.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=spec.lr, alpha=spec.alpha, eps=spec.eps, momentum=spec.momentum,
                                   weight_decay=wd)
    if spec.name == "adagrad":
        return torch.optim.Adagrad(params, lr=spec.lr, eps=spec.eps, weight_decay=wd)
    if spec.name == "adadelta":
        return torch.optim.Adadelta(params, lr=spec.lr, eps=spec.eps, weight_decay=wd)
    if spec.name == "adamax":
        return torch.optim.Adamax(params, lr=spec.lr, betas=spec.betas, eps=spec.eps, weight_decay=wd)
    if spec.name == "nadam":
        return torch.optim.NAdam(params, lr=spec.lr, betas=spec.betas, eps=spec.eps, weight_decay=wd)
    if spec.name == "radam":
        return torch.optim.RAdam(params, lr=spec.lr, betas=spec.betas, eps=spec.eps, weight_decay=wd)
    raise ValueError(f"unknown optimizer {spec.name!r}")


def build_scheduler(spec: ScheduleSpec, optimizer: torch.optim.Optimizer, steps_per_epoch: int,
                    total_steps: int) -> tuple[object | None, str]:
    """(scheduler, when to step it: "batch", "epoch" or "eval")."""
    warmup = spec.warmup_steps
    base: object | None
    when = "batch"
    if spec.name == "none":
        base = None
    elif spec.name == "step":
        base = torch.optim.lr_scheduler.StepLR(optimizer, step_size=spec.step_size * steps_per_epoch,
                                               gamma=spec.gamma)
    elif spec.name == "multistep":
        base = torch.optim.lr_scheduler.MultiStepLR(
            optimizer, milestones=[m * steps_per_epoch for m in spec.milestones], gamma=spec.gamma)
    elif spec.name == "exponential":
        base = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=spec.gamma ** (1 / steps_per_epoch))
    elif spec.name == "cosine":
        base = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps - warmup),
                                                          eta_min=spec.min_lr)
    elif spec.name == "onecycle":
        max_lr = spec.max_lr or optimizer.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=max(2, total_steps)), "batch"
    elif spec.name == "reduce_on_plateau":
        base = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=spec.factor, patience=spec.patience,
                                                          min_lr=spec.min_lr)
        when = "eval"
    else:
        raise ValueError(f"unknown schedule {spec.name!r}")
    if warmup and when == "batch":
        ramp = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup))
        if base is None:
            return ramp, "batch"
        return torch.optim.lr_scheduler.SequentialLR(optimizer, [ramp, base], milestones=[warmup]), "batch"
    return base, when
