"""Node specs as JSON-able data, so a registry can be saved and read back without torch.

The layer catalogue is built by introspecting `torch.nn`, which needs torch
(seconds to import). The editor saves a snapshot of the registry it built
last time and reads it at start-up, so the palette and the canvas are drawn
before torch is imported; the live registry replaces it a moment later.
Only what the editor reads is kept: `NodeSpec.extra` (the compiler's
private data) is left out.
"""

from __future__ import annotations

from typing import Any

from graph.registry import Registry
from graph.spec import NodeSpec, ParamSpec, PortSpec

SNAPSHOT_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    raise TypeError(f"not JSON data: {value!r}")


def _tuple(value: Any) -> Any:
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def param_to_dict(p: ParamSpec) -> dict[str, Any]:
    return {"name": p.name, "kind": p.kind, "default": _plain(p.default), "min": p.min, "max": p.max,
            "choices": _plain(p.choices), "help": p.help, "optional": p.optional, "primary": p.primary,
            "sequence": p.sequence}


def param_from_dict(d: dict[str, Any]) -> ParamSpec:
    return ParamSpec(d["name"], d["kind"], _tuple(d.get("default")), d.get("min"), d.get("max"),
                     _tuple(d.get("choices", [])), d.get("help", ""), d.get("optional", False),
                     d.get("primary", False), d.get("sequence", False))


def port_to_dict(p: PortSpec) -> dict[str, Any]:
    return {"name": p.name, "direction": p.direction, "multi": p.multi, "required": p.required,
            "dtype": p.dtype, "help": p.help}


def port_from_dict(d: dict[str, Any]) -> PortSpec:
    return PortSpec(d["name"], d["direction"], d.get("multi", False), d.get("required", True),
                    d.get("dtype", "any"), d.get("help", ""))


def spec_to_dict(s: NodeSpec) -> dict[str, Any]:
    return {"type_id": s.type_id, "category": s.category, "inputs": [port_to_dict(p) for p in s.inputs],
            "outputs": [port_to_dict(p) for p in s.outputs], "params": [param_to_dict(p) for p in s.params],
            "doc": s.doc, "target": s.target, "version": s.version, "dynamic_ports": s.dynamic_ports}


def spec_from_dict(d: dict[str, Any]) -> NodeSpec:
    return NodeSpec(d["type_id"], d["category"], tuple(port_from_dict(p) for p in d["inputs"]),
                    tuple(port_from_dict(p) for p in d["outputs"]), tuple(param_from_dict(p) for p in d["params"]),
                    d.get("doc", ""), d.get("target", ""), d.get("version", 1), d.get("dynamic_ports", False))


def registry_snapshot(registry: Registry) -> dict[str, Any]:
    specs = []
    for spec in registry:
        try:
            specs.append(spec_to_dict(spec))
        except TypeError:
            continue  # a spec with non-data defaults is simply not drawn early
    return {"version": SNAPSHOT_VERSION, "specs": specs}


def registry_from_snapshot(data: dict[str, Any]) -> Registry:
    """Raises ValueError/KeyError/TypeError on anything unexpected (the caller builds the registry instead)."""
    if data.get("version") != SNAPSHOT_VERSION:
        raise ValueError("snapshot version differs")
    registry = Registry()
    for d in data["specs"]:
        registry.register(spec_from_dict(d), replace=True)
    return registry
