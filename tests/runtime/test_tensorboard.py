"""Every run writes TensorBoard event files; TensorBoard's own readers get back what the engine emitted."""

from __future__ import annotations

import math

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer

from graph import load
from runtime.commands.check import project_registry
from runtime.events import ActivationStats, BatchEnded, EvalEnded, FitEnded, HookDecision
from runtime.run_folder import new_run_dir
from runtime.session import prepare, run
from runtime.tensorboard_writer import TensorBoardWriter, frame
from tests.runtime.test_training import EXAMPLE

TEMPLATES = EXAMPLE.parent.parent / "templates"


def read(run_dir) -> EventAccumulator:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def train(run_dir, project=EXAMPLE, **overrides):
    events: list = []
    job = prepare(load(project, project_registry()), project_dir=project.parent, emit=events.append,
                  run_dir=run_dir, overrides={"epochs": 2, **overrides})
    run(job)
    return events


@pytest.fixture(scope="module")
def noise_run(tmp_path_factory):
    """The revert + noise template: batch scalars, norms, evaluations, activations and hook decisions."""
    run_dir = tmp_path_factory.mktemp("runs") / "noise"
    events = train(run_dir, TEMPLATES / "20_noise_instead_of_bad_step.json", activation_every=5)
    return run_dir, events, read(run_dir)


def test_batch_losses_and_learning_rates_read_back_step_by_step(noise_run):
    _, events, acc = noise_run
    batches = [e for e in events if isinstance(e, BatchEnded)]
    loss = acc.Scalars("train/loss")
    assert [s.step for s in loss] == [e.step for e in batches]
    assert [s.value for s in loss] == pytest.approx([e.loss for e in batches], rel=1e-6)  # float32
    assert [s.value for s in acc.Scalars("train/lr")] == pytest.approx([e.lr for e in batches], rel=1e-6)


def test_per_layer_norms_where_they_were_measured(noise_run):
    _, events, acc = noise_run
    measured = [e for e in events if isinstance(e, BatchEnded) and e.grad_norms]
    assert measured
    for layer in measured[0].grad_norms:
        grads = acc.Scalars(f"grad_norm/{layer}")
        assert [s.step for s in grads] == [e.step for e in measured]
        assert [s.value for s in grads] == pytest.approx([e.grad_norms[layer] for e in measured], rel=1e-6)
        weights = acc.Scalars(f"weight_norm/{layer}")
        assert [s.value for s in weights] == pytest.approx([e.weight_norms[layer] for e in measured], rel=1e-6)


def test_validation_metrics_per_evaluation(noise_run):
    _, events, acc = noise_run
    evals = [e for e in events if isinstance(e, EvalEnded)]
    assert len(evals) >= 2
    for name in ("val_loss", "val_accuracy"):
        series = acc.Scalars(f"val/{name.removeprefix('val_')}")
        assert [(s.step, s.value) for s in series] == [(e.step, pytest.approx(e.metrics[name], rel=1e-6))
                                                       for e in evals]


def test_activation_histograms_keep_the_counts(noise_run):
    _, events, acc = noise_run
    stats = [e for e in events if isinstance(e, ActivationStats)]
    assert stats
    first = stats[0]
    histograms = acc.Histograms(f"activations/{first.node}")
    mine = [e for e in stats if e.node == first.node]
    assert [h.step for h in histograms] == [e.step for e in mine]
    h = histograms[0].histogram_value
    assert list(h.bucket) == pytest.approx(list(first.histogram))
    assert list(h.bucket_limit) == pytest.approx(list(first.edges[1:]))
    assert h.num == pytest.approx(sum(first.histogram))
    assert h.sum / h.num == pytest.approx(first.mean, rel=1e-5, abs=1e-6)
    assert math.sqrt(h.sum_squares / h.num - (h.sum / h.num) ** 2) == pytest.approx(first.std, rel=1e-3, abs=1e-5)


def test_hook_decisions_as_text_and_counts(noise_run):
    _, events, acc = noise_run
    decisions = [e for e in events if isinstance(e, HookDecision)]
    assert decisions
    texts = acc.Tensors("hooks/revert_noise")
    assert [t.step for t in texts] == [e.step for e in decisions]
    first = texts[0].tensor_proto.string_val[0].decode()
    assert first.startswith(f"step {decisions[0].step}: **{decisions[0].decision}**")
    assert acc.SummaryMetadata("hooks/revert_noise").plugin_data.plugin_name == "text"
    kinds = {e.decision for e in decisions}
    for kind in kinds:
        counts = acc.Scalars(f"hooks/revert_noise/{kind}")
        assert [c.value for c in counts] == list(range(1, 1 + sum(e.decision == kind for e in decisions)))


def test_start_and_end_of_the_run_as_text(noise_run):
    _, events, acc = noise_run
    status = acc.Tensors("run/status")[-1].tensor_proto.string_val[0].decode()
    end = events[-1]
    assert isinstance(end, FitEnded) and status.startswith(f"**{end.status}** after {end.step} steps")
    model = acc.Tensors("run/model")[0].tensor_proto.string_val[0].decode()
    assert "parameters" in model


def test_tensorboard_logdir_runs_lists_every_run_folder(tmp_path):
    """What `tensorboard --logdir runs/` does: one run per run folder, each with its curves."""
    runs = tmp_path / "runs"
    folders = [new_run_dir(runs, "a"), new_run_dir(runs, "b")]
    for folder in folders:
        train(folder, epochs=1, activation_every=0)
    mux = EventMultiplexer().AddRunsFromDirectory(str(runs))
    mux.Reload()
    assert set(mux.Runs()) == {f.name for f in folders}
    for folder in folders:  # the server's view: scalars migrated into the scalars plugin's tensors
        assert mux.SummaryMetadata(folder.name, "train/loss").plugin_data.plugin_name == "scalars"
        accuracy = mux.Tensors(folder.name, "val/accuracy")
        assert len(accuracy) == 1 and 0.5 < float(accuracy[0].tensor_proto.float_val[0]) <= 1.0


def test_events_wait_in_blocks_and_the_clock_even_evaluations(tmp_path):
    from tests.runtime.test_event_path import Clock

    clock = Clock()
    writer = TensorBoardWriter(tmp_path, block=4, seconds=1.0, clock=clock)
    writer.flush()
    start = writer.path.stat().st_size  # the file-version record
    for k in range(1, 4):
        writer(BatchEnded(k, 0, 1.0 / k, 0.1, 10.0))
    writer(EvalEnded(3, 0, {"val_loss": 0.5}))  # the fourth event fills the block
    assert writer.path.stat().st_size > start
    start = writer.path.stat().st_size
    writer(EvalEnded(3, 0, {"val_loss": 0.25}))  # soon after a write: waits
    assert writer.path.stat().st_size == start
    clock.now += 1.5
    writer(BatchEnded(4, 0, 0.1, 0.1, 10.0))
    assert writer.path.stat().st_size > start
    writer.close()
    acc = read(tmp_path)
    assert [s.step for s in acc.Scalars("train/loss")] == [1, 2, 3, 4]
    assert [s.value for s in acc.Scalars("val/loss")] == [0.5, 0.25]


def test_records_are_framed_as_tensorflow_does():
    """Our C CRC framing equals TensorBoard's reference (pure-Python) one byte for byte."""
    from tensorboard.summary.writer.record_writer import RecordWriter

    class Sink:
        data = b""

        def write(self, b):
            Sink.data += b

    payload = b"torchcanvas \x00\xff" * 7
    RecordWriter(Sink()).write(payload)
    assert frame(payload) == Sink.data


def test_framing_a_record_imports_nothing(tmp_path, monkeypatch):
    """The CRC function is looked up once: an import statement per record cost more than the CRC itself."""
    import builtins

    frame(b"first")  # binds the CRC function
    imports: list[str] = []
    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda name, *a, **k: imports.append(name) or real_import(name, *a, **k))
    writer = TensorBoardWriter(tmp_path)
    for step in range(1, 101):
        writer(BatchEnded(step, 0, 1.0 / step, 0.001, 1000.0))
    writer.flush()
    monkeypatch.undo()
    writer.close()
    assert "google_crc32c" not in imports


def protobuf_batch_record(wall: float, e: BatchEnded) -> bytes:
    """A batch event built field by field with TensorBoard's protocol buffers: the bytes a batch record must be."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    values = [("train/loss", e.loss), ("train/lr", e.lr), ("train/samples_per_s", e.samples_per_s),
              *((f"grad_norm/{k}", v) for k, v in e.grad_norms.items()),
              *((f"weight_norm/{k}", v) for k, v in e.weight_norms.items())]
    return event_pb2.Event(wall_time=wall, step=e.step, summary=summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag=tag, simple_value=v) for tag, v in values])).SerializeToString()


def test_batch_records_are_byte_for_byte_what_protocol_buffers_write(tmp_path):
    """Batch records come from a template made once per set of layers; every byte must be protobuf's own:
    steps of every varint length, numbers float32 cannot hold, NaN, infinities, -0, integers, unicode tags."""
    norms = {"fc1": 0.25, "é/ü": float("nan"), "x" * 200: 1e-45}
    events = [BatchEnded(1, 0, 0.5, 0.001, 1234.5), BatchEnded(127, 0, -0.0, 1, 3.0),
              BatchEnded(128, 1, float("nan"), 0.1, float("inf"), step_taken=False),
              BatchEnded(16_384, 2, 1e300, 2.5e-7, -float("inf"), norms, norms),
              BatchEnded(2**35 + 3, 9, 1e-320, 3.4e38, 3.5e38, {"fc1": 1.0}, {}),
              BatchEnded(2**62, 9, 1.0, 0.0, 2.0, {}, {"fc1": 2.0, "fc2": True})]
    writer = TensorBoardWriter(tmp_path)
    for k, e in enumerate(events * 2):  # the second time from the prepared templates
        wall = 1.7e9 + k / 3
        assert writer.encode([(wall, e)]) == frame(protobuf_batch_record(wall, e)), e
    writer.close()


def test_the_batch_template_itself_packs_every_number_float32_holds():
    """The template, not protobuf's path, writes ordinary batches (it leaves only what struct refuses)."""
    from runtime.tensorboard_writer import BatchTemplate

    tags = ("train/loss", "train/lr", "train/samples_per_s", "grad_norm/é")
    template = BatchTemplate(tags)
    for step in (1, 127, 128, 300, 2**20, 2**40):
        e = BatchEnded(step, 0, float("nan"), 1, -0.0, {"é": 3.4e38}, {})
        assert template.pack(1.7e9, step, (e.loss, e.lr, e.samples_per_s, 3.4e38)) == protobuf_batch_record(1.7e9, e)
    assert template.pack(1.7e9, 5, (1e300, 0.1, 1.0, 1.0)) is None  # beyond float32: protobuf decides
    assert template.pack(0.0, 5, (1.0, 0.1, 1.0, 1.0)) is None  # proto3 leaves a zero wall time out


def test_a_block_of_batches_is_byte_for_byte_the_records_one_by_one(tmp_path):
    """Runs of batches without norms are packed together: the block must equal protobuf's records in order,
    across a step whose varint grows, with norms, evaluations, overflowing numbers and a zero wall time between."""
    events = [BatchEnded(step, 0, 1.0 / step, 0.001, float(step) / 3) for step in range(120, 140)]
    events[3] = events[3]._replace(loss=float("nan"))
    events[5] = BatchEnded(125, 0, 0.5, 0.1, 2.0, {"fc1": 0.5}, {"fc1": 1.5})
    events[9] = EvalEnded(129, 0, {"val_loss": 0.5})
    events[12] = events[12]._replace(lr=1e300)  # beyond float32: that whole run goes record by record
    events.extend(BatchEnded(step, 1, 0.25, 0.01, 7.0) for step in range(16_380, 16_390))
    walls = [1.7e9 + k / 7 for k in range(len(events))]
    walls[-2] = 0.0
    writer = TensorBoardWriter(tmp_path)
    expected = b""
    for wall, e in zip(walls, events, strict=True):
        expected += frame(protobuf_batch_record(wall, e)) if isinstance(e, BatchEnded) else writer.encode([(wall, e)])
    assert writer.encode(list(zip(walls, events, strict=True))) == expected
    assert writer.encode(list(zip(walls[:8], events[:8], strict=True))[6:]) == \
        b"".join(frame(protobuf_batch_record(w, e)) for w, e in zip(walls[6:8], events[6:8], strict=True))
    writer.close()
