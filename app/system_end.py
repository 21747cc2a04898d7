"""Ending when the system asks: logout or `kill` (SIGTERM), a closed terminal (SIGHUP), Ctrl+C (SIGINT).

Python's default handlers cannot run while Qt's event loop waits in C++, so
such a signal either killed the window outright (edits since the last
autosave lost, the worker's semaphores reported as leaked) or surfaced later
as a KeyboardInterrupt traceback inside some slot. Here the C-level handler
writes the signal's number to a socket (`signal.set_wakeup_fd`) that Qt
watches, and the window then ends as after File › Quit, minus the questions
nobody is there to answer: unsaved edits go to the recovery copy offered at
the next start, a running training is stopped, the layout is kept.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QSocketNotifier

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


def end_on_signals(window, then: Callable[[], None]) -> Callable[[], None]:
    """Until the returned function is called, those signals end `window` (`window.end_session`), then `then()`."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous_fd = signal.set_wakeup_fd(writer.fileno())
    # a signal ignored when we started stays ignored: `nohup` ignores SIGHUP, a background job SIGINT
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in SIGNALS if signal.getsignal(sig) != signal.SIG_IGN}
    installed = {int(sig) for sig in previous}
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, window)

    def woke() -> None:
        try:
            received = reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        # Python writes a byte for every signal with a Python-level handler, not only ours
        ours = [number for number in received if number in installed]
        if ours:
            window.end_session(signal.Signals(ours[-1]).name)
            then()

    notifier.activated.connect(woke)

    def restore() -> None:
        notifier.setEnabled(False)
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        reader.close()
        writer.close()

    return restore
