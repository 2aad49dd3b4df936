"""Fixtures for the robustness tests (helpers live in rbhelpers.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _try_mount(*args: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    """Mount points the test made; unmounted (lazily) at teardown."""
    made: list[Path] = []
    yield made
    for m in reversed(made):
        subprocess.run(["umount", "-l", str(m)], capture_output=True)


@pytest.fixture
def try_mount(mounts: list[Path]):
    def do(target: Path, *args: str) -> bool:
        target.mkdir(parents=True, exist_ok=True)
        ok = _try_mount(*args, str(target))
        if ok:
            mounts.append(target)
        return ok

    return do


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]
