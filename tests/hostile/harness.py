"""Run hostile project files through every door: check, export py/onnx, train, the window.

Torch, Qt and our packages are imported once here; each case then runs in a
forked child (two at a time, for two cores) with a deadline, so a hang or a
crash costs one case, never the run. The child runs the real command-line
entry point in-process with its output captured at the file-descriptor
level, then opens the project in an offscreen main window, and reports back
as JSON through a pipe. The parent judges: tracebacks, hangs, marker files
written by code that should not have run, original files that changed, and
whether `check` and the editor agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRACEBACK = "Traceback (most recent call last)"
COMMANDS = ("check", "py", "onnx", "train", "gui")


@dataclass(frozen=True)
class Expect:
    """What a command must do: "ok" (exit 0), "refuse" (exit 1, one `error:` line naming each of `names`)
    or "any" (either, as long as it is clean: the blind corpus)."""

    outcome: str
    names: tuple[str, ...] = ()


OK = Expect("ok")
ANY = Expect("any")


def refuse(*names: str) -> Expect:
    return Expect("refuse", names)


@dataclass
class Case:
    name: str
    #: Files of the case, relative to its folder; "project.json" is the project.
    files: dict[str, bytes]
    expect: dict[str, Expect]
    #: The observation of issue #12 it reproduces (or the attack it tries).
    why: str = ""
    train_args: tuple[str, ...] = ()
    #: Further commands: (label, argv with {dir} for the case folder, expectation).
    extra: tuple[tuple[str, tuple[str, ...], Expect], ...] = ()
    #: Made in the case folder before it runs (FIFOs, sparse files): name → maker(path).
    makers: dict[str, Callable[[Path], None]] = field(default_factory=dict)
    #: Called with the case folder after it ran; returns a failure or None.
    verify: Callable[[Path], str | None] | None = None


def argv_for(command: str, case: Case) -> list[str]:
    project = "project.json"
    return {
        "check": ["check", project],
        "py": ["export", project, "--to", "py", "-o", "out/model.py"],
        "onnx": ["export", project, "--to", "onnx", "-o", "out/model.onnx"],
        "train": ["train", project, "--epochs", "1", "--max-steps", "2", "--quiet", "--out", "out/run",
                  *case.train_args],
    }[command]


# -- the child ----------------------------------------------------------------------------------------

def captured(call: Callable[[], int], folder: Path, label: str) -> dict[str, Any]:
    """Runs `call` with fds 1 and 2 going to files; returns exit code, output and any escaped exception."""
    out_path, err_path = folder / f".{label}.out", folder / f".{label}.err"
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    started = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        escaped = None
        try:
            code = call()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - this is what must never happen: record it
            escaped = traceback.format_exc()
            code = 99
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    return {"code": code, "seconds": round(time.monotonic() - started, 2),
            "stdout": out_path.read_text(errors="replace")[-20000:],
            "stderr": err_path.read_text(errors="replace")[-20000:], "escaped": escaped}


def _cli(argv: list[str]) -> Callable[[], int]:
    def call() -> int:
        from app.cli import main

        return int(main(argv) or 0)
    return call


#: Written to the pipe as each door starts, so the deadline is per command (JSON never holds a raw NUL).
TICK = b"\0"


def run_in_child(case: Case, folder: Path, pipe: int) -> dict[str, Any]:
    """The command-line doors of one case (the window door runs in `gui_door`'s one process)."""
    os.chdir(folder)
    (folder / "out").mkdir(exist_ok=True)
    doors = [(c, argv_for(c, case)) for c in COMMANDS if c != "gui"]
    doors.append(("check-no-data", ["check", "project.json", "--no-data"]))  # what the editor analyses
    doors += [(label, [a.replace("{dir}", str(folder)) for a in argv]) for label, argv, _ in case.extra]
    results: dict[str, Any] = {}
    for label, argv in doors:
        os.write(pipe, TICK)
        results[label] = captured(_cli(argv), folder, label)
    return results


# -- the parent ---------------------------------------------------------------------------------------

def digest(folder: Path, names: list[str]) -> dict[str, str]:
    out = {}
    for name in names:
        path = folder / name
        if path.is_file():
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@dataclass
class Result:
    case: Case
    folder: Path
    results: dict[str, Any] | None
    seconds: float
    hung: bool = False
    failures: list[str] = field(default_factory=list)


def prepare_folder(case: Case, root: Path) -> Path:
    folder = root / case.name
    folder.mkdir(parents=True)
    for rel, data in case.files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data.replace(b"@@CASE_DIR@@", str(folder).encode()))
    for rel, maker in case.makers.items():
        maker(folder / rel)
    (folder / "home").mkdir()
    return folder


def _start(case: Case, folder: Path) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            os.environ["TORCHCANVAS_HOME"] = str(folder / "home")
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
            os.setpgid(0, 0)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__  # fds 1 and 2, whatever the parent wrapped
            one_thread()
            payload = json.dumps(run_in_child(case, folder, write_fd)).encode()
        except BaseException:  # noqa: BLE001
            payload = json.dumps({"harness": traceback.format_exc()}).encode()
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_fd)
    return pid, read_fd


def one_thread() -> None:
    """A forked child computes with one thread: `parallel` children share the cores, and OpenMP pools
    that outnumber the cores spin-wait (a 300-layer model's histograms took 30 s instead of 0.3 s)."""
    import torch

    torch.set_num_threads(1)


def warm_imports() -> None:
    """Everything the doors import and first-use costs, paid once before forking.

    Imports, then one analysis and one compile of the bundled example on the meta device (the
    first meta kernels cost seconds), then every command-line door once on the bundled example
    (a child's first ONNX export cost 0.8 s and its next 0.15 s; check and train halve too), on
    one thread: no thread pool runs and no QApplication exists yet, so forking afterwards is safe.
    """
    import importlib

    for name in ("torch", "torch.onnx", "safetensors.torch", "app.cli", "app.main_window", "runtime.session",
                 "runtime.commands.check", "runtime.commands.export", "runtime.commands.train",
                 "runtime.commands.import_", "runtime.data", "codegen.catalogue", "codegen.export", "sklearn"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    from app.launch import EXAMPLE
    from codegen import compile_document
    from graph import load
    from runtime.analysis import analyse
    from runtime.commands.check import project_registry

    doc = load(EXAMPLE, project_registry())
    analysis = analyse(doc, project_dir=EXAMPLE.parent, trusted=False, registry=project_registry(),
                       load_data=False)
    compile_document(doc, trusted=False, inference=analysis.inference)
    one_thread()
    warm = Path(tempfile.mkdtemp(prefix="hostile-warm-"))
    (warm / "out").mkdir()
    (warm / "project.json").write_bytes(EXAMPLE.read_bytes())
    home, cwd = os.environ.get("TORCHCANVAS_HOME"), os.getcwd()
    os.environ["TORCHCANVAS_HOME"] = str(warm / "home")
    os.chdir(warm)
    try:
        for command in (c for c in COMMANDS if c != "gui"):
            done = captured(_cli(argv_for(command, Case("warm", {}, {}))), warm, command)
            assert done["code"] == 0 and not done["escaped"], (command, done)
    finally:
        os.chdir(cwd)
        if home is None:
            os.environ.pop("TORCHCANVAS_HOME", None)
        else:
            os.environ["TORCHCANVAS_HOME"] = home


def run_corpus(cases: list[Case], root: Path | None = None, parallel: int = 2,
               timeout: float = 60.0) -> list[Result]:
    """Runs every case's command-line doors in its own child, `parallel` at a time, while one more
    process opens each case in the window; one command (or one window open) past `timeout` seconds is a
    hang."""
    from tests.hostile.gui_door import WindowDoor

    warm_imports()
    root = Path(tempfile.mkdtemp(prefix="hostile-")) if root is None else root
    folders = {case.name: prepare_folder(case, root) for case in cases}
    before = {case.name: digest(folders[case.name], list(case.files)) for case in cases}
    window = WindowDoor([folders[case.name] for case in cases], timeout)
    pending = list(cases)
    running: dict[int, tuple[Case, int, float, bytearray]] = {}
    done: dict[str, Result] = {}
    begun: dict[str, float] = {}
    while pending or running or window.busy():
        while pending and len(running) < parallel:
            case = pending.pop(0)
            pid, fd = _start(case, folders[case.name])
            begun[case.name] = time.monotonic()
            running[fd] = (case, pid, time.monotonic(), bytearray())
        ready, _, _ = select.select([*running, *window.fds()], [], [], 0.2)
        for fd in ready:
            if fd not in running:
                window.read()
                continue
            chunk = os.read(fd, 1 << 16)
            if chunk:
                if TICK in chunk:  # the next door started: its own deadline
                    case, pid, _, data = running[fd]
                    running[fd] = (case, pid, time.monotonic(), data)
                running[fd][3].extend(chunk.replace(TICK, b""))
                continue
            os.close(fd)
            case, pid, started, data = running.pop(fd)
            os.waitpid(pid, 0)
            try:
                results = json.loads(bytes(data))
            except ValueError:
                results = {"harness": f"the child died without a report ({bytes(data)[:200]!r})"}
            done[case.name] = Result(case, folders[case.name], results, time.monotonic() - begun[case.name])
        now = time.monotonic()
        for fd, (case, pid, started, _data) in list(running.items()):
            if now - started > timeout:
                kill_group(pid)
                os.close(fd)
                del running[fd]
                done[case.name] = Result(case, folders[case.name], None, now - started, hung=True)
        window.check_deadline()
    for name, result in done.items():
        if result.results is not None and "harness" not in result.results:
            result.results["gui"] = window.result(folders[name])
    return [judge(done[case.name], before[case.name]) for case in cases]


def kill_group(pid: int) -> None:
    for target in (-pid, pid):  # the child's process group: its training workers too
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error: ")]


def judge(result: Result, before: dict[str, str]) -> Result:
    case, folder, failures = result.case, result.folder, result.failures
    pwned = sorted(p.name for p in folder.rglob("PWNED*"))
    if pwned:
        failures.append(f"untrusted code ran: {pwned}")
    if digest(folder, list(case.files)) != before:
        failures.append("an original file was modified")
    if result.hung:
        failures.append(f"hang (> {result.seconds:.0f} s)")
        return result
    results = result.results or {}
    if "harness" in results:
        failures.append(f"harness: {results['harness'][-500:]}")
        return result
    if "failed" in (results.get("gui") or {}):  # the window door hung or died on this case
        failures.append(results.pop("gui")["failed"])
    labels = [*COMMANDS, "check-no-data", *(label for label, _, _ in case.extra)]
    expects = {**case.expect, **{label: e for label, _, e in case.extra}}
    for label in labels:
        r = results.get(label)
        if r is None:
            continue
        output = r["stdout"] + r["stderr"]
        if r["escaped"] or TRACEBACK in output:
            failures.append(f"{label}: traceback: {(r['escaped'] or output)[-600:]}")
            continue
        if "error: error:" in output:
            failures.append(f"{label}: 'error: error:' in {output[-300:]!r}")
        if "a bug in TorchCanvas" in output:
            failures.append(f"{label}: unexpected exception: {output[-400:]!r}")
            continue
        if label != "gui" and r["code"] != 0 and not _error_lines(r["stderr"] + r["stdout"]):
            failures.append(f"{label}: exit {r['code']} without an 'error: <file>: ...' line: {output[-300:]!r}")
            continue
        failures += _check_expectation(label, r, expects.get(label, ANY))
    failures += _agreement(results)
    if case.verify is not None:
        problem = case.verify(folder)
        if problem:
            failures.append(f"verify: {problem}")
    return result


def _check_expectation(label: str, r: dict[str, Any], expect: Expect) -> list[str]:
    if label == "gui":
        report = r.get("report") or {}
        if report.get("slot_errors"):
            return [f"gui: exception in a slot: {report['slot_errors'][0][-400:]}"]
        text = " ".join([*report.get("errors", []), r["stderr"], *report.get("dialogs", [])])
        refused = not report.get("opened") or bool(report.get("errors"))
    else:
        text = r["stderr"] + r["stdout"]
        refused = r["code"] != 0
    if expect.outcome == "any":
        return []
    if expect.outcome == "ok" and refused:
        return [f"{label}: expected to work, got exit {r['code']}: {text[-400:]!r}"]
    if expect.outcome == "refuse":
        if not refused:
            return [f"{label}: expected a refusal naming {expect.names}, but it worked"]
        if label != "gui" and not _error_lines(r["stderr"] + r["stdout"]):
            return [f"{label}: refused without an 'error: <file>: ...' line: {text[-400:]!r}"]
        missing = [n for n in expect.names if n.lower() not in text.lower()]
        if missing:
            return [f"{label}: the refusal does not name {missing}: {text[-400:]!r}"]
    return []


def _agreement(results: dict[str, Any]) -> list[str]:
    """`check --no-data` fails exactly when the editor shows an error (or cannot open it); same messages.

    The editor does not load the dataset (the window stays responsive; the training worker's pre-flight
    matches the samples against the Input and puts that problem on the Input node), so it is compared
    with `check --no-data`; plain `check` also loads the data.
    """
    check, gui = results.get("check-no-data") or results.get("check"), results.get("gui")
    if not check or not gui or not gui.get("report"):
        return []
    report = gui["report"]
    editor_bad = not report["opened"] or bool(report["errors"])
    check_bad = check["code"] != 0
    if editor_bad != check_bad:
        return [f"check and the editor disagree: check exit {check['code']}, editor "
                f"{'cannot open' if not report['opened'] else report['errors'][:3]}; check said "
                f"{(check['stdout'] + check['stderr'])[-300:]!r}"]
    text = check["stdout"] + check["stderr"]
    flat = " ".join(text.split())  # error lines are one line each: whitespace runs become one space
    unseen = [m for m in report.get("messages", report["errors"]) if " ".join(m.split())[:60] not in flat]
    return [f"the editor shows errors check does not print: {unseen[:3]}"] if unseen else []


def summary(results: list[Result]) -> str:
    """Per observed outcome class, how many cases: the table for the closing note."""
    counts: dict[str, int] = {}
    for r in results:
        counts[outcome_class(r)] = counts.get(outcome_class(r), 0) + 1
    lines = [f"{len(results)} cases"] + [f"  {k:<34} {v}" for k, v in sorted(counts.items())]
    return "\n".join(lines)


def outcome_class(r: Result) -> str:
    text = " ".join(r.failures)
    if "untrusted code ran" in text:
        return "untrusted code ran"
    if r.hung or "hang (" in text:
        return "hang"
    if "traceback" in text or "harness" in text or "died" in text:
        return "traceback"
    if "unexpected exception" in text:
        return "unexpected exception (crash log)"
    if "modified" in text:
        return "original file modified"
    if r.failures:
        return "wrong outcome / disagreement"
    kinds = {e.outcome for e in r.case.expect.values()}
    if kinds == {"any"}:
        codes = [v.get("code") for k, v in (r.results or {}).items() if k != "gui" and isinstance(v, dict)]
        return "clean: refused with error lines" if any(codes) else "clean: accepted"
    return "clear error, as expected" if "refuse" in kinds else "accepted, as expected"
