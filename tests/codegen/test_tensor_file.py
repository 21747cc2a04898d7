"""Our one-pass safetensors writer against safetensors itself: the same tensors, dtypes and metadata come back."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from codegen.tensor_file import write_tensors


def read(path):
    with safe_open(str(path), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata()  # noqa: SIM118


def tensors():
    g = torch.Generator().manual_seed(0)
    return {
        "fc1.weight": torch.randn(5, 3, generator=g), "fc1.bias": torch.randn(5, generator=g),
        "@0": torch.tensor(7.0), "@1": torch.tensor(3, dtype=torch.int64), "@2": torch.zeros(0),
        "rng": torch.randint(0, 255, (13,), dtype=torch.uint8, generator=g),
        "half": torch.randn(3, generator=g).half(), "brain": torch.randn(2, 2, generator=g).bfloat16(),
        "double": torch.randn(4, generator=g).double(), "mask": torch.tensor([True, False, True]),
        "z": torch.randn(3, generator=g, dtype=torch.complex64), "i32": torch.arange(5, dtype=torch.int32),
        "é ünïcode": torch.ones(1, 1, 1),
    }


def test_the_file_reads_back_as_what_safetensors_writes(tmp_path):
    metadata = {"format": "pt", "kind": "x", "state": json.dumps({"a": [1, "é"]})}
    write_tensors(tensors(), tmp_path / "ours.safetensors", metadata)
    save_file(tensors(), str(tmp_path / "theirs.safetensors"), metadata=metadata)
    ours, our_meta = read(tmp_path / "ours.safetensors")
    theirs, their_meta = read(tmp_path / "theirs.safetensors")
    assert our_meta == their_meta == metadata
    assert list(ours) == list(theirs)  # the same layout: widest dtypes first, then by name
    for name, tensor in theirs.items():
        assert ours[name].dtype == tensor.dtype and ours[name].shape == tensor.shape
        assert torch.equal(ours[name].reshape(-1).view(torch.uint8), tensor.reshape(-1).view(torch.uint8)), name
    assert (tmp_path / "ours.safetensors").stat().st_size == (tmp_path / "theirs.safetensors").stat().st_size
    assert load_file(str(tmp_path / "ours.safetensors")).keys() == tensors().keys()


def test_without_metadata_and_with_no_tensors(tmp_path):
    write_tensors({}, tmp_path / "empty.safetensors")
    assert read(tmp_path / "empty.safetensors") == ({}, None)
    write_tensors({"w": torch.ones(2)}, tmp_path / "w.safetensors")
    assert torch.equal(read(tmp_path / "w.safetensors")[0]["w"], torch.ones(2))


def test_a_view_that_is_not_contiguous_is_refused(tmp_path):
    with pytest.raises(ValueError, match="contiguous"):
        write_tensors({"t": torch.ones(3, 4).t()}, tmp_path / "t.safetensors")


def json_header_file(tensors: dict[str, torch.Tensor], path, metadata=None) -> None:
    """The writer as it was before its header was formatted by hand: json.dumps of the header, data by uint8 views."""
    from codegen.tensor_file import DTYPES

    order = sorted(tensors, key=lambda name: (-DTYPES[tensors[name].dtype][1], name))
    header: dict[str, object] = {"__metadata__": metadata} if metadata else {}
    offset, data = 0, []
    for name in order:
        size = tensors[name].numel() * DTYPES[tensors[name].dtype][1]
        header[name] = {"dtype": DTYPES[tensors[name].dtype][0], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
        if size:
            data.append(tensors[name].reshape(-1).view(torch.uint8).numpy().tobytes())
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(data))


@pytest.mark.parametrize("metadata", [
    None, {}, {"format": "pt", "producer": "torchcanvas"},
    {"state": json.dumps({"dict": [["é\n\t\"\\", {"tensor": "@0"}]]}), "info": "", "ünï \u2028 \x01": "☃"},
])
def test_the_file_is_byte_for_byte_what_json_dumps_of_its_header_wrote(tmp_path, metadata):
    """The hand-formatted header and numpy's bytes of each tensor: the same file as json's header and uint8 views."""
    named = {**tensors(), 'a "quoted"\\name\n': torch.ones(2), "\u00e9\u0301 \U0001f600": torch.arange(3.0)}
    write_tensors(named, tmp_path / "ours.safetensors", metadata)
    json_header_file(named, tmp_path / "json.safetensors", metadata)
    assert (tmp_path / "ours.safetensors").read_bytes() == (tmp_path / "json.safetensors").read_bytes()


def test_metadata_that_is_not_text_still_goes_through_json(tmp_path):
    from codegen.tensor_file import header_text

    assert header_text([("w", "F32", (2,), 0, 8)], {"n": 3}) == json.dumps(  # type: ignore[dict-item]
        {"__metadata__": {"n": 3}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
        separators=(",", ":"), ensure_ascii=False)
