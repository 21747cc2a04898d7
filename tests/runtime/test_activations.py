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
