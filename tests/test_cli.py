import json
import subprocess
import sys

import pytest

from app.launch import EXAMPLE


def torchcanvas(*args):
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=120)


def test_check_accepts_the_bundled_example():
    result = torchcanvas("check", str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok (6 nodes" in result.stdout


def test_check_reports_problems_with_node_and_parameter(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["nodes"][1]["params"]["out_features"] = -2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = torchcanvas("check", str(bad))
    assert result.returncode == 1
    assert f"error: {bad}: expected a positive integer, got -2 (nodes[1].params.out_features)" in result.stderr


def test_check_reports_graph_problems(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["edges"] = data["edges"][1:]
    bad = tmp_path / "dangling.json"
    bad.write_text(json.dumps(data))
    result = torchcanvas("check", str(bad))
    assert result.returncode == 1
    assert f"error: {bad}: input 'x' is not connected (node fc1, port x)" in result.stdout


@pytest.mark.parametrize("command", ["check"])
def test_every_command_has_help(command):
    result = torchcanvas(command, "--help")
    assert result.returncode == 0 and "usage: torchcanvas" in result.stdout
