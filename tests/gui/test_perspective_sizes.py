"""The default perspectives open with the sizes they ask for, in a shown window at the app's own size.

The Design window's bottom tab group (Problems, Runs, Experiments, Forest members) is a strip of
about an eighth of the window; Train gives the dashboard three quarters of the width. A panel's own
minimum size must not overrule them (the Experiments panel's controls held the group at 227 px and
the Runs column at 839 px).
"""

from __future__ import annotations

from app.launch import EXAMPLE
from app.perspectives import TRAIN

SIZE = (1400, 860)  # what the app opens at (app.launch)


def test_design_opens_with_a_thin_bottom_strip_and_the_canvas_dominant(make_window, qtbot):
    w = make_window(EXAMPLE, size=SIZE)
    qtbot.wait(100)  # the first layout passes after the window is shown
    bottom = w.docks["Problems"].height()
    assert bottom <= 0.16 * w.height(), f"the bottom tab group opens {bottom} px tall of {w.height()}"
    assert bottom >= 0.08 * w.height(), "still readable: a few lines of problems"
    assert w.centralWidget().height() >= 0.6 * w.height()


def test_train_gives_the_dashboard_three_quarters_of_the_width(make_window, qtbot):
    w = make_window(EXAMPLE, size=SIZE)
    qtbot.wait(100)
    w.perspective_actions[TRAIN].trigger()
    qtbot.wait(100)
    dashboard, runs = w.docks["Dashboard"], w.docks["Runs"]
    assert dashboard.width() >= 0.65 * w.width(), f"dashboard {dashboard.width()} px, runs {runs.width()} px"
    assert dashboard.height() >= 0.55 * w.height()


def test_the_experiments_panel_scrolls_inside_a_small_dock_and_keeps_working(make_window, qtbot):
    """The panel keeps its controls at their size and scrolls; its table and buttons are the same objects."""
    w = make_window(EXAMPLE, size=SIZE)
    dock = w.docks["Experiments"]
    dock.show()
    dock.raise_()
    qtbot.wait(50)
    assert dock.height() < w.experiments.minimumSizeHint().height()
    assert w.experiments.isVisible() and w.experiments.window() is w
    assert w.experiments.run_button.isVisibleTo(dock)


def _elided_tabs(window) -> list[str]:
    """Dock tabs whose label does not fit (Qt elides it: "Layers" showed as "L…", "Hooks" as "H…")."""
    from PySide6.QtWidgets import QTabBar

    return [bar.tabText(i) for bar in window.findChildren(QTabBar) if bar.isVisible() and bar.parent() is window
            for i in range(bar.count()) if bar.tabRect(i).width() < bar.tabSizeHint(i).width()]


def test_every_dock_tab_label_is_readable_in_both_perspectives(make_window, qtbot):
    w = make_window(EXAMPLE, size=SIZE)
    qtbot.wait(100)
    assert _elided_tabs(w) == []
    w.perspective_actions[TRAIN].trigger()
    qtbot.wait(100)
    assert _elided_tabs(w) == []
