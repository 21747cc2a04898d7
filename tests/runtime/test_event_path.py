"""What leaves the training loop and how: subscribers passed in, block writes, norms read back in blocks."""

from __future__ import annotations

import json
import time

import torch

from runtime.activations import ActivationMonitor
from runtime.callbacks import Callback
from runtime.checkpoint import Checkpointer
from runtime.event_stream import EventStream
from runtime.events import (
    ActivationStats,
    BatchEnded,
    CheckpointSaved,
    EpochEnded,
    EvalEnded,
    FitEnded,
    to_record,
)
from runtime.run_folder import MetricsWriter, new_run_dir
from runtime.session import prepare, run
from tests.runtime.test_engine import make_trainer
from tests.runtime.test_training import example


class Recorder:
    def __init__(self) -> None:
        self.events: list = []
        self.closed = 0

    def __call__(self, event) -> None:
        self.events.append(event)

    def close(self) -> None:
        self.closed += 1


def test_subscribers_are_passed_in_and_closed_after_the_run(tmp_path):
    mine, seen = Recorder(), []
    job = prepare(example(), overrides={"epochs": 1}, emit=seen.append, subscribers=[mine], run_dir=tmp_path / "r")
    assert not hasattr(job.trainer, "_writer")  # nothing is attached to the trainer from outside
    run(job)
    assert mine.closed == 1 and mine.events == seen and isinstance(seen[-1], FitEnded)
    records = [json.loads(line) for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    assert records == [json.loads(json.dumps(to_record(e))) for e in seen]


def test_a_late_subscriber_gets_what_follows_and_can_leave():
    stream, got = EventStream(), []
    leave = stream.subscribe(got.append)
    stream(1)
    leave()
    stream(2)
    assert got == [1]


class Clock:
    """A writer's wall clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_metrics_file_is_written_in_blocks_and_at_once_for_checkpoints(tmp_path):
    path = tmp_path / "metrics.jsonl"
    clock = Clock()
    writer = MetricsWriter(path, block=4, clock=clock)
    for k in range(1, 4):
        writer(BatchEnded(k, 0, 1.0 / k, 0.1, 10.0))
    assert path.read_text() == ""  # three batches wait for the block
    writer(CheckpointSaved(3, "c.safetensors"))  # a resume may read this one: written at once, after them
    assert [json.loads(line)["kind"] for line in path.read_text().splitlines()] == ["batch_ended"] * 3 + \
        ["checkpoint_saved"]
    for k in range(4, 8):
        writer(BatchEnded(k, 0, 1.0, 0.1, 10.0))
    assert len(path.read_text().splitlines()) == 8  # the fourth batch filled a block
    writer(BatchEnded(8, 0, 1.0, 0.1, 10.0))
    writer.close()
    assert json.loads(path.read_text().splitlines()[-1])["step"] == 8


def test_an_evaluation_soon_after_a_write_waits_for_the_block_then_the_clock(tmp_path):
    """A small model evaluates every few tens of milliseconds: writing and flushing both files after each
    evaluation and epoch was ~60 system calls per second (1-2 % of the digits MLP's run). Nothing reads the
    files that fast (TensorBoard reloads every 5 s; the window overlays a finished run), so an evaluation
    joins the block, and the block is written once `seconds` have passed since the last write."""
    path = tmp_path / "metrics.jsonl"
    clock = Clock()
    writer = MetricsWriter(path, block=256, seconds=1.0, clock=clock)
    writer(BatchEnded(1, 0, 1.0, 0.1, 10.0))
    clock.now += 0.5
    writer(EvalEnded(1, 0, {"val_loss": 0.5}))
    writer(EpochEnded(0, 1, {"val_loss": 0.5}))
    assert path.read_text() == ""
    clock.now += 0.6  # a second after the last write: the next event writes everything
    writer(BatchEnded(2, 1, 1.0, 0.1, 10.0))
    assert [json.loads(line)["kind"] for line in path.read_text().splitlines()] == [
        "batch_ended", "eval_ended", "epoch_ended", "batch_ended"]
    clock.now += 5.0  # a slow model: an evaluation long after the last write is written at once
    writer(EvalEnded(2, 1, {"val_loss": 0.4}))
    assert json.loads(path.read_text().splitlines()[-1]) == {"step": 2, "epoch": 1, "metrics": {"val_loss": 0.4},
                                                             "kind": "eval_ended"}
    writer.close()


def comparable(events):
    """Everything but the measured speed."""
    return [(type(e).__name__, e._replace(samples_per_s=0.0) if isinstance(e, BatchEnded) else e) for e in events]


def test_norms_read_back_in_blocks_give_the_same_events_in_the_same_order(monkeypatch):
    monkeypatch.setattr("runtime.batch_events.NORM_SHARE", 1e9)  # norms on every step in both runs
    per_batch, events_a = make_trainer(epochs=2)
    per_batch.fit()
    blocked, events_b = make_trainer(epochs=2)
    blocked.readback_every = 8  # as on a GPU: norms stay on the device for 8 measured steps
    blocked.fit()
    assert comparable(events_a) == comparable(events_b)
    assert all(e.grad_norms for e in events_b if isinstance(e, BatchEnded) and e.step == 1)


def test_layer_norms_equal_the_norms_of_each_layers_weights_and_gradients():
    trainer, events = make_trainer(epochs=1, max_steps=1)
    trainer.fit()
    first = next(e for e in events if isinstance(e, BatchEnded))
    trainer2, _ = make_trainer(epochs=1)
    layer = trainer2.model[0]
    expected = torch.sqrt(layer.weight.detach().norm() ** 2 + layer.bias.detach().norm() ** 2)
    assert abs(first.weight_norms["0"] - float(expected)) < 1e-5


class EpochClock(Callback):
    """A monotonic clock for a Checkpointer that moves `per_epoch` seconds at every epoch start and
    `per_save` seconds during each checkpoint it writes."""

    def __init__(self, per_epoch: float, per_save: float = 0.0) -> None:
        self.now, self.per_epoch, self.per_save = 100.0, per_epoch, per_save

    def __call__(self) -> float:
        return self.now

    def on_epoch_start(self, trainer) -> None:
        self.now += self.per_epoch


def saved_names(events) -> list[str]:
    return [e.path.rsplit("/", 1)[-1].removesuffix(".safetensors") for e in events if isinstance(e, CheckpointSaved)]


def test_epoch_checkpoints_after_the_first_wait_their_minimum_interval(tmp_path):
    trainer, events = make_trainer([Checkpointer(tmp_path, every=1, min_seconds=3600)], epochs=3)
    trainer.fit()
    assert saved_names(events) == ["epoch0001", "last"]
    clock = EpochClock(per_epoch=10.0)
    trainer, events = make_trainer([clock, Checkpointer(tmp_path / "b", every=1, min_seconds=25, clock=clock)],
                                   epochs=8)
    trainer.fit()
    assert saved_names(events) == ["epoch0001", "epoch0004", "epoch0007", "last"]
    trainer, events = make_trainer([Checkpointer(tmp_path / "all", every=1)], epochs=3)
    trainer.fit()
    assert saved_names(events) == ["epoch0001", "epoch0002", "epoch0003", "last"]


def test_epoch_checkpoints_stay_within_their_share_of_the_run(tmp_path, monkeypatch):
    """A big model's checkpoint can take seconds: every `min_seconds` would make it a large share of the run."""
    import runtime.checkpoint as checkpoint

    clock = EpochClock(per_epoch=1.0)
    real_save = checkpoint.save_checkpoint

    def slow_save(*args, **kwargs):
        clock.now += 0.5
        return real_save(*args, **kwargs)

    monkeypatch.setattr(checkpoint, "save_checkpoint", slow_save)
    monkeypatch.setattr(checkpoint, "CHECKPOINT_SHARE", 0.1)  # 0.5 s to write: the next waits 5 s
    trainer, events = make_trainer([clock, Checkpointer(tmp_path, every=1, min_seconds=2, clock=clock)], epochs=12)
    trainer.fit()
    assert saved_names(events) == ["epoch0001", "epoch0006", "epoch0011", "last"]  # every 2 s would be 5 files


def test_automatic_activation_statistics_start_at_the_first_batch_then_follow_the_clock():
    monitor = ActivationMonitor("auto", seconds=3600)
    trainer, events = make_trainer([monitor], epochs=2)
    trainer.fit()
    steps = {e.step for e in events if isinstance(e, ActivationStats)}
    assert steps == {1}


def test_run_folders_are_named_by_one_function(tmp_path):
    first = new_run_dir(tmp_path / "runs", "mlp")
    first.mkdir(parents=True)
    second = new_run_dir(tmp_path / "runs", "mlp")
    assert first.parent == tmp_path / "runs" and first.name.endswith("-mlp")
    assert second.name == first.name + "-2"


class FakeCpuClock(Callback):
    """The trainer's CPU clock, advanced by the test: each batch costs 1 s; the rest costs what the test adds."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def on_batch_start(self, trainer) -> None:
        self.now += 1.0


def test_the_norm_share_counts_reading_the_norms_back_and_follows_cpu_time(monkeypatch):
    """Norms are taken as often as their whole cost (measure + read back) stays within NORM_SHARE of a step.

    Measured by the CPU clock of the training thread: on a loaded machine the wall time of a step
    includes waiting for a core, which made norms look cheap and be taken every step.
    """
    from runtime.layer_norms import LayerNorms

    clock = FakeCpuClock()
    monkeypatch.setattr("runtime.batch_events.cpu_clock", clock)
    read = LayerNorms.read

    def slow_read(self, rows):
        clock.now += 0.05 * len(rows)  # reading one measurement back costs 5 % of a step; measuring is free
        return read(self, rows)

    monkeypatch.setattr(LayerNorms, "read", slow_read)
    trainer, events = make_trainer([clock], epochs=8)
    trainer.fit()
    measured = [e.step for e in events if isinstance(e, BatchEnded) and e.grad_norms]
    assert measured[0] == 1  # the first batch always has them
    # 5 % of a step per measurement within a 1 % share: one batch in five, not every batch
    assert 5 <= trainer.norm_every <= 6
    assert len(measured) <= 64 // 4


def test_the_cpu_clock_is_read_a_few_times_a_run_not_every_batch(monkeypatch):
    """The thread's CPU clock is a system call (~4 µs here): the step cost it feeds is sampled, not taken per batch.

    Without per-layer norms only the norm-share estimate needs it: at steps 3, 6, 12, 25 and every 50th.
    """
    clock = FakeCpuClock()
    reads = []
    monkeypatch.setattr("runtime.batch_events.cpu_clock", lambda: reads.append(1) or clock())
    trainer, _ = make_trainer([clock], epochs=25, log_layers=False)  # 200 batches
    trainer.fit()
    assert trainer.step == 200 and len(reads) <= 10


def test_batch_lines_of_the_metrics_file_are_exactly_what_json_writes(tmp_path):
    """Batches (most of the file) are written by a format string; the text is json.dumps' to the byte."""
    events = [BatchEnded(1, 0, 0.5, 0.001, 1234.5),
              BatchEnded(10**12, 3, float("nan"), 1, float("inf"), step_taken=False),
              BatchEnded(7, 1, -float("inf"), 0.0, 1e-320, {'fc "1"': 0.25, "é": 1.0}, {"fc": 2.0}),
              BatchEnded(8, 1, 1e300, 2.5e-7, 3.0, {}, {"a\\b": float("nan")}),
              EvalEnded(8, 1, {"val_loss": 0.5})]
    writer = MetricsWriter(tmp_path / "m.jsonl")
    for e in events:
        writer(e)
    writer.close()
    assert (tmp_path / "m.jsonl").read_text(encoding="utf-8").splitlines() == \
        [json.dumps(to_record(e)) for e in events]


def test_batch_lines_with_norms_and_odd_numbers_are_exactly_what_json_writes(tmp_path):
    """Lines come from a template per set of layers: names json must escape (quotes, %, unicode), the same
    layers again, layers in another order, ints, bools and numbers a template must not write (NaN, huge ints)."""
    import numpy as np

    norms = {'fc "1"': 0.25, "100%s": 1e-300, "é\n": 3.0}
    events = [BatchEnded(1, 0, 0.5, 0.001, 1234.5, norms, norms),
              BatchEnded(2, 0, 0.25, 0.001, 99.0, norms, norms, False),
              BatchEnded(3, 0, 0.25, 0.001, 99.0, dict(reversed(norms.items())), {}),
              BatchEnded(4, 0, 1, 2, 3, {"a": 1}, {"a": 10**400}),
              BatchEnded(5, 0, 0.5, np.float64(0.1), 1.0),
              BatchEnded(6, 0, True, 0.1, 1.0),
              BatchEnded(7, 0, 1e308, 1e308, 1.0),
              BatchEnded(8, 0, 0.5, 0.1, 1.0, {"a": float("nan")}, {"a": 1.0}),
              BatchEnded(True, 0, 0.5, 0.1, 1.0)]
    writer = MetricsWriter(tmp_path / "m.jsonl")
    for e in events * 2:
        writer(e)
    writer.close()
    assert (tmp_path / "m.jsonl").read_text(encoding="utf-8").splitlines() == \
        [json.dumps(to_record(e)) for e in events * 2]


class CountingClock(Clock):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


def test_the_run_folders_files_take_one_call_and_one_clock_read_per_event(tmp_path):
    """metrics.jsonl and the TensorBoard file were two subscribers, each with its own call, clock read, list
    and flush decision per event; one subscriber now does that once for both."""
    job = prepare(example(), overrides={"epochs": 1}, run_dir=tmp_path / "r")
    (writer,) = job.events._subscribers
    clock = writer._clock = CountingClock()
    writer._written = clock.now  # as if it had just written: 100 batches make no block yet
    for k in range(1, 101):
        job.events(BatchEnded(k, 0, 1.0 / k, 0.001, 1000.0))
    assert clock.reads == 100
    job.events.close()
    assert len((tmp_path / "r" / "metrics.jsonl").read_text().splitlines()) == 100


def test_one_subscriber_writes_both_files_byte_for_byte_as_two_did(tmp_path):
    """Same blocks at the same moments: a block that fills, a flush kind, the clock's second, the close."""
    from runtime.run_folder import RunFolderWriter
    from runtime.tensorboard_writer import TensorBoardWriter

    events = [*(BatchEnded(k, 0, 1.0 / k, 0.001, 1000.0 + k, {"fc": 0.5} if k % 3 == 0 else {},
                           {"fc": 2.0} if k % 3 == 0 else {}) for k in range(1, 11)),
              EvalEnded(10, 0, {"val_loss": 0.5}), CheckpointSaved(10, "c.safetensors"),
              *(BatchEnded(k, 1, 0.5, 0.001, 900.0) for k in range(11, 20)), EpochEnded(1, 19, {"val_loss": 0.4})]
    files = {}
    for name in ("two", "one"):
        folder = tmp_path / name
        folder.mkdir()
        clock = Clock()
        metrics = MetricsWriter(folder / "metrics.jsonl", block=4, clock=clock)
        board = TensorBoardWriter(folder, block=4, clock=clock)
        subscribers = [metrics, board] if name == "two" else [RunFolderWriter([metrics, board], block=4, clock=clock)]
        for k, event in enumerate(events):
            clock.now += 0.4 if k % 5 == 0 else 0.01
            for subscriber in subscribers:
                subscriber(event)
        for subscriber in subscribers:
            subscriber.close()
        files[name] = (metrics.path.read_bytes(), board.path.read_bytes())
    assert files["one"] == files["two"] and files["one"][0].count(b"\n") == len(events)


def test_closing_the_run_folders_writer_twice_closes_each_file_once(tmp_path):
    from runtime.run_folder import RunFolderWriter

    writer = RunFolderWriter([MetricsWriter(tmp_path / "m.jsonl")])
    writer(BatchEnded(1, 0, 0.5, 0.001, 10.0))
    writer.close()
    writer.close()
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) == 1


def test_norms_on_the_cpu_read_the_cpu_clock_twice_a_measured_step_not_four_times(monkeypatch):
    """The thread's CPU clock is a system call (~4 µs on a virtual machine, as much as a small model's norms
    read back): on the CPU a measurement is read at once, inside the one pair of clock reads that times it."""
    monkeypatch.setattr("runtime.batch_events.ADAPT_AT", ())  # the step cost is sampled at the first step only
    calls = []
    monkeypatch.setattr("runtime.batch_events.cpu_clock", lambda: calls.append(1) or time.thread_time())
    trainer, events = make_trainer(epochs=1, max_steps=6)
    trainer.fit()
    measured = [e for e in events if isinstance(e, BatchEnded) and e.grad_norms and e.weight_norms]
    assert len(measured) == 6  # norms every step: the cadence is never adapted here
    assert len(calls) == 2 * len(measured) + 1
