"""Figures that tests collect as they run (inputs tried, fault outcomes), printed once in pytest's
terminal summary by tests/conftest.py, so that no test exists only to print and none depends on order."""

from __future__ import annotations

from typing import Any

REPORTS: dict[str, dict[str, Any]] = {}


def report(title: str, figures: dict[str, Any]) -> dict[str, Any]:
    """Register `figures` (filled in by the tests) to be printed under `title` at the end of the run."""
    REPORTS[title] = figures
    return figures
