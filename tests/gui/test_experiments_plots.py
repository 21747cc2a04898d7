"""The Experiments panel's parallel coordinates are readable on the plots' dark background (issue #15)."""

import pyqtgraph as pg
from PySide6.QtGui import QColor

from app.experiments.plots import BEST_COLOUR, ParallelCoordinates
from runtime.study.results import StudyResults, TrialRow
from runtime.study.setup import StudySetup
from runtime.study.space import parse_param


def _luminance(colour: QColor) -> float:
    """WCAG relative luminance."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def _contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _results(values: list[float]) -> StudyResults:
    params = [parse_param("fc1.out_features=int:8..512:log")]
    setup = StudySetup("{}", "/tmp", "p", params)
    trials = [TrialRow(n, "complete", v, {"fc1.out_features": 8 * (n + 1)}, 1.0) for n, v in enumerate(values)]
    return StudyResults("s", setup, trials)


def test_every_trial_line_stands_out_from_the_background_and_the_best_is_highlighted(qtbot):
    view = ParallelCoordinates()
    qtbot.addWidget(view.widget)
    values = [0.1 * (k + 1) for k in range(20)]  # trial 0 best, trial 19 worst
    view.show(_results(values))
    background = pg.mkColor(pg.getConfigOption("background"))
    assert set(view.pens) == set(range(20))
    for number, pen in view.pens.items():
        # WCAG's 3:1 for graphics: the worst trial's line too (viridis' dark purple gave 1.4:1 on black).
        assert _contrast(pen.color(), background) >= 3.0, (number, pen.color().name())
    best = view.pens[0]
    assert best.color().name() == QColor(BEST_COLOUR).name()
    assert best.widthF() > max(p.widthF() for n, p in view.pens.items() if n != 0)
    # Better trials are drawn wider than the worst ones, and the colour runs from worst to best.
    assert view.pens[1].widthF() > view.pens[19].widthF()
    assert view.pens[1].color() != view.pens[19].color()
    # The best line is drawn above the others.
    best_line = next(line for line in view.lines if line.opts["pen"] is best or line.opts["pen"] == best)
    assert best_line.zValue() > max(line.zValue() for line in view.lines if line is not best_line)
