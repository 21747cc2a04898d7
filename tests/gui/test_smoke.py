import subprocess
import sys

from app.launch import EXAMPLE


def test_main_window_opens_on_the_example_and_closes(make_window):
    window = make_window(EXAMPLE)
    assert "Digits MLP" in window.windowTitle()
    assert set(window.scene.nodes) == set(window.model.doc.graph.nodes)
    assert window.model.problems == []
    window.close()
    assert not window.isVisible()


def test_screenshot_command_writes_a_png(tmp_path):
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "app", str(EXAMPLE), "--screenshot", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
