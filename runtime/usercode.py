"""User hooks and losses from the project's code entries.

A failure inside user code stops training with the entry's name and the
line that failed, never a bare traceback.
"""

from __future__ import annotations

import ast
from typing import Any

from codegen.usercode import base_namespace, code_filename, register_source, user_line
from runtime.callbacks import (
    HOOK_POINTS,
    Callback,
    CancelBatchException,
    CancelFitException,
    CancelStepException,
)
from runtime.engine import TrainingError

HOOK_METHODS = tuple(HOOK_POINTS)
_CANCEL = (CancelBatchException, CancelStepException, CancelFitException)


def _exec_entry(entry: str, source: str | None, what: str) -> dict[str, Any]:
    if source is None:
        raise TrainingError(f"the {what} refers to code entry {entry!r}, which does not exist")
    filename = code_filename(entry)
    register_source(filename, source)
    namespace = base_namespace()
    namespace.update({"Callback": Callback, "CancelBatchException": CancelBatchException,
                      "CancelStepException": CancelStepException, "CancelFitException": CancelFitException})
    try:
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - the user trusted this project
    except SyntaxError as exc:
        raise TrainingError(f"code entry {entry!r}, line {exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:  # noqa: BLE001
        line = user_line(exc.__traceback__, filename)
        raise TrainingError(f"code entry {entry!r}, line {line}: {type(exc).__name__}: {exc}") from None
    return namespace


def load_function(entry: str, source: str | None, what: str) -> Any:
    """The last top-level function of a code entry (e.g. a custom loss(output, target))."""
    namespace = _exec_entry(entry, source, what)
    names = [s.name for s in ast.parse(source or "").body if isinstance(s, ast.FunctionDef)]
    if not names:
        raise TrainingError(f"code entry {entry!r} defines no function for the {what}")
    fn = namespace[names[-1]]

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            line = user_line(exc.__traceback__, code_filename(entry))
            raise TrainingError(f"{what} (code entry {entry!r}, line {line}): {type(exc).__name__}: {exc}") from exc

    return call


class UserHook(Callback):
    """Runs a user's hook class; an exception becomes a TrainingError naming the hook and line."""

    def __init__(self, entry: str, source: str | None, params: dict[str, Any] | None = None) -> None:
        namespace = _exec_entry(entry, source, "hook")
        classes = [s.name for s in ast.parse(source or "").body if isinstance(s, ast.ClassDef)
                   and any(isinstance(f, ast.FunctionDef) and f.name in HOOK_METHODS for f in s.body)]
        if not classes:
            raise TrainingError(f"code entry {entry!r} defines no class with a hook method "
                                f"({', '.join(HOOK_METHODS)})")
        self.entry = entry
        self.name = classes[-1]
        try:
            self.inner = namespace[classes[-1]](**(params or {}))
        except Exception as exc:  # noqa: BLE001
            line = user_line(exc.__traceback__, code_filename(entry))
            raise TrainingError(f"hook {self.name} (code entry {entry!r}, line {line}): "
                                f"{type(exc).__name__}: {exc}") from None
        self.needs_snapshot = bool(getattr(self.inner, "needs_snapshot", False))

    def _run(self, method: str, trainer: Any) -> None:
        fn = getattr(self.inner, method, None)
        if fn is None:
            return
        try:
            fn(trainer)
        except _CANCEL:
            raise
        except Exception as exc:
            line = user_line(exc.__traceback__, code_filename(self.entry))
            raise TrainingError(f"hook {self.name}.{method} (code entry {self.entry!r}, line {line}): "
                                f"{type(exc).__name__}: {exc}") from exc


for _method in HOOK_METHODS:
    setattr(UserHook, _method, lambda self, trainer, _m=_method: self._run(_m, trainer))
