"""The graph document: pure data, no torch and no Qt."""

from graph.document import ROOT, Document, Edge, Graph, GroupDef, Node
from graph.edits import MISSING, Edit, EditError, apply
from graph.fileformat import FORMAT_VERSION, ProjectFileError, load, loads, save
from graph.problems import Problem, ProblemError
from graph.registry import Registry, base_registry
from graph.spec import NodeSpec, ParamSpec, PortSpec
from graph.validate import can_connect, topological_order, validate

__all__ = [
    "FORMAT_VERSION", "MISSING", "ROOT", "Document", "Edge", "Edit", "EditError", "Graph", "GroupDef",
    "Node", "NodeSpec", "ParamSpec", "PortSpec", "Problem", "ProblemError", "ProjectFileError", "Registry", "apply", "base_registry",
    "can_connect", "load", "loads", "save", "topological_order", "validate",
]
