"""Data files from strangers: random bytes and huge files give one line naming file and line, fast."""

from __future__ import annotations

import os
import random
import tracemalloc

import pytest

from runtime.data import DatasetError, load_dataset, validate_dataset_spec

GIB = 1 << 30


def random_bytes(path, n=50_000, seed=0):
    path.write_bytes(random.Random(seed).randbytes(n))
    return path


def test_a_csv_of_random_bytes_is_one_problem_naming_the_file_and_line(tmp_path):
    path = random_bytes(tmp_path / "noise.csv")
    spec = {"name": "csv", "path": str(path)}
    problems = validate_dataset_spec(spec)
    assert len(problems) == 1 and str(path) in str(problems[0]) and "line 1" in str(problems[0])
    assert "encoding" in str(problems[0])
    with pytest.raises(DatasetError) as refused:
        load_dataset(spec)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)


def test_a_csv_with_a_bad_byte_further_down_names_that_line(tmp_path):
    path = tmp_path / "late.csv"
    rows = ["a,b,label"] + [f"{k},{k * 2},{k % 2}" for k in range(30_000)]
    rows[20_000] = "1,2,caf\xe9"
    path.write_bytes("\n".join(rows).encode("utf-8").replace("caf\xe9".encode(), b"caf\xe9"))
    with pytest.raises(DatasetError, match=r"line 20001: not valid utf-8 text"):
        load_dataset({"name": "csv", "path": str(path)})


def sparse_text(path, bad_line: int, size: int = GIB):
    """A file of `size` bytes that costs no disk: a few text lines, a bad byte, then a hole of zeros."""
    with path.open("wb") as f:
        for k in range(1, bad_line):
            f.write(f"line {k} of a story\n".encode())
        f.write(b"here \xff is a byte that is not UTF-8\n")
        f.truncate(size)
    return path


def test_the_first_bad_line_of_a_1_gib_text_file_is_found_without_reading_it_all(tmp_path):
    path = sparse_text(tmp_path / "huge.txt", bad_line=3)
    assert os.path.getsize(path) == GIB
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError) as refused:
            load_dataset({"name": "text_file", "path": str(path)})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"{path}, line 3: not valid utf-8 text" in str(refused.value)
    assert peak < 64 << 20, f"peak {peak / 2**20:.0f} MiB: the file was read whole"


def test_max_chars_reads_only_what_it_uses(tmp_path):
    path = tmp_path / "long.txt"
    with path.open("wb") as f:
        f.write(("abcdefgh\n" * 2000).encode())
        f.truncate(GIB)  # a hole of NUL characters that max_chars never reaches
    tracemalloc.start()
    try:
        bundle = load_dataset({"name": "text_file", "path": str(path), "max_chars": 4000, "block_size": 8})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert bundle.extra["chars"] == 4000
    assert set(bundle.extra["itos"]) == set("abcdefgh\n")
    assert peak < 64 << 20


def test_text_file_crlf_and_chunk_boundaries_give_the_same_text(tmp_path, monkeypatch):
    import runtime.data.chars as chars
    import runtime.data.textstream as textstream

    text = "".join(f"línea {k} — ünïcödé\r\n" for k in range(500))
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode("utf-8"))
    monkeypatch.setattr(textstream, "CHUNK", 7)  # splits multi-byte characters and \r\n pairs
    assert chars.read_text(path, "utf-8", None) == text.replace("\r\n", "\n")
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(text.encode("utf-16"))
    assert chars.read_text(utf16, "utf-16", None) == text.replace("\r\n", "\n")


def test_text_file_bad_byte_in_utf16_names_the_line(tmp_path):
    path = tmp_path / "bad16.txt"
    good = "one\ntwo\nthree\n".encode("utf-16-le")
    path.write_bytes(good + b"\x00\xdc" + "four\n".encode("utf-16-le"))  # a lone low surrogate
    with pytest.raises(DatasetError, match=r"line 4: not valid utf-16-le text"):
        load_dataset({"name": "text_file", "path": str(path), "encoding": "utf-16-le"})
