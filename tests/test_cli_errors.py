"""Every command fails with `error: <file>: <what> (<where>)` lines and a non-zero exit; never a traceback."""

from __future__ import annotations

import json

import pytest

from app.launch import EXAMPLE
from runtime.cli import run as cli


def project(tmp_path, mutate=None, name="p.json"):
    data = json.loads(EXAMPLE.read_text())
    if mutate:
        mutate(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


COMMANDS = [
    ["check"],
    ["export", "--to", "py"],
    ["export", "--to", "onnx"],
    ["train", "--max-steps", "1", "--quiet"],
    ["sweep", "--node", "fc1", "--param", "out_features", "--values", "4,8"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_an_unreadable_project_is_one_line_per_problem_for_every_command(tmp_path, capsys, command):
    path = project(tmp_path, lambda d: (d["nodes"][1]["params"].update(out_features=-2),
                                        d["nodes"][2].update(type="Nope")))
    argv = [command[0], str(path), *command[1:]]
    assert cli(argv) == 1
    out, err = capsys.readouterr()
    lines = error_lines(err)
    assert lines == [
        f"error: {path}: expected a positive integer, got -2 (nodes[1].params.out_features)",
        f"error: {path}: unknown node type 'Nope' (nodes[2].type)",
    ], err
    assert "Traceback" not in out + err and "error: error:" not in err


# Not sweep: a graph problem is reported by each of its trials (the study runs them), then one summary line.
@pytest.mark.parametrize("command", COMMANDS[1:4], ids=lambda c: " ".join(c[:3]))
def test_a_graph_problem_names_the_node_in_parentheses(tmp_path, capsys, command):
    path = project(tmp_path, lambda d: d["nodes"][4]["params"].update(in_features=7))
    assert cli([command[0], str(path), *command[1:]]) == 1
    lines = error_lines(capsys.readouterr().err)
    assert lines and all(line.startswith(f"error: {path}: ") for line in lines), lines
    assert any(line.endswith("(fc2.in_features)") for line in lines), lines


def test_json_errors_say_line_and_column(tmp_path, capsys):
    path = tmp_path / "cut.json"
    path.write_text(EXAMPLE.read_text()[:300])
    assert cli(["train", str(path)]) == 1
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith(f"error: {path}: not valid JSON: ") and line.endswith(")") and ", column " in line


def test_a_bug_is_one_line_and_a_crash_log_not_a_traceback(tmp_path, capsys, monkeypatch):
    import runtime.commands.check as check

    def broken(args):
        return 1 / 0

    monkeypatch.setattr(check, "run", broken)
    path = project(tmp_path)
    assert cli(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    (line,) = error_lines(err)
    assert line.startswith(f"error: {path}: unexpected ZeroDivisionError: division by zero (a bug in TorchCanvas;")
    from runtime.report import crash_log

    assert "Traceback (most recent call last)" in crash_log().read_text()
    assert "Traceback" not in out + err


def test_import_weights_that_are_a_pickle_is_one_line_and_runs_nothing(tmp_path, capsys):
    from tests.hostile.projects import malicious_pickle

    module = tmp_path / "net.py"
    module.write_text("from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n"
                      "    def forward(self, x):\n        return self.fc(x)\n")
    weights = tmp_path / "w.pt"
    malicious_pickle("import")(weights)
    code = cli(["import", f"{module}:Net", "--input-shape", "4", "--weights", str(weights),
                "-o", str(tmp_path / "imported.json")])
    (line,) = error_lines(capsys.readouterr().err)
    assert code == 1 and line.startswith(f"error: {module}: {weights}: not readable weights"), line
    assert not list(tmp_path.glob("PWNED*")) and not (tmp_path / "imported.json").exists()


def test_a_system_error_says_what_the_window_says(tmp_path, capsys):
    """The command line renders the same records as the window (`problems_of`), not the exception's text."""
    from runtime.report import problems_of

    path = project(tmp_path)
    target = tmp_path / "out.py"
    target.mkdir()
    assert cli(["export", str(path), "--to", "py", "-o", str(target)]) == 1
    (line,) = error_lines(capsys.readouterr().err)
    assert line == f"error: {path}: Is a directory ({target})", line
    try:
        target.write_text("")
    except OSError as exc:
        (record,) = problems_of(exc, path)
    assert record.message == "Is a directory" and record.file == str(target)


def test_a_record_on_the_commands_own_file_names_it_once(tmp_path):
    from graph.fileformat import ProjectFileError
    from runtime.report import error_lines as lines_of

    path = tmp_path / "p.json"
    exc = ProjectFileError("not valid JSON", path=path, line=3, at="column 7")
    assert lines_of(path, exc) == [f"error: {path}: not valid JSON (line 3, column 7)"]
