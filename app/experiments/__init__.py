"""The Experiments panel: Optuna studies from the window (issue #15).

`search_menu` adds "Search this…" to the inspector and the training settings,
`range_dialog` edits one parameter's range, `runner` runs the study in worker
processes and reads its results in a background thread, `plots` draws them
with pyqtgraph, `panel` lays it out and `wiring` attaches it to the window.
Everything below the drawing is `runtime.study` (headless).
"""
