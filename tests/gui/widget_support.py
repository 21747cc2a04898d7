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


def chain_window(make_window, tmp_path, qtbot, nodes: int):
    """A window on a saved `nodes`-node chain (tests.bench.generated_graphs), trusted, its first analysis done."""
    from graph import save
    from tests.bench.generated_graphs import chain

    path = tmp_path / "chain.json"
    save(chain(nodes).doc, path)
    window = make_window(path, trust=True)
    qtbot.waitUntil(lambda: window.model.inference is not None and not window.model.analysing, timeout=60_000)
    return window
