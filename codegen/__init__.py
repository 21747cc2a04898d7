"""Graph → PyTorch: the layer catalogue, shape inference, the compiler, exporters."""

from codegen.compiler import (
    Compiled,
    build_from_compiled,
    build_module,
    compile_document,
    compile_to_source,
)
from codegen.errors import CompileError
from codegen.shapes import Inference, TensorInfo, infer_shapes

__all__ = [
    "CompileError", "Compiled", "Inference", "TensorInfo", "build_from_compiled", "build_module",
    "compile_document", "compile_to_source", "infer_shapes",
]
