"""Helpers for tests that drive one widget outside a window."""

from __future__ import annotations

from collections import Counter
from typing import TypeVar

W = TypeVar("W")


def shown(qtbot, widget: W, width: int, height: int) -> W:
    """`widget` at `width` x `height`, on screen (laid out as a person would see it), closed after the test."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def count_method_calls(monkeypatch, methods: dict[str, tuple[type, str]]) -> Counter[str]:
    """Calls of each `name: (class, method)` counted under `name` (the methods still run)."""
    counts: Counter[str] = Counter()
    for name, (cls, attr) in methods.items():
        real = getattr(cls, attr)

        def counted(self, *args, _real=real, _name=name):
            counts[_name] += 1
            return _real(self, *args)

        monkeypatch.setattr(cls, attr, counted)
    return counts
