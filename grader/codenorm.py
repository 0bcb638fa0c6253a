"""Python source reduced to what a copy keeps: the token stream the similarity report
fingerprints (:mod:`grader.similarity`), with a map back to the source for highlighting.

Pygments' Python lexer splits the source into tokens; then

- comments, whitespace and docstrings are dropped (docstrings are boilerplate: the stub
  hands them out);
- every string literal becomes ``S``;
- a name the author chose becomes a placeholder, so renaming hides nothing: a variable,
  parameter or call of the author's own function becomes ``V``, a function definition's
  name ``F``, a class definition's name ``O``;
- a name the author did not choose keeps its text: an attribute (``.shape``, ``.sum``,
  ``.flip``: the API of torch), a builtin (``range``, ``len``, ``self``), a module name in an
  import, a dunder method (``__init__``, ``forward`` is a plain ``F``);
- keywords, operators, punctuation and numbers keep their text.

So ``kh, kw = K.shape`` and ``a, b = W.shape`` both read ``V,V=V.shape``, while a solution
built on ``.unfold`` reads differently from one built on two loops. Unlike copydetect's own
``filter_code`` (which turns every name, attributes included, into ``V``), the API calls stay
visible: in exercises this short they are most of what tells two solutions apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pygments.lexers import PythonLexer
from pygments.token import Comment, Name, String, Text, Token

_LEXER = PythonLexer(stripnl=False, ensurenl=False)
_KEPT_NAMES = (Name.Builtin, Name.Namespace, Name.Exception, Name.Decorator, Name.Function.Magic,
               Name.Variable.Magic)


@dataclass(frozen=True)
class Normalised:
    """A source and its normalised text; character ``i`` of ``text`` came from
    ``source[starts[i]:ends[i]]`` (the whole token it stands for)."""

    source: str
    text: str
    starts: np.ndarray  # int64, len(text)
    ends: np.ndarray  # int64, len(text)

    def source_spans(self, start: int, end: int) -> list[tuple[int, int]]:
        """The source ranges behind ``text[start:end]``: its tokens, joined across whitespace
        but not across what normalising dropped (comments, docstrings)."""
        spans: list[tuple[int, int]] = []
        for first, last in dict.fromkeys(zip(self.starts[start:end].tolist(), self.ends[start:end].tolist())):
            if spans and not self.source[spans[-1][1]:first].strip():
                spans[-1] = (spans[-1][0], last)
            else:
                spans.append((first, last))
        return spans


def _placeholder(kind: object, value: str, after_dot: bool) -> str | None:
    """What one token contributes to the normalised text; None: nothing."""
    if kind in String.Doc or kind in Comment or kind in Text or not value.strip():
        return None
    if any(kind in kept for kept in _KEPT_NAMES):
        return value
    if kind in Name.Function:
        return "F"
    if kind in Name.Class:
        return "O"
    if kind in Name:
        return value if after_dot else "V"
    return value


def normalise(source: str) -> Normalised:
    """``source`` (Python) as the token stream described in the module docstring."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    after_dot = in_string = False
    for offset, kind, value in _LEXER.get_tokens_unprocessed(source):
        end = offset + len(value)
        if kind in String and kind not in String.Doc and kind not in String.Interpol:
            if in_string:  # the rest of a literal already written as S
                ends[-1] = end
                continue
            in_string = True
            text = "S"
        else:
            text = _placeholder(kind, value, after_dot)
            if text is None:
                continue
            in_string = False
        pieces.append(text)
        starts += [offset] * len(text)
        ends += [end] * len(text)
        after_dot = value == "."
    return Normalised(source, "".join(pieces), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))
