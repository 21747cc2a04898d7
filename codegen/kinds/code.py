"""A Code node in the compiler: the user's class or function, pasted verbatim.

Inference runs the entry (compiled on its own as `<code NAME>`, so an error
names the entry and the line) only when the project is trusted; otherwise the
node and everything after it are skipped, which is not an error.
"""

from __future__ import annotations

from typing import Any

import torch

from codegen.kinds.base import CompilerKind
from codegen.kinds.layer import weight_bytes, weight_shapes
from codegen.render import literal
from codegen.runs import NodeFailed, SkipNode
from codegen.shapes import InferCall
from codegen.usercode import describe_user_error, load_entry, user_error_line
from codegen.writer import ScopeWriter
from graph import kinds
from graph.codeinfo import CodeEntryError, read_code
from graph.document import Node


def on_cpu(obj: Any, kind: str, kwargs: dict[str, Any], args: list[Any]) -> Any:
    """Runs trusted code on zeros on the CPU (an imported module kept whole may branch on values)."""
    def real(t: Any) -> Any:
        return torch.zeros(t.shape, dtype=t.dtype) if isinstance(t, torch.Tensor) else t

    def meta(t: Any) -> Any:
        if isinstance(t, torch.Tensor):
            return torch.empty(t.shape, dtype=t.dtype, device="meta")
        if isinstance(t, (tuple, list)):
            return type(t)(meta(v) for v in t)
        return t

    with torch.no_grad():
        real_args = [real(a) for a in args]
        result = obj(**kwargs)(*real_args) if kind == "module" else obj(*real_args, **kwargs)
    return meta(result)


class Code(kinds.CodeKind, CompilerKind):
    def infer(self, call: InferCall) -> dict[str, Any]:
        node, runner = call.node, call.runner
        entry = self.entry(node)
        source = runner.doc.code.get(entry)
        if source is None:
            raise NodeFailed(f"code entry {entry!r} does not exist", param="code")
        if not runner.trusted:
            raise SkipNode
        key = f"{entry}\0{source}"
        try:
            if key not in runner.code_cache:
                runner.code_cache[key] = load_entry(entry, source)
        except CodeEntryError as exc:
            raise NodeFailed(f"code entry {entry!r}: {exc.reason}", param="code", file=f"code {entry}",
                             line=exc.line) from None
        obj, info = runner.code_cache[key]
        kwargs = {k: node.params.get(k, v) for k, v in info.params.items()}
        call.run.params = {"code": entry, **kwargs}
        args = []
        for name in info.inputs:
            if name not in call.ins:
                raise NodeFailed(f"input {name!r} is not connected")
            args.append(call.ins[name][0])
        try:
            with torch.device("meta"):
                if info.kind == "module":
                    module = obj(**kwargs)
                    call.run.weight_bytes = weight_bytes(module)
                    call.run.weights = weight_shapes(module)
                    result = module(*args)
                else:
                    result = obj(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - user code: report it with its line
            try:  # code that reads tensor values (data-dependent branches) cannot run on meta
                result = on_cpu(obj, info.kind, kwargs, args)
            except Exception:  # noqa: BLE001 - the meta-device failure is the clearer report
                raise NodeFailed(describe_user_error(exc, entry), file=f"code {entry}",
                                 line=user_error_line(exc, entry)) from None
        return {"out": result}

    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        entry = self.entry(node)
        info = read_code(w.doc.code[entry])
        w.module.code_used[entry] = info.name
        call_args = ", ".join(
            f"{k}={literal(node.params.get(k, default))}" for k, default in info.params.items()
            if k in info.required_params or (k in node.params and node.params[k] != default))
        args = ", ".join(ins[p][0] for p in info.inputs if p in ins)
        var = w.variable(node)
        w.bind(node, "out", var)
        if info.kind == "module":
            attr = w.attribute(node)
            w.init.append(f"self.{attr} = {info.name}({call_args})")
            w.body.append(f"{var} = self.{attr}({args}){w.comment(node)}")
        else:
            extra = f", {call_args}" if call_args else ""
            w.body.append(f"{var} = {info.name}({args}{extra}){w.comment(node)}")


CODE = Code(kinds.CODE.spec)
