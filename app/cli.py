"""The `torchcanvas` program: subcommands run headless, otherwise the window opens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def gui_parser() -> argparse.ArgumentParser:
    from runtime.cli import COMMANDS

    commands = "\n".join(f"  {name:<10} {text}" for name, (text, _, _) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="torchcanvas",
        description="Design neural networks as node graphs, compile them to PyTorch, train with live plots.",
        epilog=f"headless commands (each has --help):\n{commands}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", nargs="?", help="project file to open (default: the bundled example)")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="open offscreen, save a picture of the laid-out window, and exit")
    parser.add_argument("--train-for", type=float, metavar="S", default=0.0,
                        help="with --screenshot: train for S seconds before the picture")
    parser.add_argument("--empty", action="store_true", help="start with an empty project")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from runtime.cli import COMMANDS, run

    if argv and argv[0] in COMMANDS:
        return run(argv)
    args = gui_parser().parse_args(argv)
    from app.launch import launch

    return launch(args)


if __name__ == "__main__":
    sys.exit(main())
