"""`execbot chat` answers the README's examples through the same command functions as Discord."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.chat import chat, handle_line

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.embedding
def test_chat_answers_the_readme_examples(index_settings, tmp_path):
    env = dict(os.environ, EXECBOT_NOW="2025-06-02", EXECBOT_DATA_DIR=str(index_settings.data_dir),
               PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    env.pop("DISCORD_TOKEN", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "chat"], input="!top week\nwhat did Lei Jun say about YU7?\n!summary last week\n",
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    top, ask, summary = out.split("you> ")[1:4]
    assert top.startswith("!top week")
    assert [ln for ln in top.splitlines() if ln.startswith("**1.**")][0].startswith("**1.** [PuoYL79FN]")
    assert ask.startswith("what did Lei Jun say about YU7?")
    sources = ask.split("Sources:")[1]
    assert any("YU7" in ln and "量产" in ln and "https://weibo.com/1749127163/" in ln for ln in sources.splitlines())
    assert "**40 posts**" in summary and "[attachment: chart.png" in summary
    assert "Traceback" not in out + proc.stderr


async def test_chat_routes_prefixes_errors_and_unknown_commands(engine):
    top = await handle_line(engine, "/top week likes")
    assert "ranked by likes" in top and top.index("PuoYL79FN") < top.index("PuuzNAYfV")
    assert await handle_line(engine, "!top fortnightish") == (
        "I don't know the period 'fortnightish'. Try: day, week, month, last week, 上周, 2025-05-26..2025-06-01")
    assert "I don't know the command `frobnicate`" in await handle_line(engine, "!frobnicate")
    assert await handle_line(engine, "   ") is None
    assert "Only the configured feeds" in await handle_line(engine, "!reingest https://evil.example/x")


async def test_console_reingest_is_refused_while_a_handed_over_ingest_runs(engine):
    from bot.reingest import BUSY

    lock = asyncio.Lock()
    async with lock:  # as while the console runs a job `execbot ingest` handed to it
        assert await handle_line(engine, "!reingest", ingest_lock=lock) == BUSY


async def test_a_quiet_pipe_leaves_the_loop_free_for_handed_over_ingests(engine):
    """The console reads its next line in a worker thread: while a pipe stays quiet, other tasks (the
    ingest server) keep running."""
    release = threading.Event()

    def lines():
        yield "   "
        release.wait(10)  # the pipe is quiet until the other task has run
        yield "!frobnicate"

    ticks = []

    async def other_task() -> None:
        for _ in range(5):
            ticks.append(1)
            await asyncio.sleep(0.01)
        release.set()

    out: list[str] = []
    await asyncio.wait_for(asyncio.gather(chat(engine, lines(), out=out.append), other_task()), 10)
    assert len(ticks) == 5 and any("frobnicate" in o for o in out)


TESLA = [("T1", "Tesla deliveries hit a record this quarter, thank you to the whole team"),
         ("T2", "Model Y deliveries in Europe are ramping fast"),
         ("T3", "Record deliveries again. Production is the hard part")]


@pytest.mark.embedding
def test_a_follow_up_line_keeps_the_executive_from_a_pipe(tmp_path):
    """The sample data plus another executive's English posts about deliveries: the second line,
    which names no one, is answered from Lei Jun's 交付 posts, not from Tesla's deliveries."""
    import asyncio as aio
    from datetime import UTC, datetime

    from ingest.pipeline import IngestOptions, ingest
    from retrieval.models import Doc
    from retrieval.settings import RetrievalSettings
    from retrieval.store.index import Index

    settings = RetrievalSettings(EXECBOT_DATA_DIR=tmp_path / "data", EXECBOT_NOW="2025-06-02")

    async def build() -> None:
        async with Index(settings) as index:
            await ingest([str(ROOT / "data" / "sample")], IngestOptions(), index=index)
            await index.write_docs([Doc(platform="x", executive="elonmusk", source_id=sid, text=text,
                                        published_at=datetime(2025, 5, 30, 12, tzinfo=UTC), likes=90000)
                                    for sid, text in TESLA])

    aio.run(build())
    env = dict(os.environ, EXECBOT_NOW="2025-06-02", EXECBOT_DATA_DIR=str(settings.data_dir),
               PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    env.pop("DISCORD_TOKEN", None)
    proc = subprocess.run([sys.executable, "-m", "bot", "chat"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=180,
                          input="what did Lei Jun say about YU7?\nand what about deliveries?\n")
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.split("you> ")[1:3]
    assert "YU7" in first
    sources = second.split("Sources:")[1]
    assert "交付" in second and "Lei Jun" in sources
    assert not any(sid in second for sid, _ in TESLA) and "Tesla deliveries" not in second
    # Without the conversation, the same question finds Tesla's posts: the follow-up is what kept Lei Jun.
    alone = subprocess.run([sys.executable, "-m", "bot", "chat"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=180, input="what about deliveries?\n")
    assert "Tesla" in alone.stdout or "Model Y" in alone.stdout or "Record deliveries" in alone.stdout


def test_feedback_export_is_an_empty_list_without_votes(tmp_path):
    import json

    env = dict(os.environ, EXECBOT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "bot", "feedback", "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
