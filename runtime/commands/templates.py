"""`torchcanvas templates`: the bundled template projects and where they are."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"


def template_paths() -> list[Path]:
    return sorted((RESOURCES / "templates").glob("*.json")) + sorted((RESOURCES / "examples").glob("*.json"))


def run(args: argparse.Namespace) -> int:
    for path in template_paths():
        data = json.loads(path.read_text())
        if args.json:
            print(json.dumps({"name": data.get("name"), "path": str(path),
                              "dataset": data.get("recipe", {}).get("dataset", {}).get("name"),
                              "description": data.get("description", "")}))
        else:
            first = data.get("description", "").split(". ")[0]
            print(f"{data.get('name', path.stem):<44} {path}\n    {first}.")
    return 0
