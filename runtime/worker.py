"""Training in a child process, so a crash, a NaN or a runaway hook never takes the editor down.

The parent sends the project as JSON text; the child trains and streams the
events back through a queue in small batches (one message per ~0.1 s, not one
per event); they travel as the named tuples the engine made (pickled by the
queue's feeder thread), never converted one by one. Stop and pause are shared flags (`SharedFlag`) checked
between batches, so Stop ends the run within one batch. If the child dies (even by SIGKILL) the parent
notices and reports it as a failed run.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import queue
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.problems import Problem, ProblemError
from runtime.events import FitEnded, LogMessage

FLUSH_SECONDS = 0.1


class SharedFlag:
    """Stop or Pause: one byte of shared memory that the editor sets and the training loop reads per batch.

    `multiprocessing.Event.is_set` takes the Event's lock on every read (3–5 µs here, twice a batch:
    about 1 % of a small model's batch-1 step); the byte reads like an attribute. Nobody waits on these
    flags (the loop polls them between batches), so nothing else an Event offers is needed. Pass it to a
    process when starting it, as any shared memory.
    """

    def __init__(self, ctx: Any = mp) -> None:
        self._byte = ctx.RawValue(ctypes.c_bool, False)

    def set(self) -> None:
        self._byte.value = True

    def clear(self) -> None:
        self._byte.value = False

    def is_set(self) -> bool:
        return self._byte.value


@dataclass
class WorkerRequest:
    project_text: str
    project_dir: str | None = None
    trusted: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    run_dir: str | None = None
    resume_from: str | None = None
    num_threads: int | None = None


def run_request(request: WorkerRequest, send: Callable[[list[Any]], None], stop: Any, pause: Any,
                dataset_loader: Callable[..., Any] | None = None) -> None:
    """Trains `request` in this process, passing event batches to `send`; never raises.

    Shared by the one-run child (`_child`) and the warm worker, which calls it
    once per run with a dataset loader that remembers what it loaded.
    """
    buffer: list[Any] = []
    last = time.monotonic()

    def flush() -> None:
        nonlocal last
        if buffer:
            send(list(buffer))
            buffer.clear()
        last = time.monotonic()

    ended: list[bool] = []

    def emit(event: Any) -> None:
        if event.kind == "fit_ended":
            ended.append(True)
        buffer.append(event)
        if event.kind in ("fit_started", "fit_ended", "checkpoint_saved", "pause_changed") or time.monotonic() - last > FLUSH_SECONDS:
            flush()

    try:
        from graph import loads
        from runtime.commands.check import project_registry
        from runtime.engine import Flags
        from runtime.session import prepare, run

        def paused() -> bool:  # while paused, the dashboard shows every batch done so far
            if pause.is_set():
                flush()
                return True
            return False

        doc = loads(request.project_text, project_registry())
        job = prepare(doc, project_dir=Path(request.project_dir) if request.project_dir else None,
                      trusted=request.trusted, overrides=request.overrides, emit=emit,
                      flags=Flags(stop=stop.is_set, paused=paused),
                      run_dir=Path(request.run_dir) if request.run_dir else None,
                      resume_from=Path(request.resume_from) if request.resume_from else None,
                      num_threads=request.num_threads, dataset_loader=dataset_loader)
        run(job)
    except ProblemError as exc:  # expected: the records say where (node, recipe setting, file line)
        if not ended:
            emit(FitEnded("failed", 0, {}, exc.problems[0].text() if exc.problems else str(exc),
                          problems=[p.to_dict() for p in exc.problems]))
    except Exception as exc:  # noqa: BLE001 - anything else becomes a 'failed' event for the parent
        if not ended:
            emit(LogMessage("".join(traceback.format_exception(exc))[-4000:], "debug"))
            message = f"{type(exc).__name__}: {exc}"
            emit(FitEnded("failed", 0, {}, message,  # unexpected, yet views still get a record
                          problems=[Problem(message[:300], hint="the run's log has the traceback").to_dict()]))
    finally:
        flush()


def exit_with_parent(parent_pid: int, every: float = 1.0) -> None:
    """Ends this child process when the editor that started it is gone.

    A daemonic multiprocessing child is ended by its parent's exit handlers;
    an editor killed by a signal runs none, and the child would otherwise sit
    there forever with torch and a dataset in memory.
    """
    import os
    import threading

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="torchcanvas-parent-watch").start()


def _child(request: WorkerRequest, events: Any, stop: Any, pause: Any, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    try:
        run_request(request, events.put, stop, pause)
    finally:
        events.close()
        events.join_thread()


class TrainingProcess:
    """The parent's handle on one training run in a child process."""

    def __init__(self, request: WorkerRequest) -> None:
        ctx = mp.get_context("spawn")
        self._events = ctx.Queue()
        self._stop = SharedFlag(ctx)
        self._pause = SharedFlag(ctx)
        self.process = ctx.Process(target=_child, args=(request, self._events, self._stop, self._pause, os.getpid()),
                                   daemon=True, name="torchcanvas-training")
        self.finished: FitEnded | None = None

    def start(self) -> None:
        self.process.start()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def stop(self) -> None:
        self._stop.set()

    def pause(self, paused: bool = True) -> None:
        (self._pause.set if paused else self._pause.clear)()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()

    def join(self, timeout: float | None = None) -> None:
        self.process.join(timeout)

    def poll(self, timeout: float = 0.0) -> list[Any]:
        """Events received so far (never blocks longer than `timeout`)."""
        out: list[Any] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                batch = self._events.get(timeout=max(0.0, deadline - time.monotonic())) if timeout and not out \
                    else self._events.get_nowait()
            except (queue.Empty, EOFError, OSError):
                break
            for event in batch:
                out.append(event)
                if isinstance(event, FitEnded):
                    self.finished = event
        if self.finished is None and not self.process.is_alive() and self.process.exitcode is not None:
            try:  # drain what arrived just before the exit
                while True:
                    out.extend(self._events.get(timeout=0.2))
            except (queue.Empty, EOFError, OSError):
                pass
            ended = [e for e in out if isinstance(e, FitEnded)]
            if ended:
                self.finished = ended[-1]
            else:
                code = self.process.exitcode
                reason = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                self.finished = FitEnded("failed", 0, {}, f"the training process died ({reason})")
                out.append(self.finished)
        return out

    @property
    def running(self) -> bool:
        return self.finished is None

    def wait(self, timeout: float = 60.0) -> list[Any]:
        """Collects events until the run ends (for scripts and tests)."""
        events: list[Any] = []
        deadline = time.monotonic() + timeout
        while self.finished is None and time.monotonic() < deadline:
            events += self.poll(timeout=0.1)
        self.process.join(timeout=5)
        return events
