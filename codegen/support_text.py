"""The helper definitions a generated module needs, as text."""

from __future__ import annotations


def support_text(names: list[str]) -> str:
    if not names:
        return ""
    from codegen.support import support_source

    return support_source(names).strip("\n")
