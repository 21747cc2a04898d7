"""Lays out project files with the editor's auto-layout (every scope), changing only node positions.

    python tools/relayout_projects.py resources/templates/*.json resources/examples/*.json
"""

from __future__ import annotations

import sys
from pathlib import Path

from graph.fileformat import dumps, load
from graph.layout import layered_positions


def relayout(path: Path) -> bool:
    doc = load(path)
    for scope in doc.scopes():
        g = doc.scope(scope)
        for nid, pos in layered_positions(g).items():
            g.nodes[nid].position = pos
    text = dumps(doc)
    if text == path.read_text():
        return False
    path.write_text(text)
    return True


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(("relaid " if relayout(Path(name)) else "kept   ") + name)
