"""How a command says what went wrong: `error: <file>: <what> (<where>)`, one line per problem.

Every command renders failures through here, from the records the errors
carry (`Problem`s; a project file's document path and line), never by
reading message text. Anything else that escapes a command is a bug in
TorchCanvas: it still gets one line (naming the file and a log with the
traceback), never a traceback on the terminal.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

from graph.codeinfo import CodeEntryError
from graph.fileformat import ProjectFileError
from graph.problems import Problem, ProblemError, errors


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def problem_line(file: str | Path, problem: Problem) -> str:
    """`error: model.json: expects in_features=7 ...; clear in_features (node fc2, parameter in_features)`.

    A record on the command's own file keeps only its line or place in the
    brackets, so the file is named once.
    """
    if problem.file is not None and _same_file(problem.file, file):
        problem = replace(problem, file=None)
    what = problem.message + (f"; {problem.hint}" if problem.hint else "")
    where = problem.where()
    return _one_line(f"{problem.severity}: {file}: {what}" + (f" ({where})" if where else ""))


def _same_file(a: str | Path, b: str | Path) -> bool:
    if str(a) == str(b):
        return True
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):
        return False


#: Why nothing can be built yet in a window that is still importing torch (app.engine_loader).
ENGINE_LOADING = Problem("PyTorch is still loading", hint="try again when the status bar no longer says so")


def problems_of(exc: BaseException, file: str | Path | None = None) -> list[Problem]:
    """The records a view shows for a failure: the ones it carries, else one made from what it knows.

    Errors with records (compile, recipe, dataset, training; a project file's
    lines and places) give them, with `file` filled in where they name none;
    a system error names its file and reason; anything else becomes one record
    on `file`. The window renders only these (app/problem_view.py).
    """
    where = str(file) if file is not None else None
    if isinstance(exc, ProblemError) and exc.problems:
        return [p if p.file or p.node_id or p.recipe_path or not where else replace(p, file=where)
                for p in (errors(exc.problems) or exc.problems)]
    if isinstance(exc, ProjectFileError):
        return [p if p.file else replace(p, file=where) for p in exc.records()]
    if isinstance(exc, CodeEntryError):
        return [Problem(exc.reason, line=exc.line, file=where)]
    if isinstance(exc, OSError) and exc.strerror:
        return [Problem(exc.strerror, file=str(exc.filename) if exc.filename else where)]
    message = _one_line(_strip_file(str(exc), file)) if file is not None else _one_line(str(exc))
    return [Problem(message or type(exc).__name__, file=where)]


def error_lines(file: str | Path, exc: BaseException) -> list[str]:
    """The lines a person reads for an expected failure: the same records the window shows (`problems_of`)."""
    return [problem_line(file, p) for p in problems_of(exc, file)]


def _strip_file(message: str, file: str | Path) -> str:
    """Messages of plain exceptions (OSError, export errors) often start with the path already."""
    text = message.strip()
    for prefix in (f"{file}: ", f"{Path(file).resolve()}: "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def print_error(file: str | Path, exc: BaseException) -> int:
    """Prints the failure's lines to stderr; returns the exit status (1)."""
    for line in error_lines(file, exc):
        print(line, file=sys.stderr)
    return 1


def crash_log() -> Path:
    from runtime.home import user_home

    return user_home() / "crash.log"


def report_crash(file: str | Path, exc: BaseException, command: str) -> int:
    """An unexpected exception (a bug): one line for the person, the traceback in the crash log."""
    detail = "".join(traceback.format_exception(exc))
    try:
        log = crash_log()
        with log.open("a", encoding="utf-8") as f:
            f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} torchcanvas {command} {file}\n{detail}\n")
        where = f"details in {log}"
    except OSError:
        where = "the crash log could not be written"
    first = _one_line(str(exc))[:300]
    print(f"error: {file}: unexpected {type(exc).__name__}{': ' + first if first else ''} "
          f"(a bug in TorchCanvas; {where})", file=sys.stderr)
    return 2
