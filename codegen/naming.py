"""Clean, unique Python identifiers from labels (after torch.fx's _Namespace).

A hint goes through `codegen.escape` (NFKC, identifier characters only) and is
then made unique, so two labels that Python would read as one name (``ﬁ`` and
``fi``) become two names. Attribute names avoid what `nn.Module` itself
defines (`self.eval`, `self.train` would break the module); local names avoid
builtins and the names the generated code uses (`torch`, `nn`, `self`).
"""

from __future__ import annotations

import builtins
import keyword

from torch import nn

from codegen.escape import escape

#: Names a local variable must not take.
RESERVED = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "torch", "nn", "math", "F"}
#: Names a submodule attribute must not take (they are nn.Module's own).
ATTRIBUTE_RESERVED = frozenset(keyword.kwlist) | frozenset(name for name in dir(nn.Module) if not name.startswith("_"))


class Namespace:
    """Hands out identifiers that are unique within one function or class body.

    A hint that is reserved gets `suffix` (`self.eval_layer`, a local `input_`).
    """

    def __init__(self, reserved: frozenset[str] | set[str] = RESERVED, suffix: str = "_") -> None:
        self.used: set[str] = set(reserved)
        self.reserved = frozenset(reserved)
        self.suffix = suffix

    def claim(self, hint: str) -> str:
        base = escape(hint, "identifier")
        if base in self.reserved:
            base += self.suffix
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


def attribute_namespace() -> Namespace:
    return Namespace(ATTRIBUTE_RESERVED, suffix="_layer")


def class_name(text: str, default: str = "Model") -> str:
    """'digits mlp' → 'DigitsMlp', 'ResNet block' → 'ResNetBlock'."""
    return escape(text, "class", default)


def claim_class(ns: Namespace, hint: str) -> str:
    """A CamelCase class name unique in `ns` (Block, Block2, ...); class names keep their case."""
    name, k = hint, 2
    while name in ns.used:
        name, k = f"{hint}{k}", k + 1
    ns.used.add(name)
    return name
