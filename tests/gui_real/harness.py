"""Drive the real app in a real X server: Xvfb, the xcb platform, xdotool for keys and the mouse.

`App` starts `torchcanvas` as a separate process on its own display with a
private $TORCHCANVAS_HOME and $TORCHCANVAS_PROBE (app/testprobe.py), so a
test knows where things are on screen and what the app believes, sends real
input events with xdotool, and asserts on files the app writes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TOOLS = ("Xvfb", "xdotool", "import")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


class Display:
    """An Xvfb server on a free display number (Xvfb picks it and tells us through -displayfd)."""

    def __init__(self, size: str = "1600x1000x24") -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
                                     pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        number = b""
        deadline = time.monotonic() + 30
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(read, 16)
            if not chunk:
                break
            number += chunk
        os.close(read)
        if not number.strip():
            self.close()
            raise RuntimeError("Xvfb did not start")
        self.name = f":{number.decode().strip()}"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class App:
    """One run of the app on `display`; `probe()` is its latest report."""

    def __init__(self, display: Display, home: Path, args: list[str], cwd: Path | None = None) -> None:
        self.display = display
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.probe_file = self.home / "probe.json"
        self.probe_file.unlink(missing_ok=True)
        env = {**os.environ, "DISPLAY": display.name, "QT_QPA_PLATFORM": "xcb", "TORCHCANVAS_HOME": str(self.home),
               "TORCHCANVAS_PROBE": str(self.probe_file), "QT_ACCESSIBILITY": "0"}
        env.pop("WAYLAND_DISPLAY", None)
        self.log = (self.home / "app.log").open("w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "app", *args], env=env, cwd=str(cwd or self.home),
                                     stdout=self.log, stderr=subprocess.STDOUT)

    # -- what the app reports ----------------------------------------------------------------
    def probe(self) -> dict[str, Any]:
        try:
            return json.loads(self.probe_file.read_text())
        except (OSError, ValueError):
            return {}

    def wait_for(self, condition: Callable[[dict[str, Any]], Any], timeout: float = 60.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited ({self.proc.returncode}) while waiting for {what}:\n"
                                     f"{self.output()[-3000:]}")
            report = self.probe()
            if report:
                try:
                    value = condition(report)
                except (KeyError, IndexError, TypeError):
                    value = None
                if value:
                    return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; last report:\n"
                             f"{json.dumps(self.probe(), indent=1)[:3000]}\n{self.output()[-2000:]}")

    def output(self) -> str:
        self.log.flush()
        return (self.home / "app.log").read_text(errors="replace")

    # -- real input ----------------------------------------------------------------------------------
    def xdo(self, *args: str) -> str:
        out = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": self.display.name},
                             capture_output=True, text=True, timeout=30)
        return out.stdout

    def window_id(self) -> str:
        ids = self.xdo("search", "--sync", "--onlyvisible", "--name", "TorchCanvas").split()
        return ids[0]

    def activate(self) -> None:
        wid = self.window_id()  # no window manager runs on Xvfb: give the window the input focus directly
        self.xdo("windowraise", wid)
        self.xdo("windowfocus", "--sync", wid)
        self.wait_for(lambda r: r.get("active"), 20, "the window to be active")

    def key(self, *keys: str) -> None:
        for k in keys:
            self.xdo("key", "--clearmodifiers", k)
            time.sleep(0.25)

    def type(self, text: str) -> None:
        self.xdo("type", "--delay", "40", text)

    def click(self, point: list[int], button: int = 1, double: bool = False) -> None:
        self.xdo("mousemove", "--sync", str(point[0]), str(point[1]))
        time.sleep(0.1)
        self.xdo("click", *(["--repeat", "2", "--delay", "80"] if double else []), str(button))
        time.sleep(0.2)

    def drag(self, start: list[int], end: list[int], steps: int = 12) -> None:
        """Press, move in small steps (Qt starts a drag only after a few pixels of motion), release."""
        self.xdo("mousemove", "--sync", str(start[0]), str(start[1]))
        time.sleep(0.15)
        self.xdo("mousedown", "1")
        time.sleep(0.15)
        for k in range(1, steps + 1):
            x = start[0] + (end[0] - start[0]) * k // steps
            y = start[1] + (end[1] - start[1]) * k // steps
            self.xdo("mousemove", str(x), str(y))
            time.sleep(0.04)
        time.sleep(0.2)
        self.xdo("mouseup", "1")
        time.sleep(0.3)

    def screenshot(self, path: Path) -> Path:
        subprocess.run(["import", "-window", "root", str(path)], env={**os.environ, "DISPLAY": self.display.name},
                       check=True, timeout=60, capture_output=True)
        return path

    # -- ending ------------------------------------------------------------------------------------
    def wait_exit(self, timeout: float = 30.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
