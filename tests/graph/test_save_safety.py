"""Saving a project: the person's file mode, a .bak that is always complete, no leftovers after a kill."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from graph import ProjectFileError, load, save
from graph.atomicfile import clean_stale_temps, temp_name
from tests.crashkill import kill_campaign
from tests.graph.sample import full_document

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes and fork")


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_project_file_gets_the_umask_mode_not_0600(tmp_path, umask_022):
    path = tmp_path / "p.json"
    save(full_document(), path)
    assert mode(path) == 0o644
    save(full_document(), path)
    assert mode(path) == 0o644 and mode(tmp_path / "p.json.bak") == 0o644


def test_a_stricter_umask_is_respected(tmp_path):
    old = os.umask(0o077)
    try:
        save(full_document(), tmp_path / "p.json")
    finally:
        os.umask(old)
    assert mode(tmp_path / "p.json") == 0o600


def test_saving_keeps_the_mode_the_person_gave_the_file(tmp_path, umask_022):
    path = tmp_path / "p.json"
    save(full_document(), path)
    path.chmod(0o640)
    save(full_document(), path)
    assert mode(path) == 0o640


def test_leftover_temp_files_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "p.json"
    save(full_document(), path)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # a process id that is certainly gone
    leftover = path.with_name(f".{path.name}.{pid}.0badf00d.tmp")
    leftover.write_text("half a project")
    bak_leftover = path.with_name(f".{path.name}.bak.{pid}.12345678.tmp")
    bak_leftover.write_text("half a backup")
    mine = temp_name(path)  # a save going on in this process right now: left alone
    mine.write_text("being written")
    unrelated = tmp_path / ".notes.txt.tmp"
    unrelated.write_text("not ours")
    save(full_document(), path)
    assert not leftover.exists() and not bak_leftover.exists()
    assert mine.exists() and unrelated.exists()
    assert clean_stale_temps(path) == []


def big_document(name: str):
    doc = full_document()
    doc.name = name
    doc.description = (name + " ") * 40_000  # ~300 KB: a write takes long enough to be interrupted
    return doc


def check_files(path, names: set[str]) -> str | None:
    for candidate in (path, path.with_name(path.name + ".bak")):
        if not candidate.exists():
            if candidate == path:
                return f"{candidate.name} is missing"
            continue
        try:
            doc = load(candidate)
        except ProjectFileError as exc:
            return f"{candidate.name} does not load: {str(exc)[:120]}"
        if doc.name not in names:
            return f"{candidate.name} holds {doc.name!r}"
    return None


def run_save_campaign(tmp_path, trials: int):
    path = tmp_path / "p.json"
    versions = {"first": big_document("first"), "second": big_document("second")}
    save(versions["first"], path)
    leftovers_seen = 0

    def write_forever():
        while True:
            for doc in versions.values():
                save(doc, path)

    def check(trial: int) -> str | None:
        nonlocal leftovers_seen
        problem = check_files(path, set(versions))
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        leftovers_seen += bool(temps)
        if trial % 10 == 9:  # the next save cleans up what killed saves left
            save(versions["first"], path)
            temps = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            if temps:
                return f"leftovers after a save: {temps}"
        return problem

    campaign = kill_campaign(trials, write_forever, check, max_delay=0.04, seed=trials)
    return campaign, leftovers_seen


def test_killing_saves_at_random_moments_leaves_loadable_files(tmp_path):
    campaign, leftovers_seen = run_save_campaign(tmp_path, 100)  # 100 here; 2,000 in the slow campaign
    assert campaign.trials == 100 and campaign.failures == []
    assert leftovers_seen > 0  # the kills did land in the middle of writes


@pytest.mark.slow
@pytest.mark.timeout(3600)  # 2,000 kills take minutes, more on a busy machine
def test_killing_saves_campaign_large(tmp_path):
    campaign, leftovers_seen = run_save_campaign(tmp_path, 2000)
    print(f"save kill campaign: {campaign.trials} trials, {leftovers_seen} with a killed write's temp file, "
          f"{len(campaign.failures)} failures")
    assert campaign.failures == []
