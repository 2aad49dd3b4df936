"""Re-ingest from the bot: which sources are allowed, and running the ingest off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.exts.errors._messages import UserFacingError
from ingest.lock import LockedError
from ingest.pipeline import IngestOptions, IngestReport, ingest, is_url
from ingest.settings import IngestSettings
from retrieval.index import Index, ModelMismatchError
from retrieval.settings import RetrievalSettings
from retrieval.vectors import VectorStoreError

log = logging.getLogger(__name__)

PROGRESS_EVERY = 3.0  # seconds between edits of the progress message (Discord rate-limits edits)
BUSY = "A re-ingest is already running. I'll post the counts when it's done; try again after that."
LOCKED = "Another ingest is writing the index right now (the schedule or a command-line run). Try again when it finishes."


def resolve_sources(source: str | None, configured: list[str]) -> list[str]:
    """The configured sources, or the one asked for if it is configured or lies under a configured
    folder. Users must never make the bot read arbitrary server paths or URLs."""
    if not configured:
        raise UserFacingError("No sources are configured (EXECBOT_SOURCES).")
    if not source or not source.strip():
        return list(configured)
    wanted = source.strip()
    if wanted in configured:
        return [wanted]
    if is_url(wanted):
        raise UserFacingError("Only the configured feeds can be re-read. See `/sources`.")
    # resolve() follows symlinks and "..": a link pointing out of a configured folder is refused.
    path = Path(wanted).expanduser().resolve()
    for item in configured:
        if is_url(item):
            continue
        root = Path(item).expanduser().resolve()
        if path == root or path.is_relative_to(root):
            if not path.exists():
                raise UserFacingError(f"`{wanted}` doesn't exist.")
            return [str(path)]
    raise UserFacingError(f"`{wanted}` is not one of the configured sources. See `/sources`.")


def describe_sources(configured: list[str]) -> str:
    lines = []
    for item in configured:
        if is_url(item):
            lines.append(f"• feed <{item}>")
            continue
        p = Path(item).expanduser()
        if p.is_dir():
            n = sum(1 for f in p.rglob("*") if f.is_file())
            lines.append(f"• folder `{item}` ({n} files)")
        elif p.exists():
            lines.append(f"• file `{item}`")
        else:
            lines.append(f"• `{item}` (missing)")
    return "\n".join(lines) or "No sources are configured (EXECBOT_SOURCES)."


async def run_ingest(settings: RetrievalSettings, sources: list[str],
                     progress: Callable[[int], None] | None = None) -> IngestReport:
    """Ingest in a worker thread with its own event loop and its own index connection: parsing is
    synchronous code, and the bot's loop must keep answering while it runs. Never waits for the
    inter-process write lock: LockedError instead."""
    fetch_timeout = IngestSettings().fetch_timeout

    def work() -> IngestReport:
        async def go() -> IngestReport:
            async with Index(settings) as index:
                opts = IngestOptions(wait=False, fetch_timeout=fetch_timeout)
                return await ingest(sources, opts, index=index, progress=progress)

        return asyncio.run(go())

    return await asyncio.to_thread(work)


def report_text(report: IngestReport) -> str:
    text = (f"Re-ingest done in {report.seconds:.1f}s: {report.added:,} added, {report.updated:,} updated, "
            f"{report.unchanged:,} unchanged, {report.skipped:,} skipped; {report.embedded:,} embedded.")
    if report.errors:
        text += f" {len(report.errors)} problem(s), e.g. {report.errors[0].source}: {report.errors[0].error}"
    if report.new_executives:
        text += f" New executives: {', '.join(report.new_executives)}."
    return text


async def reingest_with_progress(engine, sources: list[str],  # noqa: ANN001 - retrieval.engine.Engine
                                 show: Callable[[str], Awaitable[object]]) -> str:
    """Run the ingest as a task, show progress through `show` every few seconds, refresh the
    engine's registry afterwards; return the final text (counts, or why it couldn't run)."""
    done = [0]

    def on_progress(n: int) -> None:  # called from the worker thread; an int update is atomic enough
        done[0] += n

    task = asyncio.create_task(run_ingest(engine.settings, sources, on_progress))
    shown, t0 = -1, time.monotonic()
    while not task.done():
        await asyncio.wait({task}, timeout=PROGRESS_EVERY)
        if not task.done() and done[0] != shown:
            shown = done[0]
            try:
                await show(f"Re-ingesting… {shown:,} records so far ({time.monotonic() - t0:.0f}s)")
            except Exception:  # a failed progress edit must not abort the ingest
                log.warning("progress update failed", exc_info=True)
    try:
        report = task.result()
    except LockedError:
        return LOCKED
    except (ModelMismatchError, VectorStoreError) as exc:
        return f"Re-ingest failed: {exc}"
    await engine.registry(refresh=True)
    return report_text(report)
