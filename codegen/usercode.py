"""Running a project's custom code entries, with errors that name the entry and line.

Each entry is compiled under the file name `<code NAME>` and registered with
linecache, so a traceback through user code shows the user's own lines and
we can report "code entry 'attn', line 7: ...".
"""

from __future__ import annotations

import linecache
import math
import traceback
from types import TracebackType
from typing import Any

import torch
from torch import nn

from graph.codeinfo import CodeEntryError, CodeInfo, read_code


def code_filename(entry: str) -> str:
    return f"<code {entry}>"


def register_source(filename: str, source: str) -> None:
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)


def base_namespace() -> dict[str, Any]:
    return {"torch": torch, "nn": nn, "math": math, "__name__": "torchcanvas_user_code"}


def user_line(tb: TracebackType | None, filename: str) -> int | None:
    """The deepest line of `filename` in a traceback (where the user's code failed)."""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def user_error_line(exc: BaseException, entry: str) -> int | None:
    return user_line(exc.__traceback__, code_filename(entry))


def describe_user_error(exc: BaseException, entry: str) -> str:
    line = user_line(exc.__traceback__, code_filename(entry))
    where = f"code entry {entry!r}" + (f", line {line}" if line else "")
    return f"{where}: {type(exc).__name__}: {exc}"


def load_entry(entry: str, source: str) -> tuple[Any, CodeInfo]:
    """Executes a code entry and returns (the class or function it defines, its info)."""
    info = read_code(source)
    filename = code_filename(entry)
    register_source(filename, source)
    namespace = base_namespace()
    try:
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - the user trusted this project
    except SyntaxError as exc:
        raise CodeEntryError(f"syntax error: {exc.msg}", exc.lineno) from None
    except Exception as exc:  # noqa: BLE001 - report any failure of user code with its line
        raise CodeEntryError(f"{type(exc).__name__}: {exc}",
                             user_line(exc.__traceback__, filename)) from exc
    return namespace[info.name], info
