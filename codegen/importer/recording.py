"""Recording the arguments every nn.Module was constructed with.

A module does not remember its constructor's arguments, yet an opaque node
must rebuild it. While a model is constructed inside `record_constructors()`,
a profile hook notes the arguments of the outermost `__init__` call of each
module (that call received exactly what the caller passed). The CLI and the
GUI build the user's model inside it; from Python, wrap your constructor call.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import weakref
from collections.abc import Iterator
from typing import Any

from torch import nn

#: module → {argument name: value}, for modules built while recording.
_RECORDED: weakref.WeakKeyDictionary[nn.Module, dict[str, Any]] = weakref.WeakKeyDictionary()


def _profile(frame, event, arg) -> None:
    if event != "call" or frame.f_code.co_name != "__init__":
        return
    code = frame.f_code
    if not code.co_argcount:
        return
    first = frame.f_locals.get(code.co_varnames[0])
    if not isinstance(first, nn.Module) or first in _RECORDED:
        return
    info = inspect.getargvalues(frame)
    values = {name: info.locals[name] for name in info.args[1:] if name in info.locals}
    if info.varargs and info.locals.get(info.varargs):
        values["*" + info.varargs] = info.locals[info.varargs]
    if info.keywords:
        values.update(info.locals.get(info.keywords) or {})
    _RECORDED[first] = values


@contextlib.contextmanager
def record_constructors() -> Iterator[None]:
    previous = sys.getprofile()
    sys.setprofile(_profile)
    try:
        yield
    finally:
        sys.setprofile(previous)


def constructor_arguments(module: nn.Module) -> dict[str, Any] | None:
    """The recorded constructor arguments, or None if the module was built outside the recorder."""
    return _RECORDED.get(module)
