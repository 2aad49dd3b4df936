"""Re-ingest from the bot: which sources are allowed, running the ingest on the bot's own index, and the
jobs `execbot ingest` hands over to the running bot."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from bot.errors import UserFacingError
from ingest.handoff import Busy, Channel, HandoffServer, Job
from ingest.lock import LockedError, describe_holder
from ingest.pipeline import IngestOptions, IngestReport, ingest, is_url
from ingest.settings import IngestSettings
from retrieval.store.index import Index, ModelMismatchError
from retrieval.store.vectors import VectorStoreError

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


async def run_ingest(index: Index, sources: list[str], progress: Callable[[int], None] | None = None,
                     opts: IngestOptions | None = None) -> IngestReport:
    """Ingest through the bot's own Index, on the bot's event loop: the engine's readers see each batch
    the moment it is committed, and a --rebuild resets the very vector store they query. The pipeline
    parses in a worker thread and encodes in another, so the loop keeps answering. Never waits for the
    inter-process write lock (that would block the loop): LockedError instead."""
    opts = replace(opts or IngestOptions(fetch_timeout=IngestSettings().fetch_timeout), wait=False)
    return await ingest(sources, opts, index=index, progress=progress)


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

    def on_progress(n: int) -> None:
        done[0] += n

    task = asyncio.create_task(run_ingest(engine.index, sources, on_progress))
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


# -- jobs handed over by `execbot ingest` ----------------------------------------------------------


async def run_handed_off(engine, lock: asyncio.Lock, job: Job, channel: Channel,  # noqa: ANN001
                         on_done: Callable[[IngestReport], None] | None = None) -> IngestReport:
    """A job `execbot ingest` handed to this bot: the same ingest as /reingest, on the bot's own Index and
    under the same lock, so it never overlaps /reingest or the schedule. A client that asked to wait
    waits its turn (asyncio.Lock is first come, first served); one that did not gets Busy. `on_done`
    hears of each finished job (the Discord bot announces new posts to followers)."""
    me = f"the running bot (pid {os.getpid()})"
    if lock.locked():
        if not job.opts.wait:
            raise Busy(f"{me} is already ingesting into {engine.settings.data_dir}; "
                       "try again when it finishes (or pass --wait)")
        await channel.waiting(f"waiting for {me} to finish another ingest into {engine.settings.data_dir}…")
    async with lock:
        channel.check()  # the client may have given up while it waited
        told = False
        while True:
            try:
                report = await run_ingest(engine.index, job.sources, channel.progress, job.opts)
                break
            except LockedError as exc:  # another process writes (one that started before this bot)
                if not job.opts.wait:
                    raise Busy(str(exc)) from None
                if not told:
                    await channel.waiting(f"waiting for another ingest writing {engine.settings.data_dir}"
                                          f"{describe_holder(Path(engine.settings.data_dir))}…")
                    told = True
                await asyncio.sleep(1.0)
                channel.check()
    await engine.registry(refresh=True)
    if on_done is not None:
        on_done(report)
    return report


async def serve_handoff(engine, lock: asyncio.Lock,  # noqa: ANN001
                        on_done: Callable[[IngestReport], None] | None = None) -> HandoffServer | None:
    """Make this bot the writer of its embedded store: serve `execbot ingest` jobs (ingest.handoff).
    None with a Chroma server (every process may write then) or when another bot serves already."""
    if engine.settings.chroma_host:
        return None
    server = HandoffServer(Path(engine.settings.data_dir),
                           lambda job, channel: run_handed_off(engine, lock, job, channel, on_done))
    return server if await server.start() else None
