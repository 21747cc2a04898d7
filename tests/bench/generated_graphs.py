"""Large generated graphs for compiler benchmarks: long chains and wide DAGs."""

from __future__ import annotations

from graph.builder import Builder


def chain(n: int, width: int = 32) -> Builder:
    """Input → (Linear, ReLU) pairs → Output: n nodes in all."""
    b = Builder(f"chain {n}")
    h = b.input("x", [width])
    for k in range((n - 2) // 2):
        h = b.add("Linear", h, f"fc{k}", out_features=width)
        h = b.add("ReLU", h, f"act{k}")
    b.output(h, "y")
    return b


def wide(n: int, width: int = 16, branches: int = 8) -> Builder:
    """Branches of Linear→Tanh joined by Add, stage after stage (a wide DAG)."""
    b = Builder(f"wide {n}")
    b.use_registry(__import__("codegen.catalogue", fromlist=["registry"]).registry())
    h = b.input("x", [width])
    made, stage = 2, 0
    while made + 2 * branches + 1 <= n:
        outs = [b.add("Tanh", b.add("Linear", h, f"s{stage}_fc{k}", out_features=width), f"s{stage}_act{k}")
                for k in range(branches)]
        h = b.add("Add", outs, f"s{stage}_sum")
        made += 2 * branches + 1
        stage += 1
    b.output(h, "y")
    return b
