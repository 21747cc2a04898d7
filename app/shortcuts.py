"""Every keyboard shortcut of the window, in one table.

Actions take their keys from here and Help › Keyboard shortcuts lists this
table, so a key is bound once and the list never disagrees with the menus.
Sequences are written out instead of using `QKeySequence.StandardKey`: a
standard key expands to a platform theme's own list (on X11 "Redo" is
already Ctrl+Shift+Z), and adding it beside an explicit sequence bound the
same key twice, which Qt answers with "Ambiguous shortcut overload" and
nothing happens.
"""

from __future__ import annotations

#: action key → (menu text for the shortcut list, key sequences in Qt's portable text form)
SHORTCUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "new": ("New project", ("Ctrl+N",)),
    "open": ("Open project", ("Ctrl+O",)),
    "save": ("Save", ("Ctrl+S",)),
    "save_as": ("Save as", ("Ctrl+Shift+S",)),
    "quit": ("Quit", ("Ctrl+Q",)),
    "undo": ("Undo", ("Ctrl+Z",)),
    "redo": ("Redo", ("Ctrl+Shift+Z", "Ctrl+Y")),
    "copy": ("Copy nodes", ("Ctrl+C",)),
    "cut": ("Cut nodes", ("Ctrl+X",)),
    "paste": ("Paste nodes", ("Ctrl+V",)),
    "duplicate": ("Duplicate nodes", ("Ctrl+D",)),
    "delete": ("Delete selection", ("Del", "Backspace")),
    "select_all": ("Select all nodes", ("Ctrl+A",)),
    "find": ("Find a layer in the palette", ("Ctrl+F",)),
    "group": ("Group into sub-network", ("Ctrl+G",)),
    "ungroup": ("Ungroup", ("Ctrl+Shift+G",)),
    "parent": ("Back to the parent graph", ("Alt+Up",)),
    "layout": ("Auto-layout", ("Ctrl+L",)),
    "fit": ("Fit to view", ("F",)),
    "zoom_in": ("Zoom in", ("Ctrl++", "Ctrl+=")),
    "zoom_out": ("Zoom out", ("Ctrl+-",)),
    "zoom_reset": ("Zoom to 100 %", ("Ctrl+0",)),
    "perspective_design": ("Design perspective", ("Ctrl+1",)),
    "perspective_train": ("Train perspective", ("Ctrl+2",)),
    "train": ("Train", ("F5",)),
    "pause": ("Pause / resume training", ("F6",)),
    "stop": ("Stop training", ("Shift+F5",)),
    "shortcuts": ("Keyboard shortcuts", ("F1",)),
}


def sequences(key: str) -> tuple[str, ...]:
    return SHORTCUTS[key][1] if key in SHORTCUTS else ()


def rows() -> list[tuple[str, str]]:
    """(what it does, keys) for the Help list, in table order."""
    return [(text, "  or  ".join(keys)) for text, keys in SHORTCUTS.values()]
