"""Helpers for tests that drive one widget outside a window."""

from __future__ import annotations

from typing import TypeVar

W = TypeVar("W")


def shown(qtbot, widget: W, width: int, height: int) -> W:
    """`widget` at `width` x `height`, on screen (laid out as a person would see it), closed after the test."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
