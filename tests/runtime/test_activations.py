from runtime.events import ActivationStats
from runtime.session import prepare, run
from tests.runtime.test_training import example


def test_activation_histograms_every_n_batches():
    events = []
    run(prepare(example(), overrides={"epochs": 1, "activation_every": 10}, emit=events.append))
    stats = [e for e in events if isinstance(e, ActivationStats)]
    assert {e.node for e in stats} == {"fc1", "act1", "drop", "fc2"}
    steps = sorted({e.step for e in stats})
    assert steps[:3] == [1, 11, 21]
    relu = next(e for e in stats if e.node == "act1")
    assert relu.edges[0] >= 0 and len(relu.histogram) == 30 and len(relu.edges) == 31
    assert sum(relu.histogram) == 64 * 128  # one batch × 128 features


def test_complex_outputs_get_magnitude_phase_and_a_sample_of_points():
    from pathlib import Path

    from graph import load
    from runtime.commands.check import project_registry

    template = Path(__file__).resolve().parents[2] / "resources" / "templates" / "21_complex_activation_digits.json"
    events = []
    run(prepare(load(template, project_registry()), overrides={"max_steps": 2, "activation_every": 1},
                emit=events.append))
    stats = {e.node: e for e in events if isinstance(e, ActivationStats) and e.step == 1}
    assert stats["clinear1"].is_complex
    z = stats["modrelu"]
    assert z.is_complex and len(z.histogram) == len(z.phase_histogram) == 30
    assert z.edges[0] >= 0  # magnitudes
    assert abs(z.phase_edges[0] + 3.14159) < 1e-4 and abs(z.phase_edges[-1] - 3.14159) < 1e-4
    assert sum(z.phase_histogram) == sum(z.histogram) == 64 * 64
    assert len(z.sample_real) == len(z.sample_imag) == 400
    magnitudes = [abs(complex(a, b)) for a, b in zip(z.sample_real, z.sample_imag, strict=True)]
    assert z.edges[0] - 1e-4 <= min(magnitudes) and max(magnitudes) <= z.edges[-1] + 1e-4


def aten_ops(fn):
    """The aten operations `fn` runs, by name (counted below the Python API, so any route to them shows)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    seen = []

    class Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    with Record():
        fn()
    return seen


def test_statistics_of_a_conv_output_avoid_the_slow_reductions():
    """On LeNet's first conv output (64×6×28×28) `std_mean` and `histc` took 2 ms each on one CPU thread,
    50× a sum over the same values: a sampled batch cost more than a training step. Mean and std are a
    sum and a dot product, the histogram a bin count."""
    import torch

    from runtime.activations import tensor_stats

    out = torch.randn(64, 6, 28, 28).tanh()
    ops = aten_ops(lambda: tensor_stats(1, "conv1", out))
    assert not {"std_mean", "var_mean", "std", "var", "histc", "histogram"} & set(ops), ops


def test_statistics_match_the_reference_reductions():
    import torch

    from runtime.activations import BINS, tensor_stats

    g = torch.Generator().manual_seed(0)
    for out in (torch.randn(64, 6, 28, 28, generator=g) * 3 + 1000, torch.rand(64, 120, generator=g).relu(),
                torch.tensor([2.0, 2.0, 2.0]), torch.tensor([5.0])):
        stats = tensor_stats(1, "x", out)
        values = out.double().flatten()
        assert abs(stats.mean - values.mean().item()) <= 1e-5 * max(1.0, abs(values.mean().item()))
        expected_std = values.std().item() if values.numel() > 1 else 0.0
        assert abs(stats.std - expected_std) <= 1e-4 * max(1.0, expected_std)
        lo, hi = stats.edges[0], stats.edges[-1]
        reference = torch.histc(out.float().flatten(), BINS, lo, hi).tolist()
        assert sum(stats.histogram) == out.numel()
        # a value on a bin's edge may land on either side of it, by float rounding
        assert sum(abs(a - b) for a, b in zip(stats.histogram, reference, strict=True)) <= 2e-4 * out.numel()


def test_a_layer_output_with_infinities_has_statistics_of_its_finite_values():
    """histc refused a non-finite range and raised inside the forward hook: the run failed on the sampled
    batch instead of reaching the loss's own NaN guard (or training on through an inf that softmax absorbs)."""
    import torch

    from runtime.activations import tensor_stats

    stats = tensor_stats(1, "x", torch.tensor([1.0, float("inf"), 3.0, float("-inf"), float("nan")]))
    assert stats.mean == 2.0 and stats.edges[0] == 1.0 and stats.edges[-1] == 3.0 and sum(stats.histogram) == 2
    assert tensor_stats(1, "x", torch.tensor([float("nan")] * 4)) is None


def test_a_batch_without_statistics_costs_the_monitor_one_call():
    """On a small model the monitor's per-batch hooks were a share of the step it samples once a second:
    `on_batch_start` asked the clock and `on_after_backward` looked for hooks to take off, four Python
    calls a batch. Now the clock is asked a few times a second (at the step it expects the second to be
    up) and the sampled forward takes its own hooks off."""
    from runtime.activations import ActivationMonitor
    from tests.runtime.test_engine import make_trainer
    from tests.runtime.test_step_overhead import calls_during

    def calls(callbacks, epochs):
        trainer, _ = make_trainer(list(callbacks), epochs=epochs, log_layers=False)
        return sum(calls_during(trainer.fit).values()), trainer.step

    calls([], 2)  # the first run in a process fills abc's subclass caches: ~9 calls a step more in the next
    per_step = {}
    for name, make in (("without", lambda: []), ("auto", lambda: [ActivationMonitor("auto", seconds=3600)]),
                       ("every 1000", lambda: [ActivationMonitor(1000)])):
        (short, s_steps), (long_, l_steps) = calls(make(), 2), calls(make(), 6)
        per_step[name] = (long_ - short) / (l_steps - s_steps)
    for name in ("auto", "every 1000"):
        assert per_step[name] - per_step["without"] <= 1.2, per_step


def test_statistics_are_taken_once_per_seconds_of_the_monitors_clock_and_only_in_training():
    from runtime.activations import ActivationMonitor
    from runtime.callbacks import Callback
    from runtime.events import ActivationStats
    from tests.runtime.test_engine import make_trainer

    class Clock(Callback):
        """Each batch takes one second; the monitor reads it as often as it likes without moving it."""

        now = 0

        def __call__(self) -> int:
            return self.now

        def on_batch_start(self, trainer) -> None:
            self.now += 1

    clock = Clock()
    trainer, events = make_trainer([clock, ActivationMonitor("auto", seconds=10, clock=clock)], epochs=4)
    trainer.fit()
    stats = [e for e in events if isinstance(e, ActivationStats)]
    assert sorted({e.step for e in stats}) == [1, 11, 21, 31]
    # one record per layer and sampled batch: the evaluations' forwards (after steps 8, 16, ...) add none
    assert sorted(e.node for e in stats if e.step == 11) == ["0", "1", "2", "3"]
    assert len(stats) == 4 * 4
