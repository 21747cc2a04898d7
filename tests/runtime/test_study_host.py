"""The window's study process (`runtime.study.host.serve`): what it does when Stop comes early.

Stop can be pressed while the host is still making the study (importing Optuna, opening the storage,
checking the ranges: seconds). That "stop" waits in the pipe; the host must read it before it forks any
worker, so no trial starts (and none is left "stopped" to be retried) for a study the person cancelled.
"""

import json
import multiprocessing
import signal

import optuna
from optuna.trial import TrialState

from app.launch import EXAMPLE
from runtime.study.host import StudyRequest, serve
from runtime.study.space import parse_param


def _messages(conn, timeout: float = 120.0) -> list[tuple[str, object]]:
    """Everything the host said, up to its "finished" (or a closed pipe)."""
    seen = []
    while conn.poll(timeout):
        try:
            kind, payload = conn.recv()
        except EOFError:
            break
        seen.append((kind, payload))
        if kind == "finished":
            break
    return seen


def test_stop_pressed_while_the_study_is_made_starts_no_worker(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["recipe"].update({"epochs": 50, "checkpoint_every": 0})
    project_file = tmp_path / "digits.json"
    project_file.write_text(json.dumps(data))
    request = StudyRequest(json.dumps(data), project_file, [parse_param("fc1.out_features=int:8..64:log")],
                           "early", trials=4, jobs=2, trusted=True)
    ours, theirs = multiprocessing.Pipe()
    ours.send("stop")  # pressed before the host has read anything: it is busy making the study
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:  # in this process (the window spawns one for it): serve sets its own signal handlers
        serve(request, theirs)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    messages = _messages(ours, timeout=0)
    kinds = [kind for kind, _ in messages]
    assert kinds[-1] == "finished", kinds
    assert "started" not in kinds, "no worker was started for a study stopped while it was made"
    assert not [m for m in messages if m[0] == "failed"], messages
    # The study exists with its trials queued (running it again resumes it); none ran, none was stopped.
    storage = f"sqlite:///{project_file.with_suffix('.optuna.db')}"
    stored = optuna.load_study(study_name="early", storage=storage).get_trials()
    assert [t.state for t in stored] == [TrialState.WAITING] * 4
    assert not any(t.user_attrs for t in stored), "no worker claimed a trial"
    results = [payload for kind, payload in messages if kind == "results"]
    assert results and results[-1].counts() == {"waiting": 4}
