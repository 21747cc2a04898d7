"""Clean, unique Python identifiers from labels (after torch.fx's _Namespace)."""

from __future__ import annotations

import builtins
import keyword
import re

from graph.document import make_identifier

RESERVED = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "torch", "nn", "math", "F", "layer"}


class Namespace:
    """Hands out identifiers that are unique within one function or class body."""

    def __init__(self, reserved: frozenset[str] | set[str] = RESERVED) -> None:
        self.used: set[str] = set(reserved)

    def claim(self, hint: str) -> str:
        base = make_identifier(hint)
        if base in self.used:
            base = base if base not in RESERVED else f"{base}_"
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


def class_name(text: str, default: str = "Model") -> str:
    """'digits mlp' → 'DigitsMlp', 'ResNet block' → 'ResNetBlock'."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", text) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or name.lower() == "untitled":
        return default
    if name[0].isdigit():
        name = f"{default}{name}"
    return name


def claim_class(ns: Namespace, hint: str) -> str:
    """A CamelCase class name unique in `ns` (Block, Block2, ...); class names keep their case."""
    name, k = hint, 2
    while name in ns.used:
        name, k = f"{hint}{k}", k + 1
    ns.used.add(name)
    return name
