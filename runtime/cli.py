"""The headless half of the `torchcanvas` command: everything but the window.

Each subcommand prints errors a person can act on and exits non-zero on
failure; expected failures never end in a bare traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(name: str, help_text: str, handler: str):
    def register(configure: Callable[[argparse.ArgumentParser], None]):
        COMMANDS[name] = (help_text, configure, handler)
        return configure
    return register


@command("check", "validate a project file; print each problem with its node and parameter",
         "runtime.commands.check:run")
def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="the project file (.json)")


def build_parser(prog: str = "torchcanvas") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="TorchCanvas headless commands.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, configure, _) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + "."))
    return parser


def run(argv: Sequence[str]) -> int:
    import importlib

    args = build_parser().parse_args(list(argv))
    module_name, func = COMMANDS[args.command][2].split(":")
    handler = getattr(importlib.import_module(module_name), func)
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
