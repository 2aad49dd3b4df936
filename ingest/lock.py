"""One writer at a time per data directory, across processes (CLI ingest, the bot's re-ingest)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class LockedError(RuntimeError):
    """Another process is writing this index."""


@contextmanager
def write_lock(data_dir: Path, wait: bool = True, timeout: float = -1) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(data_dir / "write.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise LockedError(
                f"another ingest is writing {data_dir}; try again when it finishes (or pass --wait)"
            ) from None
        print(f"waiting for another ingest to finish writing {data_dir}…", file=sys.stderr)
        lock.acquire(timeout=timeout)
    try:
        yield
    finally:
        lock.release()
