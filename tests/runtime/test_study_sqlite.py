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


def test_tables_are_made_and_checked_once_per_process_and_its_forked_workers(tmp_path, monkeypatch):
    """Checking Optuna's schema loads Alembic's migration scripts: 0.14 s of each local worker's start-up."""
    import os

    from optuna.storages._rdb.storage import _VersionManager

    checks: list[int] = []
    check = _VersionManager.check_table_schema_compatibility
    monkeypatch.setattr(_VersionManager, "check_table_schema_compatibility",
                        lambda self: (checks.append(os.getpid()), check(self))[1])
    url, _ = _study(tmp_path)
    assert checks == [os.getpid()]
    open_storage(url, reading=True)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # a forked local worker: opens the storage and reads the study, unchecked
        study = optuna.load_study(study_name="s", storage=open_storage(url))
        os.write(writer, f"{len(checks)} {len(study.trials)}".encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(reader, 100) == b"1 1"
    assert checks == [os.getpid()]
    (tmp_path / "s.db").unlink()  # a new file under the same name is made and checked again
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"s.db{suffix}").unlink(missing_ok=True)
    optuna.create_study(study_name="t", storage=open_storage(url))
    assert checks == [os.getpid()] * 2
    other = f"sqlite:///{tmp_path / 'other.db'}"
    optuna.create_study(study_name="o", storage=open_storage(other))
    assert len(checks) == 3


def test_a_workers_reads_do_not_wait_for_another_workers_write_lock(tmp_path):
    """The trials list before each claim and the pruner's look at every epoch are reads: no write lock."""
    url, study = _study(tmp_path)
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another worker in the middle of writing
    other.execute("UPDATE trials SET number = number")
    worker = optuna.load_study(study_name="s", storage=open_storage(url))
    read = threading.Event()
    seen: list[object] = []

    def look() -> None:
        seen.append([t.state.name for t in worker.get_trials(deepcopy=False)])
        storage = worker._storage
        seen.append(storage.get_trial(study.trials[0]._trial_id).state.name)
        read.set()

    reader = threading.Thread(target=look, daemon=True)
    reader.start()
    try:
        assert read.wait(20), "a worker's read waited for another worker's write lock"
    finally:
        other.execute("COMMIT")
        other.close()
        reader.join()
    assert seen == [["WAITING"], "WAITING"]
