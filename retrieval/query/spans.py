"""Cutting recognised phrases (a name, a time phrase, boilerplate) out of a question, and tidying
what is left: shared by parse.py and timeparse.py."""

from __future__ import annotations

import re

__all__ = ["remove_span", "tidy"]


def remove_span(text: str, start: int, end: int) -> str:
    """Cut text[start:end] out, keeping one space between Latin words but none between CJK."""
    left, right = text[:start], text[end:]
    if left and right and not (left[-1].isspace() or right[0].isspace()) and (left[-1] + right[0]).isascii():
        return left + " " + right
    return left + right


def tidy(text: str) -> str:
    """Collapse whitespace, and drop the space a cut leaves before punctuation."""
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([?!.,;:，。？！；：])", r"\1", text)
