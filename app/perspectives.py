"""Two arrangements of the window: Design (the canvas dominant) and Train (the dashboard dominant).

Designing wants the canvas, palette, inspector and code; training wants the
plots, with the graph small beside them. Train switches to the Train
perspective by itself; a toolbar toggle (Ctrl+1 / Ctrl+2) switches by hand.
Each perspective remembers how the person arranged it (dock sizes, tabs,
what is shown), across sessions, in the window's settings.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QTabBar

DESIGN = "design"
TRAIN = "train"
NAMES = {DESIGN: "Design", TRAIN: "Train"}
#: The docks the two arrangements place one by one; any other dock is put in a tab group.
KNOWN = ("Layers", "Training settings", "Inspector", "Generated code", "Problems", "Runs", "Dashboard",
         "Layer statistics")


class Perspectives:
    """Mixed into MainWindow after the docks exist (needs `docks`, `settings`, `toolbar`, `_bind`)."""

    perspective = DESIGN

    def setup_perspectives(self) -> None:
        group = QActionGroup(self)
        group.setExclusive(True)
        self.perspective_actions: dict[str, QAction] = {}
        self.toolbar.addSeparator()
        for name in (DESIGN, TRAIN):
            action = QAction(NAMES[name], self, checkable=True)
            action.setStatusTip(f"{NAMES[name]} perspective: "
                                + ("canvas, layers, inspector and code" if name == DESIGN else
                                   "the training dashboard, with the graph beside it"))
            action.triggered.connect(lambda _c=False, n=name: self.switch_perspective(n))
            self._bind(f"perspective_{name}", action)
            group.addAction(action)
            self.toolbar.addAction(action)
            self.view_menu.addAction(action)
            self.perspective_actions[name] = action
        self.perspective = self.settings.value("perspective/current", DESIGN, str)
        if self.perspective not in NAMES:
            self.perspective = DESIGN
        self.perspective_actions[self.perspective].setChecked(True)

    def apply_perspective(self) -> None:
        """The remembered arrangement of the current perspective, or its default one."""
        state = self.settings.value(f"perspective/{self.perspective}/state")
        if not (isinstance(state, QByteArray) and self.restoreState(state)):
            self._default_arrangement(self.perspective)

    def switch_perspective(self, name: str) -> None:
        if name == self.perspective:
            self.perspective_actions[name].setChecked(True)
            return
        self.remember_perspective()
        self.perspective = name
        self.settings.setValue("perspective/current", name)
        self.perspective_actions[name].setChecked(True)
        self.apply_perspective()
        QTimer.singleShot(0, self.keep_graph_in_view)  # once the docks have their new sizes

    def keep_graph_in_view(self) -> None:
        """A canvas that just got smaller (or larger) still shows the graph, not an empty corner of it."""
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        nodes = self.scene.nodes.values()
        if nodes and not any(item.sceneBoundingRect().intersects(visible) for item in nodes):
            self.view.show_graph()

    def remember_perspective(self) -> None:
        self.settings.setValue(f"perspective/{self.perspective}/state", self.saveState())

    # -- the defaults ---------------------------------------------------------------------------------
    def _tab_labels_width(self, dock) -> int:
        """How wide `dock`'s tab group must be for every tab to show its whole label.

        Qt elides tabs that do not fit ("Layers" showed as "L…", "Hooks" as "H…" at the default width),
        which hides the Hooks panel from a person looking for it. Measured on the group's own tab bar.
        """
        titles = {dock.windowTitle()} | {other.windowTitle() for other in self.tabifiedDockWidgets(dock)}
        for bar in self.findChildren(QTabBar):
            if bar.parent() is self and {bar.tabText(i) for i in range(bar.count())} == titles:
                return sum(bar.tabSizeHint(i).width() for i in range(bar.count())) + 4
        return 0

    def _default_arrangement(self, name: str) -> None:
        d = self.docks
        width, height = max(self.width(), 900), max(self.height(), 600)
        for dock in d.values():
            dock.setFloating(False)
        # Panels other parts of the window add (Hooks, Forest, ...) join a tab group, never a column of their own.
        side = {"Hooks": "Training settings", "Experiments": "Runs"}
        for key, dock in d.items():
            if key not in KNOWN:
                self.tabifyDockWidget(d[side[key]] if key in side else d["Problems"], dock)

        def beside_their_hosts() -> None:
            """Again once the hosts have moved: a host moved out of a tab group leaves its guest behind alone."""
            for key, host in side.items():
                if key in d:
                    self.tabifyDockWidget(d[host], d[key])
        if name == DESIGN:
            self.addDockWidget(Qt.BottomDockWidgetArea, d["Problems"])
            self.tabifyDockWidget(d["Problems"], d["Runs"])
            self.tabifyDockWidget(d["Problems"], d["Dashboard"])
            for key, dock in d.items():
                if key not in KNOWN and key not in side:
                    self.tabifyDockWidget(d["Problems"], dock)
            beside_their_hosts()
            d["Dashboard"].hide()
            for key in ("Layers", "Training settings", "Inspector", "Generated code", "Problems", "Runs",
                        "Layer statistics"):
                d[key].show()
            d["Layers"].raise_()
            d["Inspector"].raise_()
            d["Problems"].raise_()
            left = max(int(width * 0.15), self._tab_labels_width(d["Layers"]))
            self.resizeDocks([d["Layers"], d["Inspector"]], [left, int(width * 0.24)], Qt.Horizontal)
            self.resizeDocks([d["Problems"]], [int(height * 0.12)], Qt.Vertical)
            self.resizeDocks([d["Inspector"], d["Generated code"]], [int(height * 0.4), int(height * 0.4)],
                             Qt.Vertical)
        else:
            d["Dashboard"].show()
            self.addDockWidget(Qt.BottomDockWidgetArea, d["Dashboard"])
            self.splitDockWidget(d["Dashboard"], d["Runs"], Qt.Horizontal)
            self.tabifyDockWidget(d["Runs"], d["Problems"])
            for key, dock in d.items():
                if key not in KNOWN and key not in side:
                    self.tabifyDockWidget(d["Runs"], dock)
            beside_their_hosts()
            d["Generated code"].hide()
            for key in ("Runs", "Problems", "Training settings", "Layer statistics", "Layers", "Inspector"):
                d[key].show()
            d["Runs"].raise_()
            d["Training settings"].raise_()
            d["Layer statistics"].raise_()
            self.resizeDocks([d["Dashboard"]], [int(height * 0.62)], Qt.Vertical)
            runs = max(int(width * 0.25), self._tab_labels_width(d["Runs"]))
            self.resizeDocks([d["Dashboard"], d["Runs"]], [width - runs, runs], Qt.Horizontal)
            self.resizeDocks([d["Layers"], d["Inspector"]], [int(width * 0.2), int(width * 0.22)], Qt.Horizontal)
