"""Before the first evaluation the validation plot says when validation runs, with no numbers on its axes."""

from __future__ import annotations

from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from runtime.events import BatchEnded, EvalEnded, FitStarted


def settle(plots) -> None:
    plots.flush()
    for _ in range(3):  # pyqtgraph lays out and ranges on the event loop
        QApplication.processEvents()
    plots.flush()


def drawn_labels(axis) -> list[str]:
    """The tick texts the axis would paint now (pyqtgraph's own draw specs)."""
    image = QImage(10, 10, QImage.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for *_rest, text in specs[2]] if specs else []


def test_the_empty_validation_plot_says_when_validation_runs_and_has_no_ticks(plots):
    settle(plots)
    empty = plots.metric_empty
    assert empty.isVisible() and "validation" in empty.text()
    for side in ("bottom", "left"):
        assert drawn_labels(plots.metric_plot.getAxis(side)) == [], f"{side} axis numbers before any evaluation"

    plots.expect_validation(every=50)
    assert "every 50 steps" in empty.text()
    plots.expect_validation(every=0)
    plots.handle([FitStarted(3, 115, 345, 10, 10)])
    assert "end of each epoch" in empty.text() and "115 steps" in empty.text()
    plots.handle([BatchEnded(k, 0, 1.0 / k, 1e-3, 500.0, {}, {}) for k in range(1, 30)])
    settle(plots)
    assert empty.isVisible(), "batches are not evaluations"

    plots.handle([EvalEnded(30, 0, {"val_loss": 0.5, "val_accuracy": 0.8})])
    settle(plots)
    assert not empty.isVisible()
    assert drawn_labels(plots.metric_plot.getAxis("bottom")), "ticks once there is data"

    plots.clear()  # the next run starts empty again
    settle(plots)
    assert empty.isVisible()
    assert drawn_labels(plots.metric_plot.getAxis("bottom")) == []


def test_an_overlaid_run_fills_the_validation_plot(plots):
    records = [{"kind": "eval_ended", "step": 10, "metrics": {"val_accuracy": 0.7}},
               {"kind": "eval_ended", "step": 20, "metrics": {"val_accuracy": 0.8}}]
    plots.add_overlay("earlier", records)
    settle(plots)
    assert not plots.metric_empty.isVisible()
    plots.clear_overlays()
    settle(plots)
    assert plots.metric_empty.isVisible()


def test_train_tells_the_dashboard_how_often_validation_runs(make_window, tmp_path):
    import json

    from app.launch import EXAMPLE

    doc = json.loads(EXAMPLE.read_text())
    doc["recipe"]["eval_every"] = 40
    project = tmp_path / "digits.json"
    project.write_text(json.dumps(doc))
    w = make_window(project, trust=True)
    assert w.start_training()
    assert "every 40 steps" in w.plots.metric_empty.text()
    w.stop_training()


def test_every_dashboard_plot_starts_without_numbers_and_gets_them_with_data(plots):
    """Before a run the loss, learning-rate and gradient plots showed 0…1 (the log one a stray 10¹)."""
    settle(plots)
    for plot in (plots.loss_plot, plots.rate_plot, plots.grad_plot, plots.heat_plot):
        for side in ("bottom", "left"):
            assert drawn_labels(plot.getAxis(side)) == [], f"{plot.titleLabel.text} {side} axis before data"
    assert all(empty.isVisible() for empty in plots.empties)
    plots.handle([FitStarted(3, 115, 345, 10, 10)])
    plots.handle([BatchEnded(k, 0, 1.0 / k, 1e-3, 500.0, {"fc1": 0.5 / k}, {"fc1": 3.0}) for k in range(1, 30)])
    settle(plots)
    for plot in (plots.loss_plot, plots.rate_plot, plots.grad_plot, plots.heat_plot):
        assert drawn_labels(plot.getAxis("bottom")), f"{plot.titleLabel.text}: ticks once there is data"
    assert [e.isVisible() for e in plots.empties] == [True, False, False, False, False]  # no evaluation yet
    plots.clear()
    settle(plots)
    assert all(empty.isVisible() for empty in plots.empties)
    assert drawn_labels(plots.grad_plot.getAxis("left")) == []


def test_an_overlaid_run_fills_the_loss_plot(plots):
    plots.add_overlay("earlier", [{"kind": "batch_ended", "step": k, "loss": 1.0 / k} for k in range(1, 20)])
    settle(plots)
    assert not plots.empties[1].isVisible() and drawn_labels(plots.loss_plot.getAxis("left"))
    plots.clear_overlays()
    settle(plots)
    assert plots.empties[1].isVisible()


def test_the_layer_statistics_norms_plot_starts_without_numbers(qtbot):
    from app.plots.node_stats import NodeStatsView

    view = NodeStatsView()
    qtbot.addWidget(view)
    view.resize(400, 700)
    view.show()
    qtbot.waitExposed(view)
    QApplication.processEvents()
    item = view.plot.getPlotItem()
    assert view.norms_empty.isVisible()
    assert drawn_labels(item.getAxis("left")) == [] and drawn_labels(item.getAxis("bottom")) == []


def test_the_loss_legend_names_only_the_curves_that_are_drawn(plots):
    plots.add_overlay("earlier", [{"kind": "batch_ended", "step": k, "loss": 1.0 / k} for k in range(1, 20)])
    settle(plots)
    assert plots.legend_names() == ["earlier"]  # no "train" entries for a run that has not started
    plots.handle([BatchEnded(k, 0, 1.0 / k, 1e-3, 500.0, {}, {}) for k in range(1, 30)])
    settle(plots)
    assert plots.legend_names() == ["earlier", "train (raw)", "train (smoothed)"]
    plots.clear()
    settle(plots)
    assert plots.legend_names() == ["earlier"]
