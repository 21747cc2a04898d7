"""Runs a study from the window in a process of its own (`runtime.study.host`), polled by a timer.

The window never waits and never imports Optuna: making the study (imports
Optuna, opens the storage, checks every range), running the trials and
reading the results all happen in the host process, which forks its warm
workers from itself. The window only unpickles the plain records it sends.
Stop asks the host to end its workers; their running trials are marked
failed ("stopped") so that running the same study again retries them.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from runtime.study.host import StudyRequest, serve

POLL_MS = 200  # how often the host's messages are collected
STOP_SECONDS = 20  # a host that has not ended this long after Stop is terminated (its finally still runs)

__all__ = ["StudyRequest", "StudyRunner"]


class StudyRunner(QObject):
    """One study at a time: `start`, `stop`; results arrive as `results`, problems as `failed` (one line)."""

    results = Signal(object)  # runtime.study.results.StudyResults
    failed = Signal(str)
    started = Signal(str)  # the storage URL
    finished = Signal()
    log = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process: Any = None
        self._conn: Any = None
        self.url = ""
        self.name = ""
        self.state = "idle"  # idle, creating, running, stopping
        self._stop_ticks = 0
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def running(self) -> bool:
        return self.state != "idle"

    def start(self, request: StudyRequest) -> bool:
        if self.running:
            return False
        if self.process is not None:  # the last study's process is still shutting down: wait for it
            self.process.join()
            self._close()
        context = multiprocessing.get_context("spawn")  # never fork a process with Qt's threads
        self._conn, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(request, theirs), daemon=False,
                                       name=f"study {request.name}")
        self.process.start()
        theirs.close()
        self.state, self.name, self.url, self._stop_ticks = "creating", request.name, "", 0
        self._timer.start()
        return True

    def stop(self) -> None:
        if self.state in ("running", "creating"):
            self.state = "stopping"
            self._send("stop")

    def shutdown(self) -> None:
        """The window closes: the host ends its workers (their trials are marked failed); nothing is left."""
        self._timer.stop()
        if self.process is None:
            return
        self._send("stop")
        self.process.join(timeout=STOP_SECONDS)
        if self.process.is_alive():
            self.process.terminate()  # SIGTERM: the host still stops its workers on the way out
            self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._close()

    # -- the GUI thread's side ---------------------------------------------------------------
    def _send(self, message: str) -> None:
        try:
            if self._conn is not None:
                self._conn.send(message)
        except (OSError, ValueError):  # the host has already gone
            pass

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = self.process = None

    def _tick(self) -> None:
        ended = False
        try:
            while self.state != "idle" and self._conn is not None and self._conn.poll():
                kind, payload = self._conn.recv()
                ended = self._handle(kind, payload) or ended
        except (EOFError, OSError):  # the host died without saying goodbye
            ended = True
            if self.state != "stopping":
                self.failed.emit("the study's process ended unexpectedly")
        if self.state == "stopping" and not ended:
            self._stop_ticks += 1
            if self._stop_ticks * POLL_MS > STOP_SECONDS * 1000 and self.process is not None:
                self.process.terminate()
        if ended and self.state != "idle":
            self.state = "idle"
            self.finished.emit()
        if self.state == "idle" and (self.process is None or not self.process.is_alive()):
            if self.process is not None:
                self.process.join()  # it has exited (the interpreter's own shutdown takes it a few seconds)
            self._close()
            self._timer.stop()

    def _handle(self, kind: str, payload: Any) -> bool:
        """One message from the host; True when it is the last."""
        if kind == "started":
            self.url = payload
            if self.state == "creating":
                self.state = "running"
            self.started.emit(payload)
        elif kind == "results":
            self.results.emit(payload)
        elif kind == "log":
            self.log.emit(payload)
        elif kind == "failed":
            self.failed.emit(payload)
        return kind == "finished"
