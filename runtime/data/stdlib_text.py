"""Text datasets built from the Python standard library's own source files.

Every Python installation carries a few megabytes of well-written English and
code, so these sets need no download and no bundled file. File order is fixed
(a curated module list, then the rest sorted by name), so the same Python
version always yields the same corpus. Nothing is written to disk unless a
``cache_dir`` is given.

* ``stdlib_text``: a character-level language-modelling corpus.
* ``stdlib_docstrings``: classify a docstring's first paragraph by the area of
  the library it documents (text, math, files, network, concurrency).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import re
import sys
import sysconfig
from pathlib import Path
from typing import Any

import numpy as np

from runtime.data.build import split_arrays
from runtime.data.bundle import DatasetBundle
from runtime.data.chars import char_lm_bundle
from runtime.data.errors import DatasetError

# Readable, mostly pure-Python modules first; the corpus is cut at max_chars.
CORPUS_ORDER = ("textwrap", "string", "shlex", "fractions", "heapq", "bisect", "colorsys", "functools",
                "difflib", "calendar", "random", "statistics", "dataclasses", "argparse", "pprint", "queue",
                "contextlib", "abc", "enum", "copy", "fnmatch", "glob", "shutil", "tempfile", "threading",
                "typing", "inspect")

DOC_FAMILIES: dict[str, tuple[str, ...]] = {
    "text": ("string", "textwrap", "re", "difflib", "shlex", "html", "gettext", "locale", "codecs",
             "tokenize", "csv"),
    "math": ("statistics", "fractions", "_pydecimal", "random", "numbers", "heapq", "bisect", "colorsys"),
    "files": ("os", "shutil", "pathlib", "glob", "tempfile", "zipfile", "tarfile", "filecmp", "fnmatch",
              "posixpath", "ntpath"),
    "network": ("http", "urllib", "email", "socket", "ssl", "imaplib", "poplib", "smtplib", "ftplib",
                "ipaddress"),
    "concurrency": ("threading", "multiprocessing", "concurrent", "asyncio", "queue", "sched", "subprocess"),
}

# Fixed vocabulary for the docstring classifier: 0 pads, 1 stands for any non-ASCII character.
DOC_ITOS = ["<pad>", "<unk>"] + [chr(c) for c in range(32, 127)]


def stdlib_dir() -> Path:
    """Folder of the running interpreter's standard library sources."""
    for candidate in (sysconfig.get_paths().get("stdlib"), os.path.dirname(os.__file__)):
        if candidate and (Path(candidate) / "string.py").is_file():
            return Path(candidate)
    raise DatasetError("the Python standard library's .py source files are not installed on this machine, "
                       "so the stdlib text datasets cannot be built; use a text_file dataset instead")


def module_files(root: Path, module: str) -> list[Path]:
    """A module's source files: ``name.py`` or every ``.py`` in package ``name/``, sorted."""
    single = root / f"{module}.py"
    if single.is_file():
        return [single]
    package = root / module
    if package.is_dir():
        return sorted(p for p in package.rglob("*.py") if "test" not in p.relative_to(package).parts)
    return []


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def stdlib_corpus(max_chars: int, modules: list[str] | None = None) -> tuple[str, list[str]]:
    """Concatenated source text up to ``max_chars`` and the files it came from."""
    root = stdlib_dir()
    if modules:
        missing = [m for m in modules if not module_files(root, m)]
        if missing:
            raise DatasetError(f"stdlib_text.modules: no source in {root} for {', '.join(map(repr, missing))}")
        files = [f for m in modules for f in module_files(root, m)]
    else:
        files = [f for m in CORPUS_ORDER for f in module_files(root, m)]
        seen = set(files)
        files += [f for f in sorted(root.glob("*.py")) if f not in seen]
    parts, used, total = [], [], 0
    for f in files:
        text = _read(f).replace("\r\n", "\n")
        parts.append(text)
        used.append(f.relative_to(root).as_posix())
        total += len(text) + 2
        if total >= max_chars:
            break
    return "\n\n".join(parts)[:max_chars], used


_NON_ASCII = re.compile(r"[^\x20-\x7e\n\t]")


def load_stdlib_text(p: dict[str, Any]) -> DatasetBundle:
    text, files = stdlib_corpus(p["max_chars"], p["modules"])
    if p["ascii_only"]:  # a few rare accented letters would otherwise add ~60 near-unused classes
        text = _NON_ASCII.sub("?", text)
    return char_lm_bundle(text, p, "stdlib_text (Python standard library source)", {"files": files})


def _first_paragraph(doc: str) -> str:
    return re.sub(r"\s+", " ", doc.strip().split("\n\n")[0]).strip()


def _docstrings(path: Path) -> list[str]:
    try:
        tree = ast.parse(_read(path))
    except (SyntaxError, ValueError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc:
                out.append(_first_paragraph(doc))
    return out


@functools.lru_cache(maxsize=4)
def collect_docstrings(max_per_class: int, min_chars: int = 20) -> dict[str, tuple[str, ...]]:
    """Distinct first paragraphs per family, in file order, at most ``max_per_class`` each.

    Parsing stops once a family is full, which keeps loading well under a second.
    Texts that occur in more than one family are dropped: they carry no signal.
    """
    root = stdlib_dir()
    found: dict[str, list[str]] = {}
    for family, modules in DOC_FAMILIES.items():
        texts: list[str] = []
        seen: set[str] = set()
        for path in (f for m in modules for f in module_files(root, m)):
            for text in _docstrings(path):
                if len(text) >= min_chars and text not in seen:
                    seen.add(text)
                    texts.append(text)
            if len(texts) >= max_per_class + max_per_class // 10 + 5:  # head room for cross-family duplicates
                break
        found[family] = texts
    counts: dict[str, int] = {}
    for texts in found.values():
        for t in texts:
            counts[t] = counts.get(t, 0) + 1
    return {f: tuple([t for t in texts if counts[t] == 1][:max_per_class]) for f, texts in found.items()}


def _cached_docstrings(max_per_class: int, cache_dir: Path | None) -> dict[str, tuple[str, ...]]:
    if cache_dir is None:
        return collect_docstrings(max_per_class)
    key = hashlib.sha256(json.dumps([sys.version, str(stdlib_dir()), max_per_class, DOC_FAMILIES],
                                    sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"stdlib_docstrings-{key}.json"
    if path.is_file():
        return {k: tuple(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    data = collect_docstrings(max_per_class)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: list(v) for k, v in data.items()}), encoding="utf-8")
    tmp.replace(path)
    return data


def encode_ascii(texts: list[str], max_len: int) -> np.ndarray:
    """Fixed-vocabulary ids (see DOC_ITOS), truncated and right-padded with 0 to ``max_len``."""
    out = np.zeros((len(texts), max_len), np.int64)
    for row, text in enumerate(texts):
        ids = [ord(c) - 30 if 32 <= ord(c) < 127 else 1 for c in text[:max_len]]
        out[row, :len(ids)] = ids
    return out


def load_stdlib_docstrings(p: dict[str, Any]) -> DatasetBundle:
    data = _cached_docstrings(p["max_per_class"], p["cache_dir"])
    names = list(data)
    texts = [t for f in names for t in data[f]]
    y = np.array([k for k, f in enumerate(names) for _ in data[f]], np.int64)
    x = encode_ascii(texts, p["max_len"])
    extra = {"texts": texts, "itos": DOC_ITOS, "stoi": {c: i for i, c in enumerate(DOC_ITOS)},
             "pad_index": 0}
    return split_arrays(x, y, task="classification", name="stdlib_docstrings", val_fraction=p["val_fraction"],
                        seed=p["seed"], class_names=names, extra=extra)
