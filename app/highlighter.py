"""Python syntax highlighting for the code view and the code-node editor."""

from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Bold)
    f.setFontItalic(italic)
    return f


RULES = [
    (re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b"), _fmt("#c792ea", bold=True)),
    (re.compile(r"\b(self|True|False|None)\b"), _fmt("#f78c6c")),
    (re.compile(r"\b(torch|nn|math)\b"), _fmt("#82aaff")),
    (re.compile(r"\b\d+(\.\d+)?([eE][-+]?\d+)?\b"), _fmt("#f78c6c")),
    (re.compile(r"\bdef\s+(\w+)|\bclass\s+(\w+)"), _fmt("#ffcb6b", bold=True)),
    (re.compile(r"(\"[^\"\n]*\"|'[^'\n]*')"), _fmt("#c3e88d")),
    (re.compile(r"#[^\n]*"), _fmt("#6b7488", italic=True)),
]


class PythonHighlighter(QSyntaxHighlighter):
    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in RULES:
            for m in pattern.finditer(text):
                group = next((g for g in range(1, (m.lastindex or 0) + 1) if m.group(g)), 0) \
                    if pattern.pattern.startswith(r"\bdef") else 0
                self.setFormat(m.start(group), m.end(group) - m.start(group), fmt)
        # docstrings and multi-line strings
        self.setCurrentBlockState(0)
        start = 0 if self.previousBlockState() == 1 else -1
        if start == -1:
            idx = text.find('"""')
            if idx >= 0:
                end = text.find('"""', idx + 3)
                if end == -1:
                    self.setFormat(idx, len(text) - idx, _fmt("#c3e88d"))
                    self.setCurrentBlockState(1)
                else:
                    self.setFormat(idx, end + 3 - idx, _fmt("#c3e88d"))
        else:
            end = text.find('"""')
            if end == -1:
                self.setFormat(0, len(text), _fmt("#c3e88d"))
                self.setCurrentBlockState(1)
            else:
                self.setFormat(0, end + 3, _fmt("#c3e88d"))
