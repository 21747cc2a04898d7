"""The SQLite study file: commits that do not sync the disk each time, and readers that never hold up a worker.

A local study's dozen commits per trial each synced the disk in SQLite's
rollback-journal mode while holding the write lock, so two local workers
waited on each other's syncs, and a reader's open transaction kept a worker's
commit waiting. The file is now in write-ahead-log mode with `synchronous=NORMAL`.
"""

from __future__ import annotations

import sqlite3
import threading

import optuna

from runtime.study.storage import open_storage


def _study(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = optuna.create_study(study_name="s", storage=open_storage(url))
    study.enqueue_trial({"x": 1.0})
    return url, study


def test_every_connection_logs_ahead_and_syncs_at_checkpoints(tmp_path):
    url, _ = _study(tmp_path)
    for reading in (False, True):
        engine = open_storage(url, reading=reading).engine
        engine.dispose()  # a fresh connection, as a forked worker makes
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    with sqlite3.connect(tmp_path / "s.db") as other:  # the mode is the file's: any program sees it
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_reader_in_the_middle_of_reading_does_not_hold_up_a_workers_commit(tmp_path):
    url, study = _study(tmp_path)
    storage = open_storage(url)
    tid = study.trials[0]._trial_id
    reader = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM trials").fetchone() == (1,)  # holds its read snapshot
    written = threading.Event()

    def write() -> None:
        storage.set_trial_user_attr(tid, "run_dir", "runs/s-trial0")
        written.set()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        # Rollback-journal mode: the commit waits for the reader (up to the storage's 60 s busy timeout).
        assert written.wait(20), "the worker's commit waited for a reader"
        assert reader.execute("SELECT count(*) FROM trial_user_attributes").fetchone() == (0,)  # its snapshot
    finally:
        reader.execute("COMMIT")
        reader.close()
        writer.join()
    assert optuna.load_study(study_name="s", storage=url).trials[0].user_attrs == {"run_dir": "runs/s-trial0"}
