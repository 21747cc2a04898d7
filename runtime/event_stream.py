"""One event source, many subscribers: the engine emits once, each subscriber gets every event.

Subscribers are plain callables taking one event (`runtime.events`); one that
also has ``close()`` is closed when the run ends (a file writer flushes
there). The run folder's metrics file, the CLI's progress bar, the worker's
queue to the GUI and a TensorBoard writer are all subscribers: they are
passed in, never attached to the trainer from outside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Subscriber = Callable[[Any], None]


class EventStream:
    def __init__(self, subscribers: list[Subscriber] | tuple[Subscriber, ...] = ()) -> None:
        self._subscribers: list[Subscriber] = list(subscribers)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Adds a subscriber; returns the function that removes it again."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber) if subscriber in self._subscribers else None

    def __call__(self, event: Any) -> None:
        for subscriber in self._subscribers:
            subscriber(event)

    def close(self) -> None:
        """Closes every subscriber that can be closed (each once, even if one of them fails)."""
        errors = []
        for subscriber in self._subscribers:
            close = getattr(subscriber, "close", None)
            if callable(close):
                try:
                    close()
                except Exception as exc:  # noqa: BLE001 - the others must still be closed
                    errors.append(exc)
        if errors:
            raise errors[0]
