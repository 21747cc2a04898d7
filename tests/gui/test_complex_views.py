"""Complex values are findable and visible: palette search, magnitude/phase/Re-Im statistics."""

import math

from PySide6.QtCore import Qt

from app.palette import Palette
from app.plots.node_stats import NodeStatsView
from codegen.catalogue import registry
from runtime.events import ActivationStats, FitStarted


def test_searching_complex_finds_every_complex_valued_node(qtbot):
    palette = Palette(registry())
    qtbot.addWidget(palette)
    qtbot.keyClicks(palette.search, "complex")
    visible = set(palette.visible_types())
    complex_valued = {s.type_id for s in registry() if any(p.dtype == "complex" for p in (*s.inputs, *s.outputs))}
    assert {"ModReLU", "Cardioid", "ZSigmoid", "SplitReLU", "SplitTanh", "Abs", "Angle", "Real", "Imag",
            "AbsSquared", "ComplexLinear", "ToComplex"} <= visible
    assert complex_valued <= visible
    palette.search.clear()
    qtbot.keyClicks(palette.search, "complex activation")  # words narrow down
    assert "Abs" not in palette.visible_types() and "ReLU" not in palette.visible_types()
    palette.search.clear()
    qtbot.keyClicks(palette.search, "Pooling")  # a family's name finds its members
    assert {"MaxPool2d", "AvgPool1d"} <= set(palette.visible_types())
    qtbot.keyClick(palette.search, Qt.Key_Escape)


def complex_stats(node, step=5):
    edges = tuple(k / 10 for k in range(31))
    phase_edges = tuple(-math.pi + 2 * math.pi * k / 30 for k in range(31))
    return ActivationStats(step, node, 1.2, 0.4, tuple([3.0] * 30), edges, True, tuple([2.0] * 30), phase_edges,
                           (0.5, -0.25, 1.0), (0.1, 0.7, -1.0))


def test_complex_layer_statistics_show_labelled_magnitude_phase_and_re_im(qtbot):
    view = NodeStatsView()
    qtbot.addWidget(view)
    view.show()
    view.handle([FitStarted(1, 10, 10, 100, 100, ("clinear1", "modrelu")), complex_stats("cardioid"),
                 complex_stats("clinear1")])
    view.show_layer("cardioid")
    assert view.phase_plot.isVisible() and view.scatter_plot.isVisible()
    assert view.hist_plot.getPlotItem().titleLabel.text.startswith("magnitude |z|")
    assert view.hist_plot.getPlotItem().getAxis("bottom").labelText == "|z|"
    assert view.phase_plot.getPlotItem().getAxis("bottom").labelText == "∠z (radians)"
    assert view.scatter_plot.getPlotItem().getAxis("bottom").labelText == "Re z"
    assert view.scatter_plot.getPlotItem().getAxis("left").labelText == "Im z"
    assert list(view.scatter.getData()[0]) == [0.5, -0.25, 1.0]
    assert len(view.phase_bars.opts["height"]) == 30
    assert not view.plot.isVisible() and "no weights of its own" in view.title.text()  # Cardioid has none
    view.show_layer("clinear1")
    assert view.plot.isVisible()  # a layer with weights shows its norms
    real = ActivationStats(6, "clinear1", 0.1, 1.0, tuple([1.0] * 30), tuple(range(31)))
    view.handle([real])
    view.flush()
    assert not view.phase_plot.isVisible()
    assert view.hist_plot.getPlotItem().titleLabel.text.startswith("output distribution")
