"""Reading text files from strangers in chunks: the first bad line is found without loading the file.

A 1 GB file with an invalid byte on line 3 is refused after reading one
chunk, naming the file and the line; `max_chars` stops reading as soon as
it has enough. Lines are counted in decoded text, so UTF-16 files count
right too.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from runtime.data.errors import DatasetError

CHUNK = 1 << 20


def _decoder(encoding: str, what: str):
    try:
        return codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise DatasetError(f"{what}: unknown encoding {encoding!r}") from None


def decoded_chunks(path: Path, encoding: str, chunk: int | None = None) -> Iterator[str]:
    """Decoded pieces of the file, in order; DatasetError naming the file and line at the first bad byte."""
    decoder = _decoder(encoding, str(path))
    lines = 1
    try:
        f = path.open("rb")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with f:
        while True:
            raw = f.read(chunk or CHUNK)
            state = decoder.getstate()
            try:
                text = decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                lines += _newlines_before(encoding, state, raw, exc.start)
                raise DatasetError(f"{path}, line {lines}: not valid {encoding} text ({exc.reason}); "
                                   "set 'encoding' (e.g. 'latin-1')") from None
            lines += text.count("\n")
            if text:
                yield text
            if not raw:
                return


def _newlines_before(encoding: str, state, raw: bytes, bad: int) -> int:
    """Line breaks in the valid part of a chunk, before the byte that failed (`bad` counts buffered bytes too)."""
    buffered = len(state[0]) if isinstance(state, tuple) and isinstance(state[0], bytes) else 0
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    decoder.setstate(state)
    return decoder.decode(raw[:max(0, bad - buffered)], final=False).count("\n")


def read_text(path: Path, encoding: str, max_chars: int | None = None, chunk: int | None = None) -> str:
    """The file's text (\\r\\n as \\n), at most `max_chars` characters; reads no further than needed."""
    parts: list[str] = []
    count = 0
    for text in decoded_chunks(path, encoding, chunk):
        parts.append(text)
        count += len(text.replace("\r\n", "\n"))
        if max_chars and count > max_chars + len(parts):  # a \r\n split between chunks counts twice
            break
    text = "".join(parts).replace("\r\n", "\n")
    return text[:max_chars] if max_chars else text


def decoding_error(path: Path, encoding: str) -> DatasetError:
    """The error naming the first line that does not decode (after a reader hit a bad byte somewhere)."""
    try:
        for _ in decoded_chunks(path, encoding):
            pass
    except DatasetError as exc:
        return exc
    return DatasetError(f"{path}: not valid {encoding} text; set 'encoding' (e.g. 'latin-1')")


def first_chunk_problems(path: Path, encoding: str) -> list[str]:
    """The cheap check validation runs: the first chunk decodes (finds a bad line near the top at once)."""
    try:
        next(iter(decoded_chunks(path, encoding)), None)
    except DatasetError as exc:
        return [p.message for p in exc.problems]
    return []
