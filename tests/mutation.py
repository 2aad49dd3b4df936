"""Byte-level damage for fuzz tests: flip, insert, delete, truncate or duplicate at a relative position."""

from __future__ import annotations


def mutate(data: bytes, muts: list[tuple[str, float, bytes]]) -> bytes:
    """Apply each (op, where in 0..1, junk bytes) in turn; `junk` also sizes delete and seeds flip."""
    b = bytearray(data)
    for op, where, junk in muts:
        i = min(int(where * len(b)), max(len(b) - 1, 0))
        if op == "flip" and b:
            b[i] ^= junk[0] or 0xFF
        elif op == "insert":
            b[i:i] = junk
        elif op == "delete":
            del b[i : i + len(junk)]
        elif op == "truncate":
            del b[i:]
        elif op == "dup":
            b[i:i] = b[max(0, i - 20) : i]
    return bytes(b)
