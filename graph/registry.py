"""One registry of node types, shared by everything that reads specs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graph.kinds import structural_specs
from graph.spec import NodeSpec


class Registry:
    """A mapping type_id -> NodeSpec that refuses silent redefinition."""

    def __init__(self, specs: Iterable[NodeSpec] = ()) -> None:
        self._specs: dict[str, NodeSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: NodeSpec, *, replace: bool = False) -> NodeSpec:
        if spec.type_id in self._specs and not replace and self._specs[spec.type_id] != spec:
            raise ValueError(f"node type {spec.type_id!r} is already registered")
        self._specs[spec.type_id] = spec
        return spec

    def get(self, type_id: str) -> NodeSpec | None:
        return self._specs.get(type_id)

    def __getitem__(self, type_id: str) -> NodeSpec:
        try:
            return self._specs[type_id]
        except KeyError:
            raise KeyError(f"unknown node type {type_id!r}") from None

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._specs

    def __iter__(self) -> Iterator[NodeSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def categories(self) -> list[str]:
        return sorted({s.category for s in self._specs.values()})


#: The structural node types (their kinds live in graph.kinds); the layer
#: catalogue (codegen) adds the rest to a registry built from these.
STRUCTURAL: tuple[NodeSpec, ...] = structural_specs()


def base_registry() -> Registry:
    """A registry holding only the structural node types."""
    return Registry(STRUCTURAL)
