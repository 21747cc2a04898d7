"""JSON as a project file may hold it: no NaN/Infinity, no duplicate keys, no absurd numbers.

Python's `json` accepts `NaN`, `Infinity`, `1e999` (→ inf) and silently keeps
the last of two equal keys, so a file could say one thing to a reader and
another to the loader. `loads_strict` parses with the fast C decoder and
hooks that notice these; only then a small scanner walks the text again to
say where: the path inside the document (`nodes[2].params.p`) and the line.
A UTF-8 byte-order mark is accepted (editors on Windows write one).
"""

from __future__ import annotations

import bisect
import json
import math
import re
from typing import Any

#: Integers beyond this many digits are not sizes or seeds but an attack on int parsing.
MAX_INT_DIGITS = 30


class StrictJSONError(ValueError):
    """One problem: `what` is wrong at `path` (a document path) on `line`."""

    def __init__(self, what: str, path: str, line: int) -> None:
        self.what, self.path, self.line = what, path, line
        super().__init__(f"{what} ({path}, line {line})")


class _Found(Exception):
    """Raised by a decoder hook: something to locate."""


def _reject_constant(name: str) -> Any:
    raise _Found(name)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Found(text)
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Found(text)
    return int(text)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Found("duplicate")
    return result


def loads_strict(text: str) -> Any:
    """Parses JSON text; raises json.JSONDecodeError for bad syntax, StrictJSONError for the rest."""
    text = text.removeprefix("\ufeff")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float,
                          parse_int=_parse_int, object_pairs_hook=_pairs)
    except _Found:
        problem = locate(text)
        if problem is None:  # the hooks and the scanner disagree: still refuse, without a place
            raise StrictJSONError("a value JSON should not hold", "(document)", 1) from None
        raise problem from None


_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?(?:Infinity|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))'
                    r"|(?P<lit>true|false|null|NaN)|(?P<punct>[{}\[\]:,]))", re.S)


def _path_text(path: list[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def locate(text: str) -> StrictJSONError | None:
    """The first NaN/Infinity, out-of-range number or duplicate key in valid JSON text, with place."""
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    # Each open container: ("obj", {key: line}, current key) or ("arr", next index).
    stack: list[list[Any]] = []
    path: list[str | int] = []
    expect_key = False
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            break
        pos = m.end()
        start = m.start(m.lastgroup)
        kind, token = m.lastgroup, m.group(m.lastgroup)
        if kind == "punct":
            if token in "{[":
                if stack and stack[-1][0] == "arr":
                    path.append(stack[-1][1])
                stack.append(["obj", {}, None] if token == "{" else ["arr", 0])
                expect_key = token == "{"
            elif token in "}]":
                stack.pop()
                if stack and stack[-1][0] == "obj":
                    path.pop()
                elif stack:
                    path.pop()
                    stack[-1][1] += 1
                expect_key = False
            elif token == ",":
                if stack and stack[-1][0] == "obj":
                    expect_key = True
            continue
        if expect_key and kind == "str":
            key = json.loads(token)
            seen = stack[-1][1]
            if key in seen:
                return StrictJSONError(f"key {key!r} appears twice (first on line {seen[key]}); "
                                       "only one can count, so the file is ambiguous",
                                       _path_text([*path, key]), line_of(start))
            seen[key] = line_of(start)
            path.append(key)
            expect_key = False
            continue
        # a value
        where = _path_text(path if not stack or stack[-1][0] == "obj" else [*path, stack[-1][1]])
        if kind == "lit" and token == "NaN" or kind == "num" and "Infinity" in token:
            return StrictJSONError(f"{token} is not a number a project file may hold (JSON has no NaN or "
                                   "Infinity; write a finite number)", where, line_of(start))
        if kind == "num":
            digits = token.lstrip("-")
            if ("." in token or "e" in token or "E" in token) and not math.isfinite(float(token)):
                return StrictJSONError(f"{token} is too large for a number", where, line_of(start))
            if digits.isdigit() and len(digits) > MAX_INT_DIGITS:
                return StrictJSONError(f"an integer with {len(digits)} digits is too large", where,
                                       line_of(start))
        if stack and stack[-1][0] == "obj":
            path.pop()
        elif stack:
            stack[-1][1] += 1
    return None
