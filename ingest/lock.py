"""One writer at a time per data directory, across processes (CLI ingest, the bot's re-ingest)."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from retrieval.errors import ExecbotError

# Who holds the lock, written next to it (filelock truncates the lock file itself on every attempt).
HOLDER_FILE = "write.lock.holder"


class LockedError(ExecbotError, RuntimeError):
    """Another process is writing this index."""


def describe_holder(data_dir: Path) -> str:
    """'the ingest started 09:21:05 by pid 1234 (`execbot ingest big.csv`)', or '' when unknown."""
    try:
        info = json.loads((data_dir / HOLDER_FILE).read_text(encoding="utf-8"))
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(info["started"])))
        cmd = " ".join(str(a) for a in info.get("argv", []))[:120]
        where = f" on {info['host']}" if info.get("host") and info["host"] != socket.gethostname() else ""
        return f" (pid {int(info['pid'])}{where}, started {started}: `{cmd}`)"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _record_holder(data_dir: Path) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
            "argv": [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []}
    with suppress(OSError):  # best effort: the lock itself is what matters
        (data_dir / HOLDER_FILE).write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")


@contextmanager
def write_lock(data_dir: Path, wait: bool = True, timeout: float = -1) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(data_dir / "write.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = describe_holder(data_dir)
        if not wait:
            raise LockedError(
                f"another ingest is writing {data_dir}{holder}; try again when it finishes (or pass --wait)"
            ) from None
        print(f"waiting for another ingest to finish writing {data_dir}{holder}…", file=sys.stderr, flush=True)
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise LockedError(
                f"gave up after {timeout:g}s waiting for another ingest writing {data_dir}{holder}"
            ) from None
    _record_holder(data_dir)
    try:
        yield
    finally:
        with suppress(OSError):
            (data_dir / HOLDER_FILE).unlink()
        lock.release()
