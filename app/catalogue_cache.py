"""The layer catalogue saved from the last start, so the palette and canvas appear before torch loads.

The key names everything the catalogue is built from: the installed torch
version (read from package metadata, without importing torch) and the source
of the modules that define node specs. Any change gives a new key, so a stale
snapshot is never used; a missing or unreadable one means the editor starts
with the structural types and fills in the layers when torch is ready.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from graph.registry import Registry
from graph.spec_io import registry_from_snapshot, registry_snapshot

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("codegen/catalogue", "codegen/kinds", "graph/kinds", "graph/spec.py", "graph/spec_io.py")


def cache_key() -> str:
    digest = hashlib.sha256()
    try:
        digest.update(metadata.version("torch").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"no torch")
    for name in SOURCES:
        path = ROOT / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:20]


def cache_file(home: Path, key: str | None = None) -> Path:
    return home / "cache" / f"catalogue-{key or cache_key()}.json"


def load_cached(home: Path) -> Registry | None:
    try:
        return registry_from_snapshot(json.loads(cache_file(home).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(home: Path, registry: Registry) -> Path | None:
    """Writes the snapshot (atomically) and removes those of older keys."""
    path = cache_file(home)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(registry_snapshot(registry)), encoding="utf-8")
        os.replace(tmp, path)
        for old in path.parent.glob("catalogue-*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        return None
    return path
