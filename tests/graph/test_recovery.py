"""Autosave copies: keyed by document identity, removed on save, offered only when newer than the file."""

import json
import os
import subprocess
import sys
import time

from graph import Document
from graph.recovery import clear_recovery, new_identity, recovery_offers, write_recovery


def test_saving_an_untitled_project_under_a_name_leaves_no_copy(tmp_path):
    ident = new_identity()
    write_recovery(tmp_path, ident, None, Document(name="draft"))  # autosaved while untitled (from a template)
    project = tmp_path / "mine.json"
    project.write_text("{}")
    clear_recovery(tmp_path, ident)  # what saving does, whatever the path was when the copy was written
    assert recovery_offers(tmp_path, None) == [] and recovery_offers(tmp_path, project) == []


def test_a_copy_older_than_its_file_is_stale_and_deleted(tmp_path):
    project = tmp_path / "p.json"
    project.write_text("{}")
    copy_file = write_recovery(tmp_path, new_identity(), project, Document(name="old"))
    later = time.time() + 5
    os.utime(project, (later, later))  # the file was saved after the copy
    assert recovery_offers(tmp_path, project) == []
    assert not copy_file.exists()


def test_a_newer_copy_of_an_ended_session_is_offered(tmp_path):
    project = tmp_path / "p.json"
    project.write_text("{}")
    earlier = time.time() - 60
    os.utime(project, (earlier, earlier))
    write_recovery(tmp_path, new_identity(), project, Document(name="p"))
    (offer,) = recovery_offers(tmp_path, project)
    assert offer.name == "p" and offer.original == project.resolve()
    assert recovery_offers(tmp_path, None) == [], "untitled copies and named ones are kept apart"


def test_a_copy_another_running_instance_is_writing_is_not_offered(tmp_path):
    path = write_recovery(tmp_path, new_identity(), None, Document())
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        data = json.loads(path.read_text())
        data["pid"] = other.pid
        path.write_text(json.dumps(data))
        assert recovery_offers(tmp_path, None) == []
    finally:
        other.kill()
        other.wait()
    assert len(recovery_offers(tmp_path, None)) == 1, "once that instance is gone, its copy is offered"
