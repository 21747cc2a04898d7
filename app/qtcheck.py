"""A clear message when Qt's system libraries are missing, instead of a crash."""

from __future__ import annotations

import sys

DEBIAN_PACKAGES = ("libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 "
                   "libglib2.0-0 fonts-dejavu-core")


def require_qt() -> None:
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        from runtime.report import problems_of

        sys.exit(
            f"TorchCanvas cannot load Qt: {problems_of(exc)[0].text()}\n"
            f"On Debian/Ubuntu install the libraries Qt needs:\n"
            f"  sudo apt-get install -y {DEBIAN_PACKAGES}\n"
        )


if __name__ == "__main__":
    require_qt()
    print("Qt loads")
