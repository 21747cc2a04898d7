"""Where a study lives: SQLite beside the project, a shared RDB (PostgreSQL), or a journal file.

    (nothing)                       sqlite:///<project folder>/<project>.optuna.db
    sqlite:///path/study.db         an SQLite file (one machine, several processes)
    postgresql://user:pw@host/db    PostgreSQL, shared by many machines (driver: psycopg 3)
    journal:/shared/study.log       an append-only journal file on a shared filesystem

RDB storages get Optuna's heartbeat: a trial whose process died stops
beating, is marked failed by the next worker that looks, and is retried.
Journal files have no heartbeat in Optuna; `runtime.study.worker` keeps an
equivalent one in the trial's user attributes.
"""

from __future__ import annotations

import functools
import re
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEARTBEAT = 10.0  # seconds between a running trial's heartbeats
MAX_RETRY = 3  # a trial whose worker died is retried this often

#: RDB storages whose tables this process (or the process it was forked from) has made and checked.
_CHECKED: set[tuple] = set()


def _identity(url: str) -> tuple | None:
    """What `_CHECKED` knows a storage by: its URL, and for an SQLite file the file itself (it may be replaced)."""
    if not url.startswith("sqlite:///"):
        return (url,)
    try:
        stat = Path(url[len("sqlite:///"):]).expanduser().stat()
    except OSError:
        return None  # not made yet
    return (url, stat.st_dev, stat.st_ino)


class StorageError(ValueError):
    """The storage cannot be opened or reached; the message says which and why (password hidden)."""


def default_url(project: Path) -> str:
    return f"sqlite:///{project.resolve().with_suffix('.optuna.db')}"


def redact(url: str) -> str:
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def _driver(url: str) -> str:
    """SQLAlchemy's default PostgreSQL driver is psycopg2; we ship psycopg (3)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_journal(url: str) -> bool:
    return url.startswith("journal:")


#: Storage methods that only read: their transactions need no write lock (`serialise`).
READS = ("get_study_id_from_name", "get_study_name_from_id", "get_study_directions", "get_study_user_attrs",
         "get_study_system_attrs", "get_trial_user_attrs", "get_trial_system_attrs", "get_all_studies",
         "get_trial_param", "get_trial_id_from_study_id_trial_number", "get_trial_number_from_id", "get_trial",
         "get_all_trials", "get_n_trials", "get_best_trial",
         # What Optuna's caching storage (every Study's) and `fail_stale_trials` call to read the trials:
         "_get_trials", "_get_stale_trial_ids")

_reading = threading.local()


def serialise(engine: Any) -> None:
    """Every SQLite transaction that may write takes the write lock when it begins (``BEGIN IMMEDIATE``).

    Optuna claims a waiting trial by reading its state and then writing RUNNING
    in one transaction, relying on ``SELECT ... FOR UPDATE`` to keep others out
    in between. SQLite ignores FOR UPDATE and pysqlite begins a transaction only
    at the first write, so two local workers could both read WAITING and both
    run the trial (seen in `tests/runtime/test_study_claims.py`). Beginning
    with the write lock serialises them; a study's transactions are short.
    This is SQLAlchemy's documented recipe for pysqlite transactions.

    The storage's reading methods (`READS`, marked by `_SQLiteStorage`) begin
    an ordinary transaction: in write-ahead-log mode it reads a consistent
    snapshot without the lock, so one worker's reads (the trials list before
    each claim, the pruner's look at every epoch) do not hold up another's
    writes.
    """
    from sqlalchemy import event

    def begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if getattr(_reading, "on", False) else "BEGIN IMMEDIATE")

    event.listen(engine, "begin", begin)


def _only_reads(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def reading(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_reading, "on", False)
        _reading.on = True
        try:
            return method(*args, **kwargs)
        finally:
            _reading.on = outer

    return reading


@functools.cache
def _sqlite_storage_class() -> type:
    """Optuna's RDBStorage whose reading methods mark their transactions as reads (see `serialise`)."""
    from optuna.storages import RDBStorage

    methods = {name: _only_reads(getattr(RDBStorage, name)) for name in READS if hasattr(RDBStorage, name)}
    return type("SQLiteStorage", (RDBStorage,), {**methods, "__module__": __name__})


def __getattr__(name: str) -> Any:
    if name == "SQLiteStorage":  # made on first use (Optuna is imported late); here so a pickled storage loads
        return _sqlite_storage_class()
    raise AttributeError(name)


def write_ahead(engine: Any) -> None:
    """SQLite in write-ahead-log mode, synced at checkpoints rather than at every commit.

    A trial writes its parameters, one value per epoch and its results: a dozen
    commits. In SQLite's default rollback-journal mode each commit syncs the
    disk several times (~15 ms here, ~0.2 s per trial against ~0.35 s of
    training), holding the write lock meanwhile, so a second local worker waited
    on the first worker's syncs; and a reader (the window's results view) kept
    a commit waiting until it finished reading. With the write-ahead log a
    commit appends to the log without a sync (``synchronous=NORMAL``: the
    database stays consistent if a worker is killed; only a power cut can lose
    the last commits, which a resumed study runs again), and readers and the
    writer do not wait for each other. The log needs shared memory, so an
    SQLite study stays on one machine (journal files or PostgreSQL are for
    several). The mode is kept in the file; `synchronous` is per connection,
    so the pool is emptied and every connection from now on gets it.
    """
    from sqlalchemy import event

    def tune(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", tune)
    engine.dispose()


def open_storage(url: str, heartbeat: float = HEARTBEAT, *, reading: bool = False) -> Any:
    """An Optuna storage for `url`, connected (so an unreachable server is reported here).

    `reading`: only reads (a results view); SQLite readers take no write lock, so a slow reader never holds
    up the workers.

    An RDB storage's tables are made and checked against this Optuna's schema
    the first time this process opens `url`; later openings (and the local
    workers forked from this process) skip both. The check loads Alembic's ten
    migration scripts each time (0.14 s of a worker's 0.25 s start-up, paid by
    each local worker before its first trial and again whenever a study was
    read or a dead worker's trial failed). Spawned workers and workers on other
    machines check for themselves.
    """
    import optuna
    from optuna.storages import JournalStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    try:
        if is_journal(url):
            path = Path(url.split(":", 1)[1]).expanduser()
            if not path.parent.is_dir():
                raise StorageError(f"storage {url}: the folder {path.parent} does not exist")
            return JournalStorage(JournalFileBackend(str(path)))
        if "://" not in url:
            raise StorageError(f"storage {url!r}: expected sqlite:///FILE, postgresql://USER@HOST/DB or "
                               "journal:FILE")
        if url.startswith("sqlite:///"):
            folder = Path(url[len("sqlite:///"):]).expanduser().parent
            if not folder.is_dir():
                raise StorageError(f"storage {url}: the folder {folder} does not exist")
        sqlite = url.startswith("sqlite")
        # SQLite: pysqlite's own BEGIN is switched off (isolation_level None) and `serialise` begins each
        # transaction itself.
        engine: dict[str, Any] = {"connect_args": {"timeout": 60, "isolation_level": None}} if sqlite else \
            {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}
        interval = max(1, round(heartbeat))
        known = _identity(url)
        checked = known is not None and known in _CHECKED
        kind = _sqlite_storage_class() if sqlite else RDBStorage
        storage = kind(_driver(url), engine_kwargs=engine, heartbeat_interval=interval,
                       grace_period=3 * interval, skip_compatibility_check=checked, skip_table_creation=checked,
                       heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY))
        if (made := _identity(url)) is not None:
            _CHECKED.add(made)
        if sqlite:
            write_ahead(storage.engine)
        if sqlite and not reading:
            serialise(storage.engine)
        return storage
    except StorageError:
        raise
    except Exception as exc:  # noqa: BLE001 - drivers raise many kinds; the user needs one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = re.sub(r"\(Background on this error.*", "", reason)
        raise StorageError(f"cannot reach storage {redact(url)}: {redact(reason)}") from None
