"""ingest.handoff: the socket (permissions, peer check, stale sockets, one server per data directory) and the
protocol (progress, report, exit codes, refusals, a client that goes away), with a stand-in job runner.
The real bot running real jobs from real `execbot ingest` processes is tests/robustness/test_bot_writer.py."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from ingest import handoff
from ingest.formats.base import Issue
from ingest.handoff import Busy, Cancelled, Channel, HandoffServer, Job, hand_over, probe, socket_path
from ingest.lock import write_lock
from ingest.pipeline import IngestOptions, IngestReport

ROOT = Path(__file__).resolve().parents[2]


class Runner:
    """Records the jobs it gets; `behave` decides what a job does."""

    def __init__(self, behave=None) -> None:
        self.jobs: list[Job] = []
        self.cancelled = 0
        self.behave = behave

    async def __call__(self, job: Job, channel: Channel) -> IngestReport:
        self.jobs.append(job)
        try:
            if self.behave is not None:
                return await self.behave(job, channel)
            return IngestReport(added=1, records=1, files=1)
        except Cancelled:
            self.cancelled += 1
            raise


def raw_session(path: Path, request: dict | None) -> list[dict]:
    """Connect, send `request` (unless None), and return every message the server sent until it closed."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(str(path))
        f = s.makefile("rb")
        msgs = [json.loads(f.readline())]
        if request is not None and msgs[0]["type"] == "hello":
            s.sendall((json.dumps(request) + "\n").encode())
            msgs += [json.loads(line) for line in f]
        return msgs


def job_request(*sources: str, **opts: object) -> dict:
    return Job(list(sources), IngestOptions(**opts), ["execbot", "ingest"]).to_json()


async def test_socket_is_private_and_removed_on_close(tmp_path):
    server = HandoffServer(tmp_path, Runner())
    assert await server.start()
    try:
        st = os.lstat(socket_path(tmp_path))
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600  # read/write for the owner only
        assert st.st_uid == os.geteuid()
        assert not list(tmp_path.glob(".ingest.sock.*"))  # the private name it was bound under is gone
        hello = await asyncio.to_thread(probe, socket_path(tmp_path))
        assert hello["type"] == "hello" and hello["pid"] == os.getpid() and hello["version"] == handoff.VERSION
    finally:
        await server.close()
    assert not socket_path(tmp_path).exists()
    assert await asyncio.to_thread(probe, socket_path(tmp_path)) is None


async def test_a_peer_with_another_uid_is_refused(tmp_path):
    # The server is told it runs as another uid: this process is then "someone else" to the SO_PEERCRED check.
    runner = Runner()
    server = HandoffServer(tmp_path, runner, uid=os.geteuid() + 1)
    assert await server.start()
    try:
        msgs = await asyncio.to_thread(raw_session, socket_path(tmp_path), job_request(str(tmp_path)))
        assert msgs == [{"type": "error", "message": f"refused: only the bot's own user (uid {os.geteuid() + 1}) "
                                                      "may hand it an ingest"}]
        out = await asyncio.to_thread(hand_over, tmp_path, Job([str(tmp_path)], IngestOptions()))
        assert out.exit_code == 1 and out.error.startswith("refused")
        assert runner.jobs == []
    finally:
        await server.close()


def _python_for_anyone() -> str | None:
    """A Python another user may run (the project's venv may live in a private folder)."""
    for p in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(p) and os.stat(p).st_mode & stat.S_IXOTH:
            return p
    return None


@pytest.mark.skipif(os.geteuid() != 0 or _python_for_anyone() is None,
                    reason="needs root and a system Python to run a client as another user")
async def test_another_user_cannot_connect_or_is_refused_by_the_peer_check():
    """A real second user (nobody): the 0600 socket keeps it out; with the mode opened up on purpose, the
    peer check still refuses it."""
    top = Path(tempfile.mkdtemp(prefix="handoff-", dir="/tmp"))
    try:
        top.chmod(0o755)  # nobody may reach the socket's folder, so only the socket's own mode protects it
        runner = Runner()
        server = HandoffServer(top, runner)
        assert await server.start()
        client = ("import socket, sys\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect(sys.argv[1])\n"
                  "except OSError as e:\n    print('connect failed:', e.errno); sys.exit(0)\n"
                  "print(s.makefile('rb').readline().decode().strip())")

        def as_nobody() -> str:
            return subprocess.run([_python_for_anyone(), "-c", client, str(socket_path(top))], user=65534, group=65534,
                                  capture_output=True, text=True, timeout=60, cwd="/").stdout.strip()

        try:
            import errno

            assert await asyncio.to_thread(as_nobody) == f"connect failed: {errno.EACCES}"
            socket_path(top).chmod(0o666)
            line = json.loads(await asyncio.to_thread(as_nobody))
            assert line["type"] == "error" and "refused" in line["message"]
            assert runner.jobs == []
        finally:
            await server.close()
    finally:
        subprocess.run(["rm", "-rf", str(top)], check=False)


async def test_a_job_streams_progress_and_returns_the_report_and_exit_code(tmp_path):
    src = tmp_path / "posts.csv"
    src.write_text("id,text\n1,a\n")

    async def work(job: Job, channel: Channel) -> IngestReport:
        await channel.waiting("waiting for something…")
        for _ in range(4):
            channel.progress(5)
            await asyncio.sleep(0.3)  # longer than PROGRESS_EVERY: several progress messages
        return IngestReport(added=19, skipped=1, records=20, files=1, errors=[Issue(str(src), 3, "bad row")])

    runner = Runner(work)
    async with HandoffServer(tmp_path, runner) as server:
        assert server.serving
        seen, said = [], []
        job = Job([str(src)], IngestOptions(fmt="csv", author="someone", mapping={"text": "text"}, wait=False),
                  ["execbot", "ingest", "posts.csv"])
        out = await asyncio.to_thread(hand_over, tmp_path, job, seen.append, said.append)
    assert out.exit_code == 2 and out.error is None
    assert out.report["added"] == 19 and out.report["errors"] == [{"source": str(src), "line": 3, "error": "bad row"}]
    assert sum(seen) == 20 and len(seen) >= 2
    assert said[0].startswith("handing the ingest to the running bot (pid") and "waiting for something…" in said
    got = runner.jobs[0]
    assert got.sources == [str(src)] and got.argv == ["execbot", "ingest", "posts.csv"]
    assert (got.opts.fmt, got.opts.author, got.opts.mapping, got.opts.wait) == ("csv", "someone", {"text": "text"}, False)


async def test_refusals_are_one_line_and_the_server_keeps_serving(tmp_path):
    runner = Runner()

    async def busy(job: Job, channel: Channel) -> IngestReport:
        raise Busy("the running bot is already ingesting")

    async with HandoffServer(tmp_path, runner):
        path = socket_path(tmp_path)
        for request, message in [
            (job_request(str(tmp_path / "missing.csv")), f"no such file or directory: {tmp_path / 'missing.csv'}"),
            (job_request("relative.csv"), "not an absolute path: relative.csv"),
            (job_request(str(tmp_path), fmt="nonsense"), "unknown format 'nonsense'"),
            ({"type": "reboot"}, "not an ingest request"),
        ]:
            msgs = await asyncio.to_thread(raw_session, path, request)
            assert msgs[1:] == [{"type": "error", "message": message}], msgs
        assert runner.jobs == []
        # Not JSON at all: one error, and the connection ends.
        def garbage() -> list[dict]:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(30)
                s.connect(str(path))
                s.sendall(b"\x00\xffnot json\n")
                return [json.loads(line) for line in s.makefile("rb")]

        assert [m["type"] for m in await asyncio.to_thread(garbage)] == ["hello", "error"]
        out = await asyncio.to_thread(hand_over, tmp_path, Job([str(tmp_path)], IngestOptions()))
        assert out.exit_code == 0 and out.report["added"] == 1  # still serving
        runner.behave = busy
        out = await asyncio.to_thread(hand_over, tmp_path, Job([str(tmp_path)], IngestOptions(wait=False)))
        assert (out.exit_code, out.error) == (1, "the running bot is already ingesting")


async def test_a_client_that_goes_away_stops_its_job_at_the_next_batch(tmp_path):
    started, stopped = asyncio.Event(), asyncio.Event()
    batches = []

    async def long_job(job: Job, channel: Channel) -> IngestReport:
        started.set()
        try:
            while True:
                await asyncio.sleep(0.05)
                batches.append(1)
                channel.progress(1)  # raises Cancelled once the client has gone
        finally:
            stopped.set()

    runner = Runner(long_job)
    async with HandoffServer(tmp_path, runner):
        def send_job() -> socket.socket:
            s = socket.socket(socket.AF_UNIX)
            s.connect(str(socket_path(tmp_path)))
            s.makefile("rb").readline()
            s.sendall((json.dumps(job_request(str(tmp_path))) + "\n").encode())
            return s

        s = await asyncio.to_thread(send_job)
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.2)
        s.close()  # what kill -9 of the CLI does
        await asyncio.wait_for(stopped.wait(), 10)
    assert runner.cancelled == 1 and 1 <= len(batches) < 100


async def test_closing_the_server_stops_running_jobs(tmp_path):
    started = asyncio.Event()

    async def long_job(job: Job, channel: Channel) -> IngestReport:
        started.set()
        while True:
            await asyncio.sleep(0.05)
            channel.progress(1)

    runner = Runner(long_job)
    server = HandoffServer(tmp_path, runner)
    assert await server.start()
    client = asyncio.create_task(asyncio.to_thread(hand_over, tmp_path, Job([str(tmp_path)], IngestOptions())))
    await asyncio.wait_for(started.wait(), 10)
    t0 = time.monotonic()
    await server.close()
    assert time.monotonic() - t0 < 5 and runner.cancelled == 1
    out = await asyncio.wait_for(client, 10)
    assert out.exit_code == 1 and "stopped before the ingest finished" in out.error
    assert not socket_path(tmp_path).exists()


KILLED_BOT = """
import asyncio, sys
from pathlib import Path
from ingest.handoff import HandoffServer

async def main():
    server = HandoffServer(Path(sys.argv[1]), None)
    assert await server.start()
    print("serving", flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_a_stale_socket_from_a_killed_bot_is_detected_and_replaced(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bot = subprocess.Popen([sys.executable, "-c", KILLED_BOT, str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert bot.stdout.readline().strip() == "serving"
        assert (await asyncio.to_thread(probe, socket_path(tmp_path)))["pid"] == bot.pid
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=30)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    assert stat.S_ISSOCK(os.lstat(socket_path(tmp_path)).st_mode)  # left behind
    # A client sees no bot (connect is refused) and leaves the socket alone: it would ingest locally.
    assert await asyncio.to_thread(probe, socket_path(tmp_path)) is None
    assert await asyncio.to_thread(hand_over, tmp_path, Job([str(tmp_path)], IngestOptions())) is None
    assert socket_path(tmp_path).exists()
    runner = Runner()
    async with HandoffServer(tmp_path, runner) as server:  # the next bot removes it and serves
        assert server.serving
        out = await asyncio.to_thread(hand_over, tmp_path, Job([str(tmp_path)], IngestOptions()))
        assert out.exit_code == 0 and len(runner.jobs) == 1


async def test_a_second_bot_on_the_same_data_directory_does_not_take_over(tmp_path):
    first, second = Runner(), Runner()
    async with HandoffServer(tmp_path, first):
        inode = os.stat(socket_path(tmp_path)).st_ino
        other = HandoffServer(tmp_path, second)
        assert not await other.start()
        await other.close()
        assert os.stat(socket_path(tmp_path)).st_ino == inode
        out = await asyncio.to_thread(hand_over, tmp_path, Job([str(tmp_path)], IngestOptions()))
        assert out.exit_code == 0 and len(first.jobs) == 1 and second.jobs == []


async def test_a_bot_waits_for_a_local_ingest_before_serving(tmp_path):
    """A local ingest that holds the write lock when the bot starts finishes before the bot serves; a local
    ingest that got the lock looks again (ensure_no_bot) and hands over if a bot serves by then."""
    held, release = threading.Event(), threading.Event()

    def local_ingest() -> None:
        with write_lock(tmp_path, wait=False):
            held.set()
            release.wait(30)

    t = threading.Thread(target=local_ingest)
    t.start()
    try:
        assert held.wait(10)
        server = HandoffServer(tmp_path, Runner())
        starting = asyncio.create_task(server.start())
        await asyncio.sleep(1.5)
        assert not starting.done() and not socket_path(tmp_path).exists()
    finally:
        release.set()
        t.join()
    assert await asyncio.wait_for(starting, 10)
    try:
        with pytest.raises(handoff.BotStarted):
            await asyncio.to_thread(handoff.ensure_no_bot, tmp_path)
    finally:
        await server.close()
    handoff.ensure_no_bot(tmp_path)  # no bot: nothing raised


async def test_a_deep_data_directory_still_gets_a_socket(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)  # the socket path is longer than a sockaddr_un holds
    deep.mkdir(parents=True)
    assert len(str(socket_path(deep))) > 108
    runner = Runner()
    async with HandoffServer(deep, runner) as server:
        assert server.serving and stat.S_IMODE(os.lstat(socket_path(deep)).st_mode) == 0o600
        out = await asyncio.to_thread(hand_over, deep, Job([str(deep)], IngestOptions()))
        assert out.exit_code == 0 and len(runner.jobs) == 1


def test_the_cli_writes_directly_with_a_chroma_server(tmp_path, monkeypatch, capsys):
    """CHROMA_HOST: every process is a Chroma client, so the CLI never looks for a bot."""
    from ingest.cli import main as ingest_main
    from retrieval.settings import get_settings

    src = tmp_path / "posts.csv"
    src.write_text("id,text,created_at\n1,hello there,2025-05-01\n")
    monkeypatch.setenv("EXECBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", "9")  # nothing listens there: the direct write fails, visibly

    def no_handoff(*args: object, **kwargs: object) -> None:
        raise AssertionError("the CLI looked for a bot in Chroma server mode")

    monkeypatch.setattr(handoff, "hand_over", no_handoff)
    monkeypatch.setattr(handoff, "ensure_no_bot", no_handoff)
    get_settings.cache_clear()
    try:
        assert ingest_main([str(src)]) == 1
    finally:
        get_settings.cache_clear()
    assert "Chroma server 127.0.0.1:9" in capsys.readouterr().err


def test_the_cli_refuses_a_missing_path_in_one_line(tmp_path, monkeypatch, capsys):
    from ingest.cli import main as ingest_main

    monkeypatch.setenv("EXECBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.csv").write_text("id,text\n1,x\n")
    assert ingest_main(["here.csv", "nowhere.csv"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: no such file or directory: nowhere.csv"]
    assert not (tmp_path / "data").exists()  # refused before anything was opened
