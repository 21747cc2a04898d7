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
