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


def test_a_failure_that_lasts_is_a_clear_error_not_a_loop(store, monkeypatch):
    flaky = _Flaky("Failed to apply logs to the hnsw segment writer", failures=5)
    monkeypatch.setattr(store, "collection", lambda: flaky)
    with pytest.raises(ExecbotError, match="vector count failed"):
        store.count()
    assert flaky.calls == 2


def test_other_errors_are_not_retried(store, monkeypatch):
    flaky = _Flaky("disk I/O error", failures=1)
    monkeypatch.setattr(store, "collection", lambda: flaky)
    with pytest.raises(ExecbotError, match="disk I/O error"):
        store.count()
    assert flaky.calls == 1
