"""The helper definitions (codegen.support) as live objects, for shape inference."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import torch
from torch import nn


@cache
def _namespace() -> dict[str, Any]:
    try:
        from codegen.support import SUPPORT, support_source
    except ImportError:
        return {}
    namespace: dict[str, Any] = {"torch": torch, "nn": nn, "math": math}
    exec(compile(support_source(list(SUPPORT)), "<torchcanvas support>", "exec"), namespace)  # noqa: S102
    return {name: namespace[name] for name in SUPPORT if name in namespace}


def support_namespace() -> dict[str, Any]:
    return dict(_namespace())
