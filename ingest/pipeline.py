"""The ingest job: walk sources, parse, resolve executives, write the index incrementally."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.formats import detect, is_skippable_name, parse, parse_bytes
from ingest.formats.base import FormatError, Issue, Record
from ingest.lock import write_lock
from ingest.resolve import Resolver, record_to_digest, record_to_doc
from retrieval.models import Doc
from retrieval.store.index import Index, WriteResult
from retrieval.store.registry import Registry

log = logging.getLogger(__name__)

BATCH = 1024


@dataclass
class IngestOptions:
    fmt: str = "auto"
    author: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    rebuild: bool = False
    wait: bool = True  # wait for another writer's lock, or fail at once
    fetch_timeout: float = 20.0


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    embedded: int = 0
    seconds: float = 0.0
    errors: list[Issue] = field(default_factory=list)
    records: int = 0  # records read (posts + digests)
    files: int = 0
    new_executives: list[str] = field(default_factory=list)
    repaired: dict[str, int] = field(default_factory=dict)

    def add(self, res: WriteResult) -> None:
        self.added += res.added
        self.updated += res.updated
        self.unchanged += res.unchanged
        self.embedded += res.embedded

    @property
    def exit_code(self) -> int:
        """0: all went in; 2: some records were skipped; 1: nothing could be read."""
        if self.errors and self.records == 0:
            return 1
        return 2 if self.errors else 0

    def to_json(self) -> dict:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
            "skipped": self.skipped, "embedded": self.embedded, "seconds": round(self.seconds, 3),
            "errors": [e.to_json() for e in self.errors],
            "records": self.records, "files": self.files, "new_executives": self.new_executives,
            "repaired": self.repaired,
        }


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def iter_files(source: Path, report: IngestReport) -> Iterator[Path]:
    """A file, or every file under a directory (recursively, in a stable order)."""
    if source.is_dir():
        for p in sorted(source.rglob("*")):
            rel = p.relative_to(source)
            if p.is_file() and not any(part.startswith(".") for part in rel.parts) and not is_skippable_name(p):
                yield p
    elif source.exists():
        yield source
    else:
        report.errors.append(Issue(str(source), None, "no such file or directory"))


def iter_records(sources: Iterable[str], opts: IngestOptions, report: IngestReport) -> Iterator[Record]:
    """Every record of every source; bad records and unreadable files go into the report."""
    from ingest.fetch import fetch_url

    for src in sources:
        if is_url(src):
            try:
                data = fetch_url(src, timeout=opts.fetch_timeout)
                items: Iterable[Record | Issue] = parse_bytes(data, src, opts.fmt, opts.mapping)
                report.files += 1
                yield from _collect(items, report)
            except FormatError as exc:
                report.errors.append(Issue(src, None, str(exc)))
            continue
        root = Path(src)
        walking = root.is_dir()
        for path in iter_files(root, report):
            try:
                if opts.fmt == "auto" and walking and detect(path) is None:
                    continue  # a companion file (note-tweet.js, users.csv) read with its main file
                report.files += 1
                yield from _collect(parse(path, opts.fmt, opts.mapping), report)
            except FormatError as exc:
                report.errors.append(Issue(str(path), None, str(exc)))
            except OSError as exc:
                report.errors.append(Issue(str(path), None, f"cannot read: {exc.strerror or exc}"))


def _take(records: Iterator[Record], n: int) -> list[Record]:
    return list(itertools.islice(records, n))


def _collect(items: Iterable[Record | Issue], report: IngestReport) -> Iterator[Record]:
    for item in items:
        if isinstance(item, Issue):
            report.errors.append(item)
            report.skipped += 1
        else:
            report.records += 1
            yield item


class Progress:
    """A one-line progress counter on a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.done = 0
        self.t0 = time.monotonic()

    def __call__(self, n: int) -> None:
        self.done += n
        if self.enabled:
            sys.stderr.write(f"\r  ingested {self.done:,} records in {time.monotonic() - self.t0:,.1f}s")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\n")


async def load_registry(index: Index) -> Registry:
    """The registry file plus the executives earlier runs learned from data."""
    return Registry.load(index.settings.registry_path, extra=await index.store.executives())


async def ingest(
    sources: list[str], opts: IngestOptions | None = None, index: Index | None = None,
    progress: Callable[[int], None] | None = None, under_lock: Callable[[], None] | None = None,
) -> IngestReport:
    """Run one ingest. Holds the data directory's write lock for the whole run; `under_lock` is called
    once the lock is held, before anything is opened, and may raise to give up (see ingest.handoff)."""
    opts = opts or IngestOptions()
    index = index or Index()
    own_index = index.store.db is None  # open (and close) it here unless the caller holds it open
    report = IngestReport()
    t0 = time.monotonic()
    with write_lock(index.data_dir, wait=opts.wait):
        if under_lock is not None:
            under_lock()
        if own_index:
            await index.open()
        try:
            await _run(sources, opts, index, report, progress)
        finally:
            report.seconds = time.monotonic() - t0
            if own_index:
                await index.close()
    return report


async def _run(sources: list[str], opts: IngestOptions, index: Index, report: IngestReport,
               progress: Callable[[int], None] | None) -> None:
    run_id = await index.store.start_run(sources, int(time.time()))
    if opts.rebuild:
        report.embedded += await index.rebuild()
    else:
        await index.check_model()
        report.repaired = await index.repair()
    registry = await load_registry(index)
    resolver = Resolver(registry, author=opts.author)
    batch: list[Doc] = []
    records = iter_records(sources, opts, report)
    async with index.writer(progress) as writer:
        # Parsing (and fetching feeds) is blocking code: it runs in a worker thread, a batch of records at
        # a time, so that the bot, which runs its ingests on its own event loop, keeps answering meanwhile.
        while chunk := await asyncio.to_thread(_take, records, BATCH):
            for rec in chunk:
                ex = resolver.executive_for(rec)
                if rec.is_digest:
                    await writer.flush()  # one encode at a time: the model is not shared across threads
                    digest, chunks = record_to_digest(rec, ex)
                    report.add(await index.write_digest(digest, chunks))
                    continue
                batch.append(record_to_doc(rec, ex))
                if len(batch) >= BATCH:
                    await writer.add(batch)
                    batch = []
        if batch:
            await writer.add(batch)
    report.add(writer.result)
    for key in resolver.added:
        await index.store.upsert_executive(registry.executives[key])
    for known in registry.executives.values():
        if known.origin == "registry":
            await index.store.upsert_executive(known)
    await index.store.conn.commit()
    report.new_executives = resolver.added
    await index.store.finish_run(run_id, report.to_json(), int(time.time()))
