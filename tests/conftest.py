"""Shared fixtures. Tests never reach a model hub: the bundled model loads from site-packages."""

from __future__ import annotations

from pathlib import Path

import pytest

import retrieval  # noqa: F401  (sets the offline environment before any model library loads)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
CORPORA = ROOT.parent / "shared" / "corpora"


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is absent")
    return CORPORA


def settings_for(data_dir: Path, **extra: object):
    from retrieval.settings import RetrievalSettings

    return RetrievalSettings(EXECBOT_DATA_DIR=data_dir, **extra)


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory):
    """An index built once from data/sample with the real bundled model, 'now' pinned to 2025-06-02."""
    import asyncio

    from ingest.pipeline import IngestOptions, ingest
    from retrieval.store.index import Index

    settings = settings_for(tmp_path_factory.mktemp("sample-index"), EXECBOT_NOW="2025-06-02")
    report = asyncio.run(ingest([str(SAMPLE)], IngestOptions(), index=Index(settings)))
    assert report.errors == [], report.errors
    return settings


@pytest.fixture
async def engine(sample_settings):
    from retrieval.engine import Engine

    async with Engine(sample_settings) as e:
        yield e


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """What the fuzz and fault tests tried (tests/reports.py), once, after every test has run."""
    from tests.reports import REPORTS

    filled = {title: figures for title, figures in REPORTS.items() if any(figures.values())}
    if not filled:
        return
    terminalreporter.section("inputs tried")
    for title, figures in filled.items():
        total = sum(v for v in figures.values() if isinstance(v, int))
        terminalreporter.write_line(f"{title}: {figures}" + (f" (total {total})" if total else ""))
