"""VectorStore's error handling around an embedded Chroma that another process is writing."""

from __future__ import annotations

import pytest

from retrieval.errors import ExecbotError
from retrieval.store.vectors import VectorStore


class _Flaky:
    """A collection whose count fails with `message` the first `failures` times."""

    def __init__(self, message: str, failures: int) -> None:
        self.message, self.failures, self.calls = message, failures, 0

    def count(self) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(self.message)
        return 7


@pytest.fixture
def store(tmp_path, monkeypatch):
    vs = VectorStore(tmp_path / "chroma")
    monkeypatch.setattr(vs, "_reopen_embedded", lambda: None)
    return vs


def test_a_reader_that_races_a_writers_flush_reopens_and_reads(store, monkeypatch):
    # Seen in CI: `execbot stats` while an ingest in another process flushes its HNSW segment.
    flaky = _Flaky("Error executing plan: Error sending backfill request to compactor: "
                   "Failed to apply logs to the hnsw segment writer", failures=1)
    monkeypatch.setattr(store, "collection", lambda: flaky)
    assert store.count() == 7 and flaky.calls == 2


@pytest.mark.parametrize(("message", "failures", "calls"), [
    ("Failed to apply logs to the hnsw segment writer", 5, 2),  # lasting: a clear error, not a loop
    ("disk I/O error", 1, 1),  # not a stale view: not retried
])
def test_errors_that_a_reopen_does_not_cure_are_clear_errors(store, monkeypatch, message, failures, calls):
    flaky = _Flaky(message, failures=failures)
    monkeypatch.setattr(store, "collection", lambda: flaky)
    with pytest.raises(ExecbotError, match=f"vector count failed.*{message}"):
        store.count()
    assert flaky.calls == calls
