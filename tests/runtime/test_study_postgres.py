"""A study shared through a real PostgreSQL server, joined by two worker processes (as two machines would).

Marked `service`: it starts PostgreSQL itself, as an unprivileged user
(PostgreSQL refuses to run as root); `.ci/run` installs the server.
"""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from app.launch import EXAMPLE

pytestmark = pytest.mark.service
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        message = "PostgreSQL is not installed (apt-get install postgresql; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    base = Path(tempfile.mkdtemp(prefix="torchcanvas-pg-"))
    data = base / "data"
    as_user = {}
    if os.geteuid() == 0:  # PostgreSQL refuses root: run it as nobody
        import pwd

        nobody = pwd.getpwnam("nobody")
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        as_user = {"user": nobody.pw_uid, "group": nobody.pw_gid}
    os.chmod(base, 0o755)
    port = _free_port()
    subprocess.run([initdb, "-D", str(data), "-U", "tc", "--auth=trust", "-E", "UTF8", "--no-sync"], check=True,
                   capture_output=True, cwd=base, **as_user)
    subprocess.run([pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60", "-o",
                    f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], check=True,
                   capture_output=True, cwd=base, **as_user)
    try:
        yield f"postgresql://tc@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True, cwd=base,
                       **as_user)
        shutil.rmtree(base, ignore_errors=True)


def test_two_workers_share_a_postgresql_study_and_each_trial_runs_exactly_once(tmp_path, postgres):
    data = json.loads(EXAMPLE.read_text())
    data["recipe"].update({"epochs": 4, "batch_size": 32})
    project = tmp_path / "digits.json"
    project.write_text(json.dumps(data))
    made = subprocess.run([sys.executable, "-m", "app", "study", str(project), "--param",
                           "fc1.out_features=int:4..64:log", "--param", "recipe.optimizer.lr=float:1e-3..3e-2:log",
                           "--trials", "8", "--sampler", "random", "--storage", postgres, "--name", "widths",
                           "--no-run"], capture_output=True, text=True, timeout=300, env=ENV)
    assert made.returncode == 0, made.stderr
    workers = [subprocess.Popen([sys.executable, "-m", "app", "study-worker", "--storage", postgres, "--name",
                                 "widths", "--project-dir", str(tmp_path)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)]
    outputs = [w.communicate(timeout=900) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    ran = [[int(line.split()[1]) for line in out.splitlines() if line.startswith("trial ")] for out, _ in outputs]
    assert sorted(ran[0] + ran[1]) == list(range(8)), ran  # every trial once, by one worker or the other
    assert ran[0] and ran[1], f"both workers took trials: {ran}"
    study = optuna.load_study(study_name="widths", storage=postgres.replace("://", "+psycopg://", 1))
    assert len(study.trials) == 8
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)  # none failed or lost
    assert len({t.user_attrs["run_dir"] for t in study.trials}) == 8
    assert all(Path(t.user_attrs["run_dir"]).is_dir() for t in study.trials)
    best = study.best_trial
    for out, _ in outputs:
        assert f"best: trial {best.number}  val_loss {best.value:.4f}" in out
