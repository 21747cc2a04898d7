"""The project file: one versioned JSON document, written atomically.

`to_dict`/`from_dict` go field by field so that a new attribute never changes
the format by accident; pydantic checks the structure so that a bad file gets
an error naming the path inside the document. Anything that goes wrong while
loading is a `ProjectFileError`; nothing else escapes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graph.atomicfile import keep_copy_atomic, write_bytes_atomic
from graph.document import Document, Edge, Graph, GroupDef, Node
from graph.model_errors import field_errors
from graph.params import check_value
from graph.problems import Problem
from graph.registry import Registry
from graph.strictjson import StrictJSONError, loads_strict

FORMAT = "torchcanvas"
FORMAT_VERSION = 1


#: One problem in a project file: (where — a path inside the document, or a line — , what is wrong).
Located = tuple[str, str]


class ProjectFileError(Exception):
    """A project file that cannot be read; `problems` lists each one with its path.

    `located` holds the same problems as (where, what) pairs, so a view can put
    the place where it belongs (`error: FILE: what (where)`) without parsing text.
    """

    def __init__(self, message: str, problems: list[str] | None = None, path: str | Path | None = None,
                 located: list[Located] | None = None, line: int | None = None, at: str | None = None) -> None:
        self.line, self.at = line, at  # a one-problem error in the JSON text: its line and column
        if located is not None and problems is None:
            problems = [f"{where}: {what}" if where else what for where, what in located]
        self.problems = problems or [message]
        self.located: list[Located] = list(located) if located is not None else [("", p) for p in self.problems]
        self.path = str(path) if path is not None else None
        prefix = f"{self.path}: " if self.path else ""
        if len(self.problems) == 1 and self.problems[0] != message:
            message = f"{message}: {self.problems[0]}"
        elif len(self.problems) > 1:
            message = message + "\n" + "\n".join(f"  {p}" for p in self.problems[:20])
            if len(self.problems) > 20:
                message += f"\n  ... and {len(self.problems) - 20} more"
        super().__init__(prefix + message)


    def records(self) -> list[Problem]:
        """The same problems as records: the file, and the line or the place in the document."""
        if self.line is not None:
            return [Problem(what, file=self.path, line=self.line, at=self.at) for _, what in self.located]
        return [Problem(what, file=self.path, at=where or None) for where, what in self.located]


def _refuse(where: str, what: str) -> ProjectFileError:
    return ProjectFileError(f"{where}: {what}" if where else what, located=[(where, what)])


_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class _NodeModel(BaseModel):
    model_config = _STRICT
    id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    label: str = Field(max_length=200)
    params: dict[str, Any] = {}
    position: list[float] = Field(default=[0.0, 0.0], min_length=2, max_length=2)


class _EdgeModel(BaseModel):
    model_config = _STRICT
    src: str
    src_port: str
    dst: str
    dst_port: str


class _GroupModel(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    nodes: list[_NodeModel] = []
    edges: list[_EdgeModel] = []


class _ProjectModel(BaseModel):
    model_config = _STRICT
    format: Literal["torchcanvas"]
    version: int
    name: str = "untitled"
    description: str = ""
    nodes: list[_NodeModel] = []
    edges: list[_EdgeModel] = []
    groups: list[_GroupModel] = []
    code: dict[str, str] = {}
    recipe: dict[str, Any] = {}
    ui: dict[str, Any] = {}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_sorted(v) for v in value]
    return value


def _node_to_dict(n: Node) -> dict[str, Any]:
    return {"id": n.id, "type": n.type, "label": n.label, "params": _sorted(n.params),
            "position": [float(n.position[0]), float(n.position[1])]}


def _edge_to_dict(e: Edge) -> dict[str, Any]:
    return {"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}


def to_dict(doc: Document) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": doc.name,
        "description": doc.description,
        "nodes": [_node_to_dict(n) for n in doc.graph.nodes.values()],
        "edges": [_edge_to_dict(e) for e in doc.graph.edges],
        "groups": [
            {"name": g.name, "description": g.description,
             "nodes": [_node_to_dict(n) for n in g.graph.nodes.values()],
             "edges": [_edge_to_dict(e) for e in g.graph.edges]}
            for g in doc.groups.values()
        ],
        "code": dict(doc.code),
        "recipe": _sorted(doc.recipe),
        "ui": _sorted(doc.ui),
    }


def dumps(doc: Document) -> str:
    return json.dumps(to_dict(doc), indent=2, ensure_ascii=False) + "\n"


def _graph(nodes: list[_NodeModel], edges: list[_EdgeModel]) -> Graph:
    g = Graph()
    for n in nodes:
        g.nodes[n.id] = Node(n.id, n.type, n.label, dict(n.params), (n.position[0], n.position[1]))
    g.edges = [Edge(e.src, e.src_port, e.dst, e.dst_port) for e in edges]
    return g


def _check_ids(model: _ProjectModel) -> list[Located]:
    problems: list[Located] = []
    seen: dict[str, str] = {}
    places = [("nodes", model.nodes)] + [(f"groups[{k}].nodes", g.nodes) for k, g in enumerate(model.groups)]
    for where, nodes in places:
        for k, n in enumerate(nodes):
            if n.id in seen:
                problems.append((f"{where}[{k}].id", f"node id {n.id!r} is already used at {seen[n.id]}"))
            else:
                seen[n.id] = f"{where}[{k}]"
    names: set[str] = set()
    for k, g in enumerate(model.groups):
        if g.name in names:
            problems.append((f"groups[{k}].name", f"a group named {g.name!r} is defined twice"))
        names.add(g.name)
    return problems


def _check_types(model: _ProjectModel, registry: Registry) -> list[Located]:
    problems: list[Located] = []
    places = [("nodes", model.nodes)] + [(f"groups[{k}].nodes", g.nodes) for k, g in enumerate(model.groups)]
    for where, nodes in places:
        for k, n in enumerate(nodes):
            spec = registry.get(n.type)
            if spec is None:
                problems.append((f"{where}[{k}].type", f"unknown node type {n.type!r}"))
                continue
            for p in spec.params:
                if p.name in n.params:
                    message = check_value(p, n.params[p.name])
                    if message:
                        problems.append((f"{where}[{k}].params.{p.name}", message))
    return problems


def from_dict(data: Any, registry: Registry | None = None) -> Document:
    """Builds a document from parsed JSON; raises ProjectFileError naming each problem's path."""
    if not isinstance(data, dict):
        raise _refuse("", f"expected a JSON object at the top level, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise _refuse("format", f"expected \"{FORMAT}\", got {data.get('format')!r} "
                                "(this is not a TorchCanvas project)")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _refuse("version", f"expected a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise _refuse("version", f"this file was written by a newer TorchCanvas (format version {version}); "
                                 f"this one reads up to version {FORMAT_VERSION}. Update TorchCanvas to open it.")
    try:
        model = _ProjectModel.model_validate(data)
    except ValidationError as exc:
        located = [(path, message[:300]) for path, message in field_errors(exc, _ProjectModel)]
        raise ProjectFileError("the project file has invalid content", located=located) from None
    problems = _check_ids(model)
    if registry is not None:
        problems += _check_types(model, registry)
    if problems:
        raise ProjectFileError("the project file has invalid content", located=problems)
    doc = Document(name=model.name, description=model.description, graph=_graph(model.nodes, model.edges))
    doc.groups = {g.name: GroupDef(g.name, _graph(g.nodes, g.edges), g.description) for g in model.groups}
    doc.code = dict(model.code)
    doc.recipe = dict(model.recipe)
    doc.ui = dict(model.ui)
    return doc


def loads(text: str | bytes, registry: Registry | None = None) -> Document:
    """Parses a project; NaN/Infinity, duplicate keys and absurd numbers are refused with path and line."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")  # a byte-order mark is fine
        data = loads_strict(text)
    except UnicodeDecodeError as exc:
        raise _refuse(f"byte {exc.start}", "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where, what = f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}"
        raise ProjectFileError(f"{what} ({where})", [f"{what} ({where})"], located=[(where, what)],
                               line=exc.lineno, at=f"column {exc.colno}") from None
    except StrictJSONError as exc:
        raise ProjectFileError(str(exc), [str(exc)], located=[(f"{exc.path}, line {exc.line}", exc.what)],
                               line=exc.line, at=exc.path or None) from None
    except RecursionError:
        raise _refuse("", "JSON nested too deeply") from None
    where = _lone_surrogate(data)
    if where is not None:  # "\ud800" is valid JSON but no UTF-8 file, source or label can hold it
        raise _refuse(where, "holds a lone UTF-16 surrogate escape (\\udXXX), which is not text")
    try:
        return from_dict(data, registry)
    except RecursionError:
        raise _refuse("", "JSON nested too deeply") from None


def _lone_surrogate(value: Any, path: str = "") -> str | None:
    """The document path of the first string (key or value) that cannot be encoded as UTF-8."""
    stack = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return path or "(top level)"
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, path))
                stack.append((item, f"{path}.{key}" if path else str(key)))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{k}]") for k, item in enumerate(value))
    return None


def load(path: str | Path, registry: Registry | None = None) -> Document:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectFileError(f"cannot read the file: {exc.strerror}", path=path,
                               located=[("", f"cannot read the file: {exc.strerror}")]) from None
    try:
        return loads(raw, registry)
    except ProjectFileError as exc:
        exc.path = str(path)
        exc.args = (f"{path}: {exc.args[0]}",)
        raise


def save(doc: Document, path: str | Path) -> None:
    """Writes atomically, keeping the previous file as NAME.bak (also written atomically).

    A kill at any moment leaves NAME either old or new and NAME.bak either
    the older backup or the previous file, each complete; temporary files of
    a killed save are removed by the next one. The file gets the person's
    umask (or keeps the mode it had), not the 0600 of a temporary file.
    """
    path = Path(path)
    data = dumps(doc).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        keep_copy_atomic(path, path.with_name(path.name + ".bak"))
    write_bytes_atomic(path, data)
