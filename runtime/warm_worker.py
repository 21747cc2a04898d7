"""A training process started before it is needed and kept for the next run.

A fresh process pays for `import torch`, the compiler, the dataset and
torch's first kernels before the first batch: seconds, every time Train is
pressed. The warm worker pays that once, in the background, when the editor
opens: it imports everything, runs one tiny training step (so autograd and the
optimizer kernels are loaded), then waits for a request. Each run reuses it;
datasets are cached by their settings (and the files' modification times), so
the second run on the same data loads nothing.

A run gets the same isolation as a fresh process from the editor's point of
view: a crash, a NaN or a runaway hook never touches the editor, Stop and Pause
are shared flags, and a worker that dies is reported as a failed run and
replaced. A run that executed the project's own code (code nodes, hooks, a code
loss) retires its worker afterwards, so no user state leaks into the next run.

Messages from the child are tuples: ``("ready",)`` once warm, ``("events", run,
[event, ...])`` during a run, ``("idle", run)`` when it is done.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from runtime.events import FitEnded
from runtime.worker import SharedFlag, WorkerRequest, exit_with_parent, run_request

#: Datasets kept in the worker between runs (the last few used).
CACHED_DATASETS = 3


def _file_stamps(spec: dict[str, Any], project_dir: Path | None) -> tuple:
    path = spec.get("path")
    if not path:
        return ()
    p = Path(path)
    if not p.is_absolute() and project_dir is not None:
        p = project_dir / p
    try:
        files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())[:10_000]
        return tuple((str(q), q.stat().st_mtime_ns, q.stat().st_size) for q in files)
    except OSError:
        return (str(p), "missing")


def caching_loader(capacity: int = CACHED_DATASETS):
    """`load_dataset` with memory: same settings and unchanged files give the same bundle back."""
    from runtime.data import load_dataset

    cache: OrderedDict[tuple, Any] = OrderedDict()

    def load(spec: dict[str, Any], project_dir: Path | None) -> Any:
        key = (json.dumps(spec, sort_keys=True, default=str), str(project_dir), _file_stamps(spec, project_dir))
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        load.loads += 1
        bundle = load_dataset(spec, project_dir)
        cache[key] = bundle
        while len(cache) > capacity:
            cache.popitem(last=False)
        return bundle

    load.cache = cache  # what is held
    load.loads = 0  # how many times a dataset was actually loaded (the rest came from the cache)
    return load


def warm_up() -> None:
    """Imports the training path and runs one tiny step, so the first real batch pays no first-time costs."""
    import torch

    import codegen.compiler  # noqa: F401
    import runtime.analysis  # noqa: F401
    import runtime.session  # noqa: F401

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.Adam(model.parameters())
    loss = torch.nn.functional.cross_entropy(model(torch.randn(8, 4)), torch.zeros(8, dtype=torch.long))
    loss.backward()
    optimizer.step()
    torch._foreach_norm([p.grad for p in model.parameters()])


def _serve(requests: Any, messages: Any, stop: Any, pause: Any, num_threads: int | None,
           parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    if num_threads:
        import torch

        torch.set_num_threads(num_threads)
    warm_up()
    loader = caching_loader()
    messages.put(("ready",))
    while True:
        item = requests.get()
        if item is None:
            break
        run_id, request = item
        run_request(request, lambda batch, r=run_id: messages.put(("events", r, batch)), stop, pause,
                    dataset_loader=loader)
        messages.put(("idle", run_id, {"datasets_loaded": loader.loads, "pid": os.getpid()}))
    messages.close()
    messages.join_thread()


class WarmWorker:
    """The editor's training process: started early, reused, replaced when it dies or ran user code."""

    def __init__(self, num_threads: int | None = None) -> None:
        self._ctx = mp.get_context("spawn")
        self.num_threads = num_threads
        self.process: Any = None
        self.ready = False
        self.current: WarmRun | None = None
        self._next_id = 0
        self._retire = False
        self.runs_served = 0
        #: What the child reported after its last run (datasets actually loaded, its pid).
        self.stats: dict[str, Any] = {}

    # -- the child ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Spawns the child if there is none (returns at once; it warms up in the background)."""
        if self.process is not None and self.process.is_alive():
            return
        self._requests = self._ctx.Queue()
        self._messages = self._ctx.Queue()
        self._stop = SharedFlag(self._ctx)
        self._pause = SharedFlag(self._ctx)
        self.process = self._ctx.Process(target=_serve, args=(self._requests, self._messages, self._stop,
                                                              self._pause, self.num_threads, os.getpid()),
                                         daemon=True, name="torchcanvas-warm-worker")
        self.process.start()
        self.ready = False
        self.runs_served = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def _drain(self, timeout: float = 0.0) -> None:
        """Reads the child's messages and hands run events to the run they belong to."""
        deadline = time.monotonic() + timeout
        while self.process is not None:
            try:
                wait = max(0.0, deadline - time.monotonic())
                message = self._messages.get(timeout=wait) if wait else self._messages.get_nowait()
            except (queue.Empty, EOFError, OSError):
                return
            if message[0] == "ready":
                self.ready = True
            elif message[0] == "events" and self.current is not None and message[1] == self.current.run_id:
                self.current._receive(message[2])
            elif message[0] == "idle" and self.current is not None and message[1] == self.current.run_id:
                self.current._idle = True
                self.stats = message[2]
                self.runs_served += 1
                if self._retire:  # it ran the project's own code: a fresh child for the next run
                    self.retire()
                    self.start()

    def check(self) -> bool:
        """Reads what the child said so far (between runs too); True once it is warm."""
        if self.current is None or not self.current.running:
            self._drain()
        return self.ready

    def wait_ready(self, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.ready and self.alive and time.monotonic() < deadline:
            self._drain(0.1)
        return self.ready

    # -- runs ------------------------------------------------------------------------------------------
    def submit(self, request: WorkerRequest, retire_after: bool = False) -> WarmRun:
        """Starts `request` on the warm child (spawning one if needed); the handle polls like TrainingProcess."""
        if self.current is not None and self.current.running:
            raise RuntimeError("a training run is already going")
        self._drain()
        if not self.alive:
            self.start()
        self._stop.clear()
        self._pause.clear()
        self._next_id += 1
        self._retire = retire_after
        self.current = WarmRun(self, self._next_id)
        self._requests.put((self._next_id, request))
        return self.current

    def retire(self) -> None:
        """Ends the child (it ran user code, or the window closes); `start` makes a fresh one."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if not self.ready:  # still importing torch: nothing to finish, nothing to wait for
            process.kill()
        try:
            self._requests.put(None)
        except (OSError, ValueError):
            pass
        process.join(timeout=3)
        if process.is_alive():
            process.kill()
            process.join(timeout=3)
        self.ready = False

    shutdown = retire


class WarmRun:
    """One run on the warm worker, with TrainingProcess's interface (poll, stop, pause, kill, running)."""

    def __init__(self, worker: WarmWorker, run_id: int) -> None:
        self.worker = worker
        self.run_id = run_id
        self.finished: FitEnded | None = None
        self._idle = False
        self._inbox: list[Any] = []
        self.submitted_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.worker.pid

    def start(self) -> None:
        """Already started by `WarmWorker.submit` (kept for TrainingProcess's interface)."""

    def _receive(self, batch: list[Any]) -> None:
        for event in batch:
            self._inbox.append(event)
            if isinstance(event, FitEnded):
                self.finished = event

    def poll(self, timeout: float = 0.0) -> list[Any]:
        if self.worker.current is self:
            self.worker._drain(timeout)
            if self.finished is None and not self.worker.alive:
                code = self.worker.process.exitcode if self.worker.process is not None else None
                reason = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                self.finished = FitEnded("failed", 0, {}, f"the training process died ({reason})")
                self._inbox.append(self.finished)
                self.worker.process = None  # a fresh one is spawned for the next run
        out, self._inbox = self._inbox, []
        return out

    @property
    def running(self) -> bool:
        return self.finished is None

    def stop(self) -> None:
        self.worker._stop.set()

    def pause(self, paused: bool = True) -> None:
        (self.worker._pause.set if paused else self.worker._pause.clear)()

    def kill(self) -> None:
        """Ends the run for good by ending its process (the next run gets a fresh one)."""
        if self.worker.alive:
            self.worker.process.kill()
            self.worker.process.join(timeout=3)

    def join(self, timeout: float = 2.0) -> None:
        """Waits until the child is idle again (or gone)."""
        deadline = time.monotonic() + timeout
        while not self._idle and self.worker.alive and time.monotonic() < deadline:
            self.worker._drain(0.05)

    def wait(self, timeout: float = 60.0) -> list[Any]:
        events: list[Any] = []
        deadline = time.monotonic() + timeout
        while self.finished is None and time.monotonic() < deadline:
            events += self.poll(timeout=0.1)
        self.join()
        return events


def worker_threads() -> int:
    """Threads for the training child: all cores but one, which stays with the editor."""
    return max(1, (os.cpu_count() or 2) - 1)
