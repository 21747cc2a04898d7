"""`torchcanvas layers [--json]`: the node-type catalogue."""

from __future__ import annotations

import argparse
import json

from codegen.catalogue import registry


def run(args: argparse.Namespace) -> int:
    specs = sorted(registry(), key=lambda s: (s.category, s.type_id))
    if args.json:
        for s in specs:
            print(json.dumps({
                "type": s.type_id, "category": s.category, "target": s.target, "doc": s.doc,
                "inputs": [p.name for p in s.inputs], "outputs": [p.name for p in s.outputs],
                "params": [{"name": p.name, "kind": p.kind, "default": p.default} for p in s.params],
            }, default=list))
        return 0
    width = max(len(s.type_id) for s in specs)
    category = None
    for s in specs:
        if s.category != category:
            category = s.category
            print(f"\n{category}")
        print(f"  {s.type_id:<{width}}  {s.target:<32} {s.doc}")
    print(f"\n{len(specs)} node types")
    return 0
