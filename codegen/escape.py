"""Project text on its way into generated source.

Every string from a project file that reaches generated source passes
through here.
"""

from __future__ import annotations

DOCSTRING_WIDTH = 76


def wrap(text: str, width: int = DOCSTRING_WIDTH) -> list[str]:
    out: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        out.append(line)
    return out


def docstring(text: str) -> list[str]:
    """A class docstring that stays within 88 columns once indented."""
    text = text.replace(chr(34) * 3, chr(39) * 3)
    if len(text) <= 74:
        return [chr(34) * 3 + text + chr(34) * 3]
    lines = wrap(text, 76)
    return [chr(34) * 3 + lines[0], *lines[1:], chr(34) * 3]
