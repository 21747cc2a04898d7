"""The GUI's handle on a training run: a worker process polled from a timer.

Events are collected 5 times a second and handed on in one list (the worker
sends them in blocks of ~0.1 s), so each view takes in a block at a time
however fast batches arrive, and the editor never waits for training. The
list goes to the views as it was read (a `Signal(list)` would convert every
event on the way). The dashboard draws a frame or two a second at its settled
rate and the status text follows at most 4 times a second: more polls would
only cost the window CPU that training needs (both share one scheduler group;
10 polls a second cost ~0.5 % of a core, 5 cost ~0.35 %).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from runtime.events import FitEnded
from runtime.warm_worker import WarmRun, WarmWorker
from runtime.worker import TrainingProcess, WorkerRequest

POLL_MS = 200
WARM_POLL_MS = 200


class TrainingController(QObject):
    events = Signal(object)  # a list of events, as read
    started = Signal(str)  # run folder
    finished = Signal(object)  # the FitEnded event
    worker_ready = Signal()  # the warm worker has imported torch and can take a run

    def __init__(self, parent: QObject | None = None, warm: WarmWorker | None = None) -> None:
        super().__init__(parent)
        #: With a warm worker, runs go to it (started early, reused); else each run spawns a process.
        self.warm = warm
        self.process: TrainingProcess | WarmRun | None = None
        self.run_dir: Path | None = None
        self.paused = False
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.warm_timer = QTimer(self, interval=WARM_POLL_MS)
        self.warm_timer.timeout.connect(self._check_warm)
        self._warm_restarts = 0

    def warm_up(self) -> None:
        """Starts the warm worker (if any) in the background and watches until it says it is ready."""
        if self.warm is None:
            return
        self.warm.start()
        if not self.warm.ready:
            self.warm_timer.start()

    def _check_warm(self) -> None:
        if self.running:  # a run polls the worker itself
            return
        if self.warm is None or self.warm.check():
            self.warm_timer.stop()
            self.worker_ready.emit()
        elif not self.warm.alive:  # it died while warming up: a fresh one, a few times (Train spawns one anyway)
            self._warm_restarts += 1
            if self._warm_restarts > 3:
                self.warm_timer.stop()
            else:
                self.warm.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def start(self, project_text: str, project_dir: Path | None, run_dir: Path, trusted: bool,
              overrides: dict | None = None, num_threads: int | None = None, runs_user_code: bool = False,
              resume_from: str | None = None) -> None:
        """Starts a run (from a checkpoint: `resume_from`); `runs_user_code` retires the warm worker after it."""
        if self.running:
            raise RuntimeError("a training run is already going")
        self.run_dir = run_dir
        self.paused = False
        request = WorkerRequest(project_text, str(project_dir) if project_dir else None, trusted, overrides or {},
                                str(run_dir), resume_from=resume_from, num_threads=num_threads)
        if self.warm is not None:
            self.process = self.warm.submit(request, retire_after=runs_user_code)
        else:
            self.process = TrainingProcess(request)
            self.process.start()
        self.timer.start()
        self.started.emit(str(run_dir))

    def poll(self) -> None:
        if self.process is None:
            self.timer.stop()
            return
        batch = self.process.poll()
        if batch:
            self.events.emit(batch)
        if not self.process.running:
            self.timer.stop()
            ended = self.process.finished
            self.process.join(timeout=2)
            self.warm_up()  # a worker that died or retired is replaced now, not when Train is pressed
            self.finished.emit(ended if ended is not None else FitEnded("failed", 0, {}, "no result"))

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process.pause(False)

    def toggle_pause(self) -> bool:
        if self.process is not None and self.running:
            self.paused = not self.paused
            self.process.pause(self.paused)
        return self.paused

    def shutdown(self) -> None:
        """Ends the child for good (window closing): stop, then kill if it does not listen."""
        self.timer.stop()
        self.warm_timer.stop()
        if self.process is not None:
            self.process.stop()
            self.process.pause(False)
            self.process.join(timeout=2)
            if self.process.running:
                self.process.kill()
        if self.warm is not None:
            self.warm.shutdown()
