"""TensorBoard event files from the engine's event stream, so `tensorboard --logdir runs/` shows every run.

A `BlockWriter` like the run folder's metrics file: events are written in
blocks (a few hundred, or a second's), at once for the rare events someone may act on. Records are TensorBoard's own protocol
buffers (`tensorboard.compat.proto`), framed as TFRecords with a C CRC-32C
(`google_crc32c`): TensorBoard's pure-Python CRC costs ~16 µs a record,
more than a small model's step can spare. A batch event is packed by one
`struct` call into the bytes protobuf would write, from a template made once
per set of layers (none, or those whose norms were measured): protobuf's
setters and serialisation took ~2 µs a batch, most of this writer's cost.

What goes where (tags):

    train/loss, train/lr, train/samples_per_s     every batch
    grad_norm/LAYER, weight_norm/LAYER            every batch whose norms were measured
    val/METRIC                                    every evaluation (val/loss, val/accuracy, ...)
    activations/LAYER (histogram)                 every activation sample (|z| and phase/ for complex)
    hooks/POLICY (text), hooks/POLICY/DECISION    each hook decision, and the running count per decision
    run/model, run/status, log (text)             the start, the end, messages
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.run_folder import BlockWriter

_MASK_DELTA = 0xA282EAD8
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
#: Record length → the framed length and its CRC: per-batch records have a handful of lengths.
_HEADERS: dict[int, bytes] = {}
#: protobuf's int64 step: a varint of at most 9 bytes here (negative steps are protobuf's to write).
_STEP_LIMIT = 1 << 63


#: google_crc32c's `value`, imported at the first record: an import statement in `_masked_crc` itself cost
#: ~0.5 µs per record, more than the CRC.
_crc32c: Any = None


def _masked_crc(data: bytes) -> int:
    global _crc32c
    if _crc32c is None:
        from google_crc32c import value as _crc32c
    crc = _crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One TFRecord: length, its masked CRC-32C, the data, the data's masked CRC-32C."""
    header = _header(len(data))
    if _crc32c is None:
        _masked_crc(header)  # binds the CRC function
    crc = _crc32c(data)  # masked as in `_masked_crc`, inline: the high bits of the rotation fall off the mask
    return header + data + _U32.pack((((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF)


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


class BatchTemplate:
    """A batch `Event` (wall time, step, one float per tag) as protobuf writes it, its numbers left open.

    The fields in order: wall_time (1, double), step (2, varint), summary (5) of one `Value` per tag:
    tag (1, string), simple_value (2, float). Only the step's varint changes length, so there is one
    `struct.Struct` per length. `pack` returns None where protobuf must decide (a zero wall time or
    step, which proto3 leaves out; a number beyond float32, which struct refuses).
    """

    def __init__(self, tags: tuple[str, ...]) -> None:
        chunks = []
        for tag in tags:
            raw = tag.encode("utf-8")
            value = b"\x0a" + _varint(len(raw)) + raw + b"\x15"  # the tag, then simple_value's key: 4 bytes follow
            chunks.append(b"\x0a" + _varint(len(value) + 4) + value)
        chunks[0] = b"\x2a" + _varint(sum(len(c) + 4 for c in chunks)) + chunks[0]
        self._fields = "".join(f"{len(c)}sf" for c in chunks)
        self._args: list[Any] = [b"\x09", 0.0, b"\x10", b""] + [None] * (2 * len(chunks))
        self._args[4::2] = chunks
        self._structs: dict[int, Any] = {}  # varint length → the bound `pack` of its Struct

    def pack(self, wall: float, step: int, numbers: tuple[Any, ...]) -> bytes | None:
        if not wall or type(step) is not int or not 0 < step < _STEP_LIMIT:
            return None
        varint = bytes((step,)) if step < 0x80 else _varint(step)
        pack = self._structs.get(len(varint))
        if pack is None:
            pack = self._structs[len(varint)] = struct.Struct(f"<cdc{len(varint)}s{self._fields}").pack
        args = self._args.copy()
        args[1], args[3] = wall, varint
        args[5::2] = numbers
        try:
            return pack(*args)
        except (struct.error, OverflowError, ValueError):
            return None

    def frames(self, walls: list[float], steps: list[int], columns: list[list[Any]]) -> bytes | None:
        """Several batches' records, framed, from one `struct` call for their data and one for the frames:
        a block of batches costs little more than its numbers. `columns` holds one list per number (the
        losses, the learning rates, ...). None where the batches must go one by one (`pack`): anything
        `pack` leaves to protobuf."""
        n = len(steps)
        if not all(walls) or {*map(type, steps)} != {int}:
            return None
        low, high = min(steps), max(steps)
        if low <= 0 or high >= _STEP_LIMIT:
            return None
        size = (max(steps[0].bit_length(), 1) + 6) // 7  # the step's varint bytes
        if (max(low.bit_length(), 1) + 6) // 7 != size or (high.bit_length() + 6) // 7 != size:
            cut = next(k for k, step in enumerate(steps) if (max(step.bit_length(), 1) + 6) // 7 != size)
            head = self.frames(walls[:cut], steps[:cut], [column[:cut] for column in columns])
            tail = self.frames(walls[cut:], steps[cut:], [column[cut:] for column in columns])
            return head + tail if head is not None and tail is not None else None
        template = [*self._args[:3], *[0] * size, *self._args[4:]]
        per = len(template)
        args = template * n
        args[1::per] = walls
        for k in range(size):  # the varint's bytes: 7 bits each, the high bit on all but the last
            args[3 + k::per] = [step >> 7 * k & 0x7F | 0x80 for step in steps] if k < size - 1 else \
                [step >> 7 * k for step in steps]
        for k, column in enumerate(columns):
            args[4 + size + 2 * k::per] = column
        try:
            data = _struct(f"<cdc{'B' * size}{self._fields}", n).pack(*args)
        except (struct.error, OverflowError, ValueError):
            return None
        length = len(data) // n
        records = [data[i:i + length] for i in range(0, len(data), length)]
        header = _header(length)
        framed: list[Any] = [header, None, None] * n
        framed[1::3] = records
        framed[2::3] = [(((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF for crc in map(_crc32c, records)]
        return _struct(f"<{len(header)}s{length}sI", n).pack(*framed)


#: Block structs by (record format, records): a block is usually `block` batches, so a few are reused.
_BLOCK_STRUCTS: dict[tuple[str, int], struct.Struct] = {}


def _struct(record: str, n: int) -> struct.Struct:
    packer = _BLOCK_STRUCTS.get((record, n))
    if packer is None:
        if len(_BLOCK_STRUCTS) > 64:
            _BLOCK_STRUCTS.clear()
        packer = _BLOCK_STRUCTS[record, n] = struct.Struct("<" + record[1:] * n)
    return packer


def _header(n: int) -> bytes:
    """A TFRecord's length and its masked CRC-32C."""
    header = _HEADERS.get(n)
    if header is None:
        length = _U64.pack(n)
        header = _HEADERS[n] = length + _U32.pack(_masked_crc(length))
    return header


def event_file_name(now: float | None = None) -> str:
    """TensorBoard finds files whose name contains "tfevents"; the rest keeps concurrent writers apart."""
    return f"events.out.tfevents.{int(now or time.time())}.{socket.gethostname()}.{os.getpid()}.torchcanvas"


class TensorBoardWriter(BlockWriter):
    """Writes the events of one run into `log_dir` (the run folder) as a TensorBoard event file."""

    def __init__(self, log_dir: Path, block: int = 256, seconds: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        from tensorboard.compat.proto import event_pb2, summary_pb2

        self._event_pb2, self._summary_pb2 = event_pb2, summary_pb2
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.log_dir / event_file_name()
        super().__init__(self.path.open("ab"), block, seconds, clock)
        self._counts: dict[tuple[str, str], int] = {}
        #: Batch records' templates, one per set of layers (none, or those whose norms were measured).
        self._templates: dict[tuple[tuple[str, ...], tuple[str, ...]], BatchTemplate] = {}
        self._write([event_pb2.Event(wall_time=self._clock(), file_version="brain.Event:2")])

    def encode(self, pending: list[tuple[float, Any]]) -> bytes:
        """The block's records; runs of batches without norms (most of a file) packed together."""
        chunks: list[bytes] = []
        plain: list[tuple[float, Any]] = []
        for wall, event in pending:
            kind = event.kind
            if kind == "batch_ended":  # most records: no dispatch by name
                if not event.grad_norms and not event.weight_norms:
                    plain.append((wall, event))
                    continue
                records = [self._batch_record(wall, event)]
            else:
                convert = getattr(self, f"_{kind}", None)
                records = [e if isinstance(e, bytes) else e.SerializeToString() for e in convert(wall, event)] \
                    if convert is not None else []
            if plain:
                chunks.append(self._plain_batches(plain))
                plain = []
            chunks.extend(map(frame, records))
        if plain:
            chunks.append(self._plain_batches(plain))
        return b"".join(chunks)

    def _plain_batches(self, plain: list[tuple[float, Any]]) -> bytes:
        template = self._templates.get(((), ()))
        if template is None:
            template = self._templates[(), ()] = BatchTemplate(self._batch_tags(((), ())))
        events = [e for _, e in plain]
        framed = template.frames([wall for wall, _ in plain], [e.step for e in events],
                                 [[e.loss for e in events], [e.lr for e in events], [e.samples_per_s for e in events]])
        return framed if framed is not None else b"".join([frame(self._batch_record(w, e)) for w, e in plain])

    # -- one converter per event kind: each returns Event messages (or their bytes) -----------------------
    def _write(self, events: list[Any]) -> None:
        self._file.write(b"".join(frame(e.SerializeToString()) for e in events))

    def _event(self, wall: float, step: int, values: list[Any]) -> Any:
        return self._event_pb2.Event(wall_time=wall, step=step, summary=self._summary_pb2.Summary(value=values))

    def _scalar(self, tag: str, value: float) -> Any:
        return self._summary_pb2.Summary.Value(tag=tag, simple_value=value)

    def _text(self, tag: str, text: str) -> Any:
        from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

        pb2 = self._summary_pb2
        return pb2.Summary.Value(
            tag=tag, metadata=pb2.SummaryMetadata(plugin_data=pb2.SummaryMetadata.PluginData(plugin_name="text")),
            tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[text.encode("utf-8")],
                                          tensor_shape=tensor_shape_pb2.TensorShapeProto()))

    def _batch_ended(self, wall: float, e: Any) -> list[Any]:
        return [self._batch_record(wall, e)]

    def _batch_record(self, wall: float, e: Any) -> bytes:
        """A batch: loss, lr, rate and the measured norms, packed into its layers' template."""
        grads, weights = e.grad_norms, e.weight_norms
        key = (tuple(grads), tuple(weights))
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = BatchTemplate(self._batch_tags(key))
        numbers = (e.loss, e.lr, e.samples_per_s, *grads.values(), *weights.values()) if grads or weights else \
            (e.loss, e.lr, e.samples_per_s)
        record = template.pack(wall, e.step, numbers)
        if record is None:
            event = self._event_pb2.Event(wall_time=wall, step=e.step)
            for tag, number in zip(self._batch_tags(key), numbers, strict=True):
                event.summary.value.add(tag=tag, simple_value=number)
            record = event.SerializeToString()
        return record

    @staticmethod
    def _batch_tags(key: tuple[tuple[str, ...], tuple[str, ...]]) -> tuple[str, ...]:
        return ("train/loss", "train/lr", "train/samples_per_s", *(f"grad_norm/{name}" for name in key[0]),
                *(f"weight_norm/{name}" for name in key[1]))

    def _eval_ended(self, wall: float, e: Any) -> list[Any]:
        values = [self._scalar(f"val/{name.removeprefix('val_')}", v) for name, v in e.metrics.items()]
        return [self._event(wall, e.step, values)] if values else []

    def _histogram(self, tag: str, counts: tuple[float, ...], edges: tuple[float, ...], mean: float | None,
                   std: float | None) -> Any:
        """A 30-bin histogram as TensorBoard's; without mean and std they are taken from the bins' centres."""
        num = float(sum(counts))
        centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
        if mean is None or std is None:
            mean = sum(c * x for c, x in zip(counts, centres, strict=True)) / max(num, 1.0)
            std = (sum(c * (x - mean) ** 2 for c, x in zip(counts, centres, strict=True)) / max(num, 1.0)) ** 0.5
        histo = self._summary_pb2.HistogramProto(min=edges[0], max=edges[-1], num=num, sum=mean * num,
                                                 sum_squares=(std * std + mean * mean) * num,
                                                 bucket_limit=list(edges[1:]), bucket=list(counts))
        return self._summary_pb2.Summary.Value(tag=tag, histo=histo)

    def _activation_stats(self, wall: float, e: Any) -> list[Any]:
        if not e.histogram:
            return []
        name = "|" + e.node + "|" if e.is_complex else e.node
        values = [self._histogram(f"activations/{name}", e.histogram, e.edges, e.mean, e.std)]
        if e.is_complex and e.phase_histogram:
            values.append(self._histogram(f"activations/{e.node} phase", e.phase_histogram, e.phase_edges,
                                          None, None))
        return [self._event(wall, e.step, values)]

    def _hook_decision(self, wall: float, e: Any) -> list[Any]:
        key = (e.policy, e.decision)
        self._counts[key] = self._counts.get(key, 0) + 1
        detail = ", ".join(f"{k} {v:.6g}" for k, v in e.detail.items())
        text = f"step {e.step}: **{e.decision}**" + (f" ({detail})" if detail else "")
        return [self._event(wall, e.step, [self._text(f"hooks/{e.policy}", text),
                                           self._scalar(f"hooks/{e.policy}/{e.decision}", self._counts[key])])]

    def _fit_started(self, wall: float, e: Any) -> list[Any]:
        text = (f"{e.parameters:,} parameters ({e.trainable:,} trainable); {e.epochs} epochs × "
                f"{e.steps_per_epoch} steps = {e.total_steps} steps")
        if e.layers:
            text += "; layers: " + ", ".join(f"`{name}`" for name in e.layers)
        return [self._event(wall, 0, [self._text("run/model", text)])]

    def _fit_ended(self, wall: float, e: Any) -> list[Any]:
        text = f"**{e.status}** after {e.step} steps" + (f": {e.message}" if e.message else "")
        return [self._event(wall, e.step, [self._text("run/status", text)])]

    def _log(self, wall: float, e: Any) -> list[Any]:
        return [self._event(wall, 0, [self._text("log", f"[{e.level}] {e.text}")])]

    def _model_compiled(self, wall: float, e: Any) -> list[Any]:
        return [self._event(wall, e.step, [self._text("log", f"torch.compile: first step took {e.seconds:.1f} s")])]
