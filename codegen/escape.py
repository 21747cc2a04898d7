"""Project text on its way into generated source: the one escaping function.

Generated source is executed, and project files come from strangers, so every
string from a project that reaches the text — the project's name and
description, node labels, group names and descriptions, code entry names,
parameter strings, dataset paths — passes through `escape`, which knows the
few places such text can land:

* ``"docstring"``: the inside of a triple-quoted string. Backslashes are
  doubled and every double quote is escaped, so nothing can close the
  docstring or start an escape sequence; characters that are not printable
  (controls, surrogates, line separators) become ``\\x``/``\\u`` escapes;
  newlines stay (multi-line descriptions read as written).
* ``"comment"``: one line after ``#``; newlines and other unprintables are
  escaped, so nothing can start a new statement.
* ``"literal"``: a complete Python string literal (``repr``, which escapes
  quotes, backslashes and unprintables).
* ``"identifier"``: a name for a variable or attribute: NFKC-normalised (the
  form Python itself compares identifiers in, so ``ﬁ`` and ``fi`` are one
  name — uniqueness is decided after this), every character that cannot
  continue an identifier replaced by ``_``, lower case, never a keyword, never
  starting with a digit, checked with ``str.isidentifier``.
* ``"class"``: a CamelCase class name from the same normalised words, never
  a keyword (``None``, ``True``), a builtin (``Exception``) or a name the
  generated module's top level uses (``F``, ``TORCHCANVAS``): those get the
  default as a suffix (``NoneModel``), since a class statement would shadow or
  break them.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from typing import Literal

Context = Literal["docstring", "comment", "literal", "identifier", "class"]

#: Top-level names of every generated module (its imports and the metadata block, `codegen.metadata.NAME`).
MODULE_NAMES = frozenset({"torch", "nn", "F", "math", "TORCHCANVAS"})
#: What a class name must not be.
CLASS_RESERVED = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | MODULE_NAMES


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _docstring_text(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n" or ch.isprintable():
            out.append(ch)
        else:
            out.append(_escape_char(ch))
    return "".join(out)


def _comment_text(text: str) -> str:
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in text)


#: The runs `_words` finds in ASCII text (its letters and digits; NFKC leaves ASCII as it is).
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def _words(text: str) -> list[str]:
    """NFKC-normalised runs of identifier characters."""
    if text.isascii():  # every label the compiler names a layer or variable by, in the common case: one C call
        return _ASCII_WORD.findall(text)
    return _unicode_words(text)


def _unicode_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    words, word = [], []
    for ch in text:
        if ("_" + ch).isidentifier() and ch != "_":
            word.append(ch)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    # NFKC again: a lone character may normalise to something else once split off
    return [unicodedata.normalize("NFKC", w) for w in words if w]


def _identifier(text: str) -> str:
    name = "_".join(_words(text)).lower()
    name = unicodedata.normalize("NFKC", name)  # lower() can leave a non-normalised form
    if not name:
        return "node"
    if not name[0].isidentifier():  # a digit (or a mark) cannot start a name
        name = f"n_{name}"
    if keyword.iskeyword(name) or not name.isidentifier():
        name = f"{name}_node" if name.isidentifier() or (name + "_node").isidentifier() else "node"
    return name


def _class(text: str, default: str) -> str:
    words = [w for w in re.split(r"[^0-9A-Za-z]+", "_".join(_words(text))) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or name.lower() == "untitled":
        return default
    if name[0].isdigit():
        name = f"{default}{name}"
    if name in CLASS_RESERVED:
        name = f"{name}{default}"
    return name


def escape(text: str, context: Context, default: str = "Model") -> str:
    """`text` made safe for one place in generated source (see the module docstring)."""
    if not isinstance(text, str):
        text = str(text)
    if context == "docstring":
        return _docstring_text(text)
    if context == "comment":
        return _comment_text(text)
    if context == "literal":
        return repr(text)
    if context == "identifier":
        return _identifier(text)
    if context == "class":
        return _class(text, default)
    raise ValueError(f"unknown context {context!r}")


DOCSTRING_WIDTH = 76


def wrap(text: str, width: int = DOCSTRING_WIDTH) -> list[str]:
    """Lines of at most `width` characters, breaking at spaces only (other whitespace is content)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        out.append(line)
    return out


def first_line(text: str) -> str:
    """The first line of a description (only a real newline ends it)."""
    return text.strip().split("\n")[0].strip()


def docstring(text: str) -> list[str]:
    """A class docstring (escaped) that stays within 88 columns once indented."""
    if len(text) <= 74:
        return ['"""' + escape(text, "docstring") + '"""']
    lines = [escape(line, "docstring") for line in wrap(text, DOCSTRING_WIDTH)]
    return ['"""' + lines[0], *lines[1:], '"""']
