"""The base of every error execbot raises on purpose, so that front ends catch ours and nothing else."""

from __future__ import annotations


class ExecbotError(Exception):
    """An expected failure with a message fit for the user: a bad period, an unreachable store, a held lock."""
