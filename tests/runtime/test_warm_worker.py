"""The warm worker: one process reused across runs, datasets loaded once, replaced when it dies."""

import json
import os
import signal

from app.launch import EXAMPLE
from runtime.warm_worker import WarmWorker, caching_loader
from runtime.worker import WorkerRequest


def request(tmp_path, name, epochs=1):
    doc = json.loads(EXAMPLE.read_text())
    doc["recipe"]["epochs"] = epochs
    return WorkerRequest(json.dumps(doc), None, True, {}, str(tmp_path / name), num_threads=1)


def test_two_runs_share_one_warm_process_and_the_dataset_is_loaded_once(tmp_path):
    worker = WarmWorker(num_threads=1)
    worker.start()
    try:
        assert worker.wait_ready(180)
        pid = worker.pid
        first = worker.submit(request(tmp_path, "a"))
        events = first.wait(180)
        assert first.finished.status == "finished"
        assert [e for e in events if e.kind == "batch_ended"]
        second = worker.submit(request(tmp_path, "b"))
        second.wait(180)
        assert second.finished.status == "finished" and worker.pid == pid, "the same process trained both"
        assert worker.stats["datasets_loaded"] == 1, "the second run took the dataset from the cache"
        assert (tmp_path / "b" / "weights.safetensors").exists()
    finally:
        worker.shutdown()
    assert not worker.alive


def test_a_worker_killed_mid_run_is_a_failed_run_and_the_next_run_gets_a_fresh_one(tmp_path):
    worker = WarmWorker(num_threads=1)
    worker.start()
    try:
        assert worker.wait_ready(180)
        run = worker.submit(request(tmp_path, "long", epochs=200))
        while not [e for e in run.poll(0.2) if e.kind == "batch_ended"]:
            pass
        os.kill(worker.pid, signal.SIGKILL)
        run.wait(30)
        assert run.finished.status == "failed" and "signal 9" in run.finished.message
        again = worker.submit(request(tmp_path, "again"))
        again.wait(240)
        assert again.finished.status == "finished"
    finally:
        worker.shutdown()


def test_the_caching_loader_reloads_when_a_data_file_changes(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n2,3,1\n4,5,0\n6,7,1\n8,9,0\n1,1,1\n")
    load = caching_loader()
    spec = {"name": "csv", "path": str(data), "target": "label"}
    first = load(spec, None)
    assert load(spec, None) is first and load.loads == 1
    os.utime(data, ns=(1, 1))
    assert load(spec, None) is not first and load.loads == 2


EDITOR = """
import sys, time
from runtime.warm_worker import WarmWorker
worker = WarmWorker(num_threads=1)
worker.start()
print(worker.pid, flush=True)
time.sleep(600)
"""


def test_a_worker_ends_itself_when_the_editor_is_killed():
    """SIGKILL runs no exit handler in the editor: the child notices its parent is gone and ends."""
    import subprocess
    import sys
    import time

    editor = subprocess.Popen([sys.executable, "-c", EDITOR], stdout=subprocess.PIPE, text=True)
    child = int(editor.stdout.readline())
    os.kill(editor.pid, signal.SIGKILL)
    editor.wait()
    for _ in range(600):  # polled, not timed: the child checks its parent every second
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if open(f"/proc/{child}/stat").read().split(")")[1].split()[0] == "Z":
            break  # exited, waiting to be reaped by init
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the warm worker outlived its editor")
