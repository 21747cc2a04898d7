"""The second corpus, written blind: seeded random mutations of every bundled template.

The first corpus was written case by case next to the fixes; this one was
not looked at while fixing. It takes each template, applies one to three
random mutations (hostile strings into any string field, extreme values into
any number, deleted keys, extra edges, a dangling code node that leaves a
marker), and expects nothing in particular — only the harness's invariants:
no traceback, no hang, no code run without trust, no file changed, `check`
and the editor agreeing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tests.hostile.harness import ANY, Case
from tests.hostile.projects import DIR, marker_code, marking_module, text

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"

STRINGS = [
    '"""', "'''", "\\", '"', "\\\"\"\"", "\n", "\r\n", "\x00", "\u2028", "{0.__class__}", "%s%s%n",
    "${HOME}", "$(touch x)", "`id`", "ﬁ", "a²", "𝔵", "\u202e", "🔥" * 50, "x" * 5000, "class", "__init__",
    "self", "None", "lambda: 0", "import os", "../../../../etc/passwd", "/dev/zero", "C:\\\\con\\\\aux",
]


def _payloads(tag: str) -> list[str]:
    code = marker_code(tag)
    return [f'"""\n{code}\n"""', f"'''\n{code}\n'''", f"\\\n{code}", f"x\n{code}", f"x); {code}; (",
            f"{{{code}}}", f"__import__('os').system('touch {DIR}/PWNED-{tag}-sh')"]


def _paths(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every (path, leaf) in a JSON value."""
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            out += _paths(v, (*path, k))
    return out


def _set(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _delete(data: Any, path: tuple) -> None:
    for key in path[:-1]:
        data = data[key]
    del data[path[-1]]


def mutate(data: dict[str, Any], rng: random.Random, tag: str) -> list[str]:
    """Applies one random mutation in place; returns what it did."""
    leaves = [(p, v) for p, v in _paths(data) if p]
    kind = rng.choice(["string", "string", "number", "delete", "edge", "code", "type", "duplicate"])
    if kind == "string":
        spots = [p for p, v in leaves if isinstance(v, str)] or [p for p, _ in leaves]
        spot = rng.choice(spots)
        value = rng.choice(STRINGS + _payloads(tag))
        _set(data, spot, value)
        return [f"{'.'.join(map(str, spot))} = {value[:40]!r}"]
    if kind == "number":
        spots = [p for p, v in leaves if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if spots:
            spot = rng.choice(spots)
            value = rng.choice([0, -1, -10**9, 10**9, 10**15, 2**63, 1e300, 3.5, 0.0, True, None, "7", [], {}])
            _set(data, spot, value)
            return [f"{'.'.join(map(str, spot))} = {value!r}"]
    if kind == "delete":
        spot = rng.choice([p for p, _ in leaves])
        _delete(data, spot)
        return [f"del {'.'.join(map(str, spot))}"]
    if kind == "edge" and data.get("nodes"):
        ids = [n.get("id") for n in data["nodes"] if isinstance(n, dict)]
        data.setdefault("edges", []).append({"src": rng.choice(ids), "src_port": rng.choice(["out", "x", "y"]),
                                             "dst": rng.choice(ids), "dst_port": rng.choice(["x", "y", "out"])})
        return ["random edge"]
    if kind == "code":
        data.setdefault("code", {})["blind"] = marking_module(tag)
        data.setdefault("nodes", []).append({"id": f"blind{tag}", "type": "Code", "label": "blind",
                                             "params": {"code": "blind"}, "position": [0, 0]})
        return ["dangling code node"]
    if kind == "type" and data.get("nodes"):
        n = rng.choice(data["nodes"])
        n["type"] = rng.choice(["Linear", "Conv2d", "Group", "Ensemble", "Code", "Expression", "Input", "Output"])
        return [f"node {n.get('label')} becomes {n['type']}"]
    if kind == "duplicate" and data.get("nodes"):
        n = json.loads(json.dumps(rng.choice(data["nodes"])))
        n["id"] = n.get("id", "") + "b"
        data["nodes"].append(n)
        return [f"duplicate of {n.get('label')}"]
    return ["no-op"]


def blind_corpus(count: int = 60, seed: int = 1125) -> list[Case]:
    rng = random.Random(seed)
    templates = sorted(TEMPLATES.glob("*.json"))
    cases = []
    for k in range(count):
        template = templates[k % len(templates)]
        data = json.loads(template.read_text())
        done: list[str] = []
        for _ in range(rng.randint(1, 3)):
            done += mutate(data, rng, f"b{k}")
        files = {"project.json": text(data)}
        for extra in template.parent.glob(template.stem + "*"):  # a template's own files (pretrained weights)
            if extra != template and extra.is_file():
                files[extra.name] = extra.read_bytes()
        name = f"blind-{k:02d}-{template.stem}"
        cases.append(Case(name, files, dict.fromkeys(("check", "py", "onnx", "train", "gui"), ANY),
                          why="; ".join(done)))
    return cases
