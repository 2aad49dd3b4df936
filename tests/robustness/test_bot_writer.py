"""The running bot is the only writer of an embedded store: `execbot ingest` from other processes hands its
jobs to the bot (ingest.handoff), which answers questions all along and sees every new post at once.

Real processes: the bot is `execbot chat` reading questions from a pipe (tests.robustness.botproc), and
every ingest is a real `execbot ingest` process, some killed with -9 mid-run. Both use the fast stand-in
embedder (rbhelpers.FakeEmbedder), slowed a little so that a job lasts long enough to be killed. CI runs a
few ingests; `make soak` (EXECBOT_SOAK_FULL=1) runs 20.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from ingest.handoff import probe
from tests.robustness.botproc import ConsoleBot
from tests.robustness.rbhelpers import (
    assert_clean_error,
    cli_env,
    consistency,
    last_json,
    lock_is_held,
    popen_cli,
    post_text,
    run_cli,
    scale,
    write_csv,
)

pytestmark = pytest.mark.slow

RUNS = scale(5, 20)
ROWS = scale(150, 300)
KILLED_ROWS = scale(600, 900)  # a killed run is longer, so that the kill lands while the bot writes it
FOUND_WITHIN = 2.0  # seconds from a CLI's exit to the bot answering with its newest post
QUESTIONS = ["!stats", "!top last month", "what did Test Exec say about the battery factory?", "!top week likes",
             "launch price camera", "!top month shares"]


def run_file(tmp: Path, run: int, rows: int, malformed: int = 0) -> tuple[str, int]:
    """runN.csv: `rows` new posts, each with a word of its own (rNxI), plus `malformed` rows to skip."""
    name = f"run{run}.csv"
    n = write_csv(tmp / name, rows, seed=100 + run, text_for=lambda i: f"{post_text(i)} tag r{run}x{i}")
    if malformed:
        with (tmp / name).open("a", encoding="utf-8") as f:
            f.writelines("only,two\n" for _ in range(malformed))
    return name, n


def found_in_time(bot: ConsoleBot, word: str, since: float) -> float:
    """Ask for `word` until the answer cites it; the seconds from `since` until it did."""
    while True:
        reply = bot.ask(word)
        sources = reply.split("Sources:", 1)[-1] if "Sources:" in reply else ""
        if word in sources:
            return time.monotonic() - since
        assert time.monotonic() - since < FOUND_WITHIN, f"{word} not found {FOUND_WITHIN}s after the CLI exited: {reply}"


def read_until(stream: IO[str], needle: str, timeout: float = 60) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"never saw {needle!r}: {lines}")


class Questioner(threading.Thread):
    """Keeps asking the bot questions until stopped; every reply is checked by ConsoleBot.errors()."""

    def __init__(self, bot: ConsoleBot) -> None:
        super().__init__(daemon=True)
        self.bot, self.stop, self.asked = bot, threading.Event(), 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.bot.ask(QUESTIONS[self.asked % len(QUESTIONS)])
            self.asked += 1
            time.sleep(0.02)


def test_the_bot_answers_while_ingests_come_from_other_processes_some_killed(tmp_path):
    data = tmp_path / "data"
    env = cli_env(data, batch=50, delay=0.002, EXECBOT_NOW="2025-06-02")
    rng = random.Random(int(os.environ.get("EXECBOT_SOAK_SEED", "0")) or None)
    bot = ConsoleBot(env, tmp_path, tmp_path / "bot.log")
    questioner = Questioner(bot)
    procs: list[subprocess.Popen] = []
    try:
        bot.wait_serving(data)
        st = os.lstat(data / "ingest.sock")
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
        bot.ask("what did Test Exec say about the battery factory?")  # the first question loads the dictionary

        # A path that does not exist: one line from the CLI, and the bot (asked directly) refuses it too.
        p = run_cli(["ingest", "--json", "nowhere.csv"], env, tmp_path)
        assert_clean_error(p, "no such file or directory: nowhere.csv")
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(str(data / "ingest.sock"))
            s.sendall((json.dumps({"type": "ingest", "sources": [str(tmp_path / "nowhere.csv")]}) + "\n").encode())
            msgs = [json.loads(line) for line in s.makefile("rb")]
        assert [m["type"] for m in msgs] == ["hello", "error"]
        assert msgs[1]["message"] == f"no such file or directory: {tmp_path / 'nowhere.csv'}"
        assert "**0** posts" in bot.ask("!stats")

        # The first run: a relative path and two malformed rows. Same report and exit code as a local run
        # of the same file into a data directory no bot serves.
        name, n0 = run_file(tmp_path, 0, ROWS, malformed=2)
        local = run_cli(["ingest", "--json", name], cli_env(tmp_path / "local", batch=50), tmp_path)
        handed = run_cli(["ingest", "--json", name], env, tmp_path)
        t_exit = time.monotonic()
        assert "handing the ingest to the running bot" not in local.stderr
        assert "handing the ingest to the running bot" in handed.stderr, handed.stderr
        assert local.returncode == handed.returncode == 2, (local.stderr, handed.stderr)
        want, got = last_json(local.stdout), last_json(handed.stdout)
        assert want.pop("seconds") >= 0 and got.pop("seconds") >= 0
        assert got == want and got["added"] == n0 and got["skipped"] == 2
        assert got["errors"][0]["source"] == name  # named as typed, though the bot read an absolute path
        delays = [found_in_time(bot, f"r0x{n0 - 1}", t_exit)]

        questioner.start()
        expected, killed, waited = n0, [], 0
        for first in range(1, RUNS, 2):
            wave = [r for r in (first, first + 1) if r < RUNS]
            kill = first % 4 == 1  # every other wave: its first run is killed with -9 while the bot writes it
            files = {r: run_file(tmp_path, r, KILLED_ROWS if kill and r == first else ROWS) for r in wave}
            expected += sum(n for _, n in files.values())
            started: dict[int, subprocess.Popen] = {}
            for r in wave:
                started[r] = popen_cli(["ingest", "--json", files[r][0]], env, tmp_path)
                procs.append(started[r])
                if kill and r == first:  # handed over before its partner starts, so it is the one writing
                    read_until(started[r].stderr, "handing the ingest to the running bot")
            if kill:
                time.sleep(rng.uniform(0.1, 0.6))
                started[first].send_signal(signal.SIGKILL)
                started[first].communicate(timeout=60)
                killed.append(first)
            for r in wave:
                if kill and r == first:
                    continue
                out, err = started[r].communicate(timeout=300)
                t_exit = time.monotonic()
                assert started[r].returncode == 0, err
                assert last_json(out)["added"] == files[r][1], out
                waited += "waiting for the running bot" in err
                delays.append(found_in_time(bot, f"r{r}x{files[r][1] - 1}", t_exit))

        # The next cron run re-reads the killed runs' files: the rest of their posts go in.
        for r in killed:
            name, n = run_file(tmp_path, r, KILLED_ROWS)
            p = run_cli(["ingest", "--json", name], env, tmp_path)
            t_exit = time.monotonic()
            assert p.returncode == 0, p.stderr
            rep = last_json(p.stdout)
            assert rep["added"] + rep["unchanged"] == n and rep["updated"] == 0, rep
            delays.append(found_in_time(bot, f"r{r}x{n - 1}", t_exit))

        questioner.stop.set()
        questioner.join(timeout=120)
        assert f"**{expected:,}** posts" in bot.ask("!stats")
        assert bot.alive(), bot.tail()
        errors = bot.errors()
        assert errors == [], errors[:5]
    finally:
        questioner.stop.set()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
        code = bot.close() if bot.alive() else bot.proc.returncode
    assert code == 0, bot.tail()
    assert not (data / "ingest.sock").exists()  # the bot removed its socket on the way out
    log = bot.log.read_text(encoding="utf-8")
    stopped = [int(w) for w in
               (ln.split("stopped after ")[1].split()[0] for ln in log.splitlines() if "stopped after " in ln)]
    mid_run = sum(1 for n in stopped if 0 < n < KILLED_ROWS)
    # A killed client's job stops at the next batch (one killed during its last batch completes instead).
    assert 1 <= mid_run == len(stopped) <= len(killed), (stopped, killed)
    c = consistency(data)
    assert c["posts"] == expected and c["duplicates"] == 0, c
    assert c["missing"] == 0 and c["orphans"] == 0 and c["vectors"] == len(c["uids"]), c
    figures = (
        f"{RUNS} ingest runs + {len(killed)} re-runs from other processes, {len(killed)} killed with -9 "
        f"({mid_run} while the bot wrote them), {waited} waited for another job; bot answered "
        f"{len(bot.replies)} questions, 0 errors, 0 crashes; {expected} posts, each once with its vector; "
        f"newest post found {max(delays):.2f}s (max) after the CLI exited"
    )
    print(f"\nbot writer: {figures}", file=sys.stderr)  # the soak's figures (shown with -s)


def test_a_killed_bot_leaves_a_stale_socket_that_the_next_bot_replaces(tmp_path):
    """kill -9 of the bot: the CLI then ingests locally; a bot started during a local ingest waits for it,
    removes the stale socket and serves; the next CLI hands over to it."""
    data = tmp_path / "data"
    env = cli_env(data, batch=50, EXECBOT_NOW="2025-06-02")
    first = ConsoleBot(env, tmp_path, tmp_path / "bot1.log")
    second: ConsoleBot | None = None
    slow: subprocess.Popen | None = None
    try:
        first.wait_serving(data)
        assert probe(data / "ingest.sock")["pid"] == first.proc.pid
        first.kill()
        assert stat.S_ISSOCK(os.lstat(data / "ingest.sock").st_mode)  # left behind by the killed bot
        assert probe(data / "ingest.sock") is None  # and nothing listens on it

        name, n1 = run_file(tmp_path, 1, 100)
        p = run_cli(["ingest", "--json", name], env, tmp_path)
        assert p.returncode == 0 and last_json(p.stdout)["added"] == n1, p.stderr
        assert "handing the ingest" not in p.stderr  # nobody listens: written here, as without a bot

        name, n2 = run_file(tmp_path, 2, 600)
        slow = popen_cli(["ingest", "--json", name], cli_env(data, batch=50, delay=0.003), tmp_path)
        deadline = time.monotonic() + 60
        while not lock_is_held(data):
            assert slow.poll() is None and time.monotonic() < deadline, slow.communicate()
            time.sleep(0.02)
        second = ConsoleBot(env, tmp_path, tmp_path / "bot2.log")
        while slow.poll() is None:
            # The new bot must not serve (or read vectors) while the local run holds the write lock; it may
            # once the run has let go of it, before its process has exited. (Probe first: the bot claims
            # the socket under the lock, so a lock still held after the bot serves would be a bug.)
            if probe(data / "ingest.sock") is not None:
                assert not lock_is_held(data)
            time.sleep(0.05)
        out, err = slow.communicate()
        assert slow.returncode == 0 and last_json(out)["added"] == n2, err
        deadline = time.monotonic() + 60
        while (probe(data / "ingest.sock") or {}).get("pid") != second.proc.pid:
            assert second.alive() and time.monotonic() < deadline, second.tail()
            time.sleep(0.05)
        log = second.tail(10**6)
        assert "waiting for the ingest writing" in log and "removed the stale socket" in log, log

        name, n3 = run_file(tmp_path, 3, 100)
        p = run_cli(["ingest", "--json", name], env, tmp_path)
        t_exit = time.monotonic()
        assert p.returncode == 0 and last_json(p.stdout)["added"] == n3, p.stderr
        assert "handing the ingest to the running bot" in p.stderr
        found_in_time(second, f"r3x{n3 - 1}", t_exit)
        assert f"**{n1 + n2 + n3:,}** posts" in second.ask("!stats")
        assert second.errors() == []
        assert second.close() == 0
    finally:
        if slow is not None and slow.poll() is None:
            slow.kill()
            slow.communicate()
        for b in (first, second):
            if b is not None and b.alive():
                b.kill()
    assert not (data / "ingest.sock").exists()
    c = consistency(data)
    assert c["posts"] == n1 + n2 + n3 and c["missing"] == 0 and c["orphans"] == 0 and c["duplicates"] == 0


async def test_the_discord_bot_runs_handed_over_jobs_under_its_ingest_lock(tmp_path, monkeypatch):
    """The Discord bot object (with its scheduler): a handed-over job holds the bot's ingest lock, so the
    schedule skips its tick, a --no-wait client is told the bot is busy and a waiting one goes next; each
    finished job is announced (the `execbot_ingest` event, which follows listen to); the engine's readers see the new posts the moment the job is done, and after a --rebuild."""
    import ingest.pipeline
    import retrieval.store.index
    from bot.app import create_bot
    from bot.settings import BotSettings
    from ingest.handoff import Job, hand_over
    from ingest.pipeline import IngestOptions
    from retrieval.engine import Engine
    from retrieval.settings import RetrievalSettings
    from retrieval.store.index import Index
    from tests.robustness.rbhelpers import FakeEmbedder

    monkeypatch.setattr(ingest.pipeline, "BATCH", 50)
    monkeypatch.setattr(retrieval.store.index, "WRITE_BATCH", 50)
    settings = RetrievalSettings(EXECBOT_DATA_DIR=tmp_path / "data", EXECBOT_NOW="2025-06-02")
    big, n_big = run_file(tmp_path, 1, 400)
    small, n_small = run_file(tmp_path, 2, 20)
    sched, n_sched = run_file(tmp_path, 3, 10)
    async with Index(settings, embedder=FakeEmbedder(0.003)) as index:
        engine = Engine(index=index)
        bot = create_bot(BotSettings(_env_file=None, DISCORD_TOKEN=None), engine, handoff=True)
        await bot._async_setup_hook()
        await bot.setup_hook()
        heard: list[int] = []

        async def on_execbot_ingest(report) -> None:
            heard.append(report.added)

        bot.add_listener(on_execbot_ingest)
        try:
            assert bot.handoff is not None and (settings.data_dir / "ingest.sock").exists()
            said: list[str] = []
            first = asyncio.create_task(asyncio.to_thread(
                hand_over, settings.data_dir, Job([str(tmp_path / big)], IngestOptions()), None, said.append))
            deadline = time.monotonic() + 30
            while not bot.ingest_lock.locked():
                assert time.monotonic() < deadline and not first.done()
                await asyncio.sleep(0.01)
            assert await bot.get_cog("Schedule").ingest_once() == "busy"
            refused = await asyncio.to_thread(
                hand_over, settings.data_dir, Job([str(tmp_path / small)], IngestOptions(wait=False)), None,
                said.append)
            assert refused.exit_code == 1 and "already ingesting" in refused.error
            waiting_said: list[str] = []
            second = asyncio.create_task(asyncio.to_thread(
                hand_over, settings.data_dir, Job([str(tmp_path / small)], IngestOptions()), None,
                waiting_said.append))
            out = await asyncio.wait_for(first, 120)
            assert out.exit_code == 0 and out.report["added"] == n_big
            out2 = await asyncio.wait_for(second, 120)
            assert out2.exit_code == 0 and out2.report["added"] == n_small
            assert any("waiting for the running bot" in s for s in waiting_said), waiting_said
            monkeypatch.setenv("EXECBOT_SOURCES", str(tmp_path / sched))
            assert await bot.get_cog("Schedule").ingest_once() == "done"  # the lock is free again
            await asyncio.sleep(0)  # dispatched listeners run as tasks
            assert heard == [n_big, n_small, n_sched]
            res = await engine.search(f"r1x{n_big - 1}")  # the bot's own engine, no reopening
            assert any(f"r1x{n_big - 1}" in h.text for h in res.hits), res.hits
            assert (await engine.stats())["posts"] == n_big + n_small + n_sched
            # --rebuild drops and refills the very vector store the engine queries: it keeps answering.
            out3 = await asyncio.to_thread(
                hand_over, settings.data_dir, Job([], IngestOptions(rebuild=True)), None, said.append)
            assert out3.exit_code == 0 and out3.report["embedded"] == n_big + n_small + n_sched, out3
            res = await engine.search(f"r2x{n_small - 1}")
            assert any(f"r2x{n_small - 1}" in h.text for h in res.hits), res.hits
            assert (await engine.stats())["vectors"] == n_big + n_small + n_sched
        finally:
            await bot.close()
        assert bot.handoff is None and not (settings.data_dir / "ingest.sock").exists()
