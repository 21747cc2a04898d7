"""Assembling train.py: the fixed loop plus the loss, optimizer, schedule and hooks this recipe names.

Only our own text reaches the script: each snippet is chosen by a recipe
name that pydantic has checked against a fixed list, and every value
(learning rates, labels, file names, hook parameters) is read from
recipe.json at run time. Identifiers that come from a project (a code
hook's class, a code loss's function) were read with `ast`, so they are
identifiers and nothing else.
"""

from __future__ import annotations

from string import Template

from runtime.recipe import LOSSES, OPTIMIZERS, SCHEDULES, Recipe
from runtime.trainscript import loop_text
from runtime.trainscript.plan import Plan

LOSS = {
    "cross_entropy": 'nn.CrossEntropyLoss(label_smoothing=RECIPE["loss"]["label_smoothing"])',
    "nll": "nn.NLLLoss()",
    "mse": "nn.MSELoss()",
    "l1": "nn.L1Loss()",
    "smooth_l1": "nn.SmoothL1Loss()",
    "huber": "nn.HuberLoss()",
    "bce": "nn.BCELoss()",
    "bce_with_logits": "nn.BCEWithLogitsLoss()",
    "kl_div": 'nn.KLDivLoss(reduction="batchmean")',
    "poisson_nll": "nn.PoissonNLLLoss()",
    "soft_margin": "nn.SoftMarginLoss()",
    "multilabel_soft_margin": "nn.MultiLabelSoftMarginLoss()",
}

_BETAS = 'lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["weight_decay"]'
OPTIMIZER = {
    "sgd": 'torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"], '
           'nesterov=o["nesterov"] and o["momentum"] > 0, weight_decay=o["weight_decay"])',
    "adam": f"torch.optim.Adam(groups, {_BETAS})",
    "adamw": 'torch.optim.AdamW(groups, lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"], '
             'weight_decay=o["weight_decay"] or 0.01)',
    "rmsprop": 'torch.optim.RMSprop(groups, lr=o["lr"], alpha=o["alpha"], eps=o["eps"], momentum=o["momentum"], '
               'weight_decay=o["weight_decay"])',
    "adagrad": 'torch.optim.Adagrad(groups, lr=o["lr"], eps=o["eps"], weight_decay=o["weight_decay"])',
    "adadelta": 'torch.optim.Adadelta(groups, lr=o["lr"], eps=o["eps"], weight_decay=o["weight_decay"])',
    "adamax": f"torch.optim.Adamax(groups, {_BETAS})",
    "nadam": f"torch.optim.NAdam(groups, {_BETAS})",
    "radam": f"torch.optim.RAdam(groups, {_BETAS})",
}

_LR = "torch.optim.lr_scheduler"
#: (lines that build `scheduler`, when it steps); batch-stepped schedules may get a warmup ramp.
SCHEDULE = {
    "none": (["scheduler = None"], "batch"),
    "step": ([f'scheduler = {_LR}.StepLR(optimizer, step_size=s["step_size"] * steps_per_epoch, '
              'gamma=s["gamma"])'], "batch"),
    "multistep": ([f"scheduler = {_LR}.MultiStepLR(",
                   '    optimizer, milestones=[m * steps_per_epoch for m in s["milestones"]], gamma=s["gamma"]',
                   ")"], "batch"),
    "exponential": ([f'scheduler = {_LR}.ExponentialLR(optimizer, gamma=s["gamma"] ** (1 / steps_per_epoch))'],
                    "batch"),
    "cosine": ([f"scheduler = {_LR}.CosineAnnealingLR(",
                '    optimizer, T_max=max(1, total_steps - s["warmup_steps"]), eta_min=s["min_lr"]', ")"],
               "batch"),
    "onecycle": (['max_lr = s["max_lr"] or optimizer.param_groups[0]["lr"]',
                  f"return {_LR}.OneCycleLR(optimizer, max_lr=max_lr, total_steps=max(2, total_steps)), "
                  '"batch"'], "batch"),
    "reduce_on_plateau": ([f"scheduler = {_LR}.ReduceLROnPlateau(",
                           '    optimizer, factor=s["factor"], patience=s["patience"], min_lr=s["min_lr"]', ")"],
                          "eval"),
}

WARMUP = f'''    if s["warmup_steps"]:  # a linear ramp over the first steps, then the schedule
        ramp = {_LR}.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / s["warmup_steps"]))
        if scheduler is None:
            return ramp, "batch"
        scheduler = {_LR}.SequentialLR(optimizer, [ramp, scheduler], milestones=[s["warmup_steps"]])
'''

assert set(LOSS) | {"code"} == set(LOSSES) and set(OPTIMIZER) == set(OPTIMIZERS) and set(SCHEDULE) == set(SCHEDULES)


def _make_loss(recipe: Recipe, plan: Plan) -> str:
    body = f"{plan.loss_function[0]}.{plan.loss_function[1]}" if plan.loss_function else LOSS[recipe.loss.name]
    note = "  # the project's own loss (code entry)" if plan.loss_function else ""
    return f"\n\ndef make_loss():\n    return {body}{note}\n"


def _make_optimizer(recipe: Recipe) -> str:
    return (f'\n\ndef make_optimizer(groups: list[dict]) -> torch.optim.Optimizer:\n    o = RECIPE["optimizer"]\n'
            f"    return {OPTIMIZER[recipe.optimizer.name]}\n")


def _make_scheduler(recipe: Recipe) -> str:
    lines, when = SCHEDULE[recipe.schedule.name]
    text = ("\n\ndef make_scheduler(optimizer, steps_per_epoch: int, total_steps: int):\n"
            '    """(scheduler or None, when it steps: after each "batch", "epoch" or "eval"uation)."""\n'
            '    s = RECIPE["schedule"]\n')
    text += "".join(f"    {line}\n" for line in lines)
    if recipe.schedule.name == "onecycle":
        return text
    if when == "batch":
        text += WARMUP
    return text + f'    return scheduler, "{when}"\n'


def _make_callbacks(plan: Plan) -> str:
    table = "".join(f'    "{module}.{cls}": {module}.{cls},\n' for module, cls in plan.hook_classes)
    return ('\n\nHOOKS = {\n' + table + '}\n\n\ndef make_callbacks() -> list:\n'
            '    """The recipe\'s hooks in order: built-in policies (hooks.py) and the project\'s own (usercode_*)."""\n'
            "    callbacks = []\n"
            '    for spec in RECIPE["hooks"]:\n'
            '        if not spec["enabled"]:\n'
            "            continue\n"
            '        hook = HOOKS[spec["class"]](**spec["params"])\n'
            "        # TorchCanvas keeps the weights from before each step for code hooks unless told not to.\n"
            '        if spec["name"] == "code" and not hasattr(hook, "needs_snapshot"):\n'
            "            hook.needs_snapshot = True\n"
            "        callbacks.append(hook)\n"
            "    return callbacks\n")


def _imports(model_class: str, plan: Plan) -> str:
    modules = sorted({m for m, _ in plan.hook_classes} | ({plan.loss_function[0]} if plan.loss_function else set()))
    lines = ["from dataclasses import asdict, is_dataclass", "",
             "from hooks import CancelBatchException, CancelFitException, CancelStepException",
             "from metrics import MetricAccumulator, flatten_for_loss",
             f"from model import {model_class}"]
    lines += [f"import {m}" for m in modules]
    return "\n".join(lines)


def train_script(model_class: str, recipe: Recipe, plan: Plan, target_is_input: bool, shuffle: bool) -> str:
    """The text of train.py (unformatted; the export runs ruff on it)."""
    head = Template(loop_text.HEAD).substitute(model_class=model_class, imports=_imports(model_class, plan),
                                               target_is_input=bool(target_is_input), shuffle=bool(shuffle))
    setup = Template(loop_text.SETUP).substitute(model_class=model_class)
    return (head + setup + _make_loss(recipe, plan) + _make_optimizer(recipe) + _make_scheduler(recipe)
            + _make_callbacks(plan) + loop_text.TRAINER + loop_text.MAIN)
