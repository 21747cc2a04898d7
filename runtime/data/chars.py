"""Character-level language modelling from any text: vocabulary, windows, text files.

Characters need no tokenizer download and give a small vocabulary (~100), so
a tiny RNN or transformer learns visibly in minutes. The split is by
position (the last part of the text is validation) because overlapping
windows drawn at random from one text would put the same characters in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from runtime.data.bundle import DatasetBundle
from runtime.data.errors import DatasetError
from runtime.data.tensors import CharWindows
from runtime.data.textstream import first_chunk_problems
from runtime.data.textstream import read_text as read_text_stream


@dataclass(frozen=True)
class CharVocab:
    """Sorted distinct characters; ``itos[i]`` is a character, ``stoi[c]`` its id."""

    itos: list[str]
    #: ids are the text's UTF-8 bytes (256 of them, the same for every text), not its characters
    utf8: bool = False

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        return cls(sorted(set(text)))

    @classmethod
    def bytes(cls) -> CharVocab:
        """GPT-2's byte alphabet without its merges: a model pretrained on one text reads any other."""
        return cls([chr(b) for b in range(256)], utf8=True)

    @property
    def stoi(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.itos)}

    def encode(self, text: str) -> torch.Tensor:
        if self.utf8:
            return torch.frombuffer(bytearray(text.encode("utf-8")), dtype=torch.uint8).to(torch.int64)
        stoi = self.stoi
        return torch.tensor([stoi[c] for c in text], dtype=torch.int64)

    def decode(self, ids: Any) -> str:
        return "".join(self.itos[int(i)] for i in ids)


def char_lm_bundle(text: str, p: dict[str, Any], name: str, extra: dict[str, Any] | None = None) -> DatasetBundle:
    """Windows of ``block_size`` character ids; target = the same window shifted one character on."""
    block, val_fraction = p["block_size"], p["val_fraction"]
    stride = p.get("stride") or block
    # from all text, so validation has no unknown characters; or bytes, fixed across texts
    vocab = CharVocab.bytes() if p.get("tokens") == "bytes" else CharVocab.from_text(text)
    ids = vocab.encode(text)
    cut = len(ids) - int(round(len(ids) * val_fraction))
    train = CharWindows(ids[:cut], block, stride)
    val = CharWindows(ids[cut:], block, stride)
    if len(train) == 0:
        raise DatasetError(f"{name}: {cut} training characters are too few for block_size={block}")
    info = {"itos": vocab.itos, "stoi": vocab.stoi, "block_size": block, "chars": len(text),
            "train_chars": cut, **(extra or {})}
    return DatasetBundle(
        train=train, val=val, task="language_model", input_shape=(block,), input_dtype="int64",
        target_shape=(block,), target_dtype="int64", num_classes=len(vocab.itos), class_names=None,
        description=(f"{name}: {len(text):,} characters, vocabulary {len(vocab.itos)}, "
                     f"{len(train)} train / {len(val)} val windows of {block}"),
        extra=info)


def read_text(path: Path, encoding: str, max_chars: int | None) -> str:
    """A text file's content, read in chunks: decoding errors name the file and line at once."""
    return read_text_stream(Path(path), encoding, max_chars)


def text_file_problems(p: dict[str, Any]) -> list[str]:
    """Validation's cheap look: the first megabyte of the file decodes with the chosen encoding."""
    return first_chunk_problems(Path(p["path"]), p["encoding"])


def load_text_file(p: dict[str, Any]) -> DatasetBundle:
    text = read_text(p["path"], p["encoding"], p["max_chars"])
    if not text:
        raise DatasetError(f"{p['path']}: the file is empty")
    return char_lm_bundle(text, p, Path(p["path"]).name, {"source": str(p["path"])})
