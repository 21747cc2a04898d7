"""A small registry and a document that uses every feature of the format."""

from graph import Document, Edge, Graph, GroupDef, Node, NodeSpec, ParamSpec, PortSpec, Registry
from graph.registry import STRUCTURAL

LINEAR = NodeSpec("Linear", "Linear", inputs=(PortSpec("x"),), params=(
    ParamSpec("in_features", "int", None, min=1, optional=True),
    ParamSpec("out_features", "int", 64, min=1),
    ParamSpec("bias", "bool", True),
), target="nn.Linear")
CONV = NodeSpec("Conv2d", "Convolution", inputs=(PortSpec("x"),), params=(
    ParamSpec("out_channels", "int", 16, min=1),
    ParamSpec("kernel_size", "ints", (3, 3), min=1),
    ParamSpec("padding_mode", "enum", "zeros", choices=("zeros", "reflect")),
    ParamSpec("momentum", "float", 0.1, min=0, max=1),
), target="nn.Conv2d")
RELU = NodeSpec("ReLU", "Activation", inputs=(PortSpec("x"),), target="nn.ReLU")
ADD = NodeSpec("Add", "Merge", inputs=(PortSpec("xs", multi=True),), target="+")
CPLX = NodeSpec("Abs", "Complex", inputs=(PortSpec("x", dtype="complex"),),
                outputs=(PortSpec("out", "out", dtype="real"),), target="torch.abs")
TOC = NodeSpec("ToComplex", "Complex", inputs=(PortSpec("x", dtype="real"),),
               outputs=(PortSpec("out", "out", dtype="complex"),), target="torch.complex")


def registry() -> Registry:
    return Registry([*STRUCTURAL, LINEAR, CONV, RELU, ADD, CPLX, TOC])


def full_document() -> Document:
    doc = Document(name="sample", description="every feature")
    inner = GroupDef("inner", Graph(
        nodes={
            "g1": Node("g1", "Input", "x", {}, (0, 0)),
            "g2": Node("g2", "Linear", "fc", {"out_features": 8}, (100, 0)),
            "g3": Node("g3", "Output", "y", {}, (200, 0)),
        },
        edges=[Edge("g1", "out", "g2", "x"), Edge("g2", "out", "g3", "x")],
    ), "a linear layer")
    outer = GroupDef("outer", Graph(
        nodes={
            "h1": Node("h1", "Input", "x", {}, (0, 0)),
            "h2": Node("h2", "Group", "inner", {"group": "inner", "repeat": 1}, (100, 0)),
            "h3": Node("h3", "ReLU", "act", {}, (200, 0)),
            "h4": Node("h4", "Output", "y", {}, (300, 0)),
        },
        edges=[Edge("h1", "out", "h2", "x"), Edge("h2", "y", "h3", "x"), Edge("h3", "out", "h4", "x")],
    ))
    doc.groups = {"inner": inner, "outer": outer}
    doc.graph = Graph(
        nodes={
            "n1": Node("n1", "Input", "x", {"shape": [8], "dtype": "float32"}, (0.0, 0.0)),
            "n2": Node("n2", "Linear", "fc1", {"out_features": 8, "bias": False}, (150.0, 0.0)),
            "n3": Node("n3", "Group", "blocks", {"group": "outer", "repeat": 3}, (300.0, 0.0)),
            "n4": Node("n4", "Add", "add", {}, (450.0, 0.0)),
            "n5": Node("n5", "Code", "custom", {"code": "scale", "factor": 2.0}, (600.0, 0.0)),
            "n6": Node("n6", "Output", "y", {}, (750.0, 0.0)),
        },
        edges=[
            Edge("n1", "out", "n2", "x"), Edge("n2", "out", "n3", "x"), Edge("n3", "y", "n4", "xs"),
            Edge("n2", "out", "n4", "xs"), Edge("n4", "out", "n5", "x"), Edge("n5", "out", "n6", "x"),
        ],
    )
    doc.code = {"scale": "import torch\nfrom torch import nn\n\n\nclass Scale(nn.Module):\n"
                         "    def __init__(self, factor=1.0):\n        super().__init__()\n"
                         "        self.factor = factor\n\n    def forward(self, x):\n"
                         "        return x * self.factor\n"}
    doc.recipe = {"dataset": {"name": "digits"}, "epochs": 3, "optimizer": {"name": "adam", "lr": 0.001}}
    doc.ui = {"zoom": 1.0, "center": [0, 0]}
    return doc
