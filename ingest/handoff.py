"""Hand an ingest to the running bot: while a bot (`execbot run`, `execbot chat`) serves an embedded Chroma
store, it is the store's only writer, and `execbot ingest` asks it to do the job.

Embedded Chroma is one process's store: a process that reads it while another one rewrites the files can
fail or crash. So the bot listens on a Unix socket in the data directory (`ingest.sock`, mode 0600, and
it checks the peer's uid with SO_PEERCRED as well), and the CLI sends it the job instead of opening the
store itself.

The protocol is newline-delimited JSON, one object per line:

    server: {"type": "hello", "version": 1, "pid": ..., "argv": [...]}          at once, on connect
    client: {"type": "ingest", "sources": [...absolute paths or URLs], "fmt", "author", "mapping",
             "rebuild", "wait", "fetch_timeout", "argv"}
    server: {"type": "waiting", "message"} and {"type": "progress", "records": n} (read since the last
            progress message), any number of times,
            then exactly one of {"type": "done", "report": {...}, "exit_code": n},
            {"type": "busy", "message"} or {"type": "error", "message"}; then it closes.

A client that goes away (Ctrl-C, kill -9) ends its job at the next batch boundary, where everything written
so far is committed: the same state a local ingest killed at that point leaves, which the next run completes.

Who serves is decided under the data directory's write lock (ingest/lock.py): the bot binds its socket while
holding it, and a local ingest looks for a bot again once it holds it. So a local ingest never runs while
a bot serves, and a bot never starts serving while a local ingest writes (it waits for it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sqlite3
import stat
import struct
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.formats import FORMATS, MAP_FIELDS
from ingest.lock import LockedError, describe_holder, write_lock
from ingest.pipeline import IngestOptions, IngestReport, is_url
from retrieval.errors import ExecbotError

log = logging.getLogger(__name__)

SOCKET_NAME = "ingest.sock"
VERSION = 1
HELLO_TIMEOUT = 30.0  # a bot whose loop does not answer in this long is stuck
PROBE_TIMEOUT = 5.0
REQUEST_TIMEOUT = 30.0
MAX_REQUEST = 1 << 20  # bytes of one request line
PROGRESS_EVERY = 0.25  # seconds between progress messages
SHUTDOWN_GRACE = 30.0  # seconds a closing bot gives running jobs to reach a batch boundary
INTERNAL = "the bot could not run the ingest (the details are in the bot's log)"


class HandoffError(ExecbotError, RuntimeError):
    """The bot's socket exists but cannot be used; the message is meant for the user."""


class Busy(Exception):
    """The bot is ingesting already and the client asked not to wait."""


class Cancelled(Exception):
    """The client went away, or the bot is closing: the job stops at the next batch."""


class BotStarted(Exception):
    """A bot started serving the data directory while a local ingest waited for the write lock."""


def socket_path(data_dir: Path) -> Path:
    return Path(data_dir) / SOCKET_NAME


def failure_message(exc: BaseException, data_dir: Path) -> str | None:
    """The one-line message for an ingest that failed in a way the user can act on; None for a bug."""
    if isinstance(exc, ExecbotError):  # a model mismatch, a held lock, an unreachable Chroma server…
        return str(exc)
    if isinstance(exc, OSError):  # a full disk or a read-only data directory
        return f"cannot write the index: {exc.strerror or exc}"
    if isinstance(exc, sqlite3.Error):  # SQLite reports a full disk / read-only file as its own errors
        return (f"cannot write the index in {data_dir}: {exc} (is the disk full or read-only?); "
                "the next run repairs it")
    return None


# -- the job --------------------------------------------------------------------------------------


@dataclass
class Job:
    sources: list[str]
    opts: IngestOptions
    argv: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        o = self.opts
        return {"type": "ingest", "sources": self.sources, "fmt": o.fmt, "author": o.author, "mapping": o.mapping,
                "rebuild": o.rebuild, "wait": o.wait, "fetch_timeout": o.fetch_timeout, "argv": self.argv}

    @classmethod
    def from_json(cls, data: object) -> Job:
        """The job a client sent; ValueError (with a one-line message) for anything malformed."""
        if not isinstance(data, dict) or data.get("type") != "ingest":
            raise ValueError("not an ingest request")
        sources, mapping, argv = data.get("sources"), data.get("mapping") or {}, data.get("argv") or []
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise ValueError("sources must be a list of paths or URLs")
        fmt = data.get("fmt", "auto")
        if fmt != "auto" and fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        author = data.get("author")
        if author is not None and not isinstance(author, str):
            raise ValueError("author must be an executive key")
        if not isinstance(mapping, dict) or not all(k in MAP_FIELDS and isinstance(v, str) for k, v in mapping.items()):
            raise ValueError(f"mapping must map fields ({', '.join(MAP_FIELDS)}) to column names")
        timeout = data.get("fetch_timeout", 20.0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ValueError("fetch_timeout must be a positive number of seconds")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise ValueError("argv must be a list of strings")
        for src in sources:
            if is_url(src):
                continue
            # The client resolves paths: relative ones would be read from the bot's working directory.
            if not os.path.isabs(src):
                raise ValueError(f"not an absolute path: {src}")
            if not os.path.exists(src):
                raise ValueError(f"no such file or directory: {src}")
        opts = IngestOptions(fmt=fmt, author=author, mapping=dict(mapping), rebuild=bool(data.get("rebuild")),
                             wait=bool(data.get("wait", True)), fetch_timeout=float(timeout))
        return cls(list(sources), opts, list(argv))


# -- sockets --------------------------------------------------------------------------------------


@contextmanager
def _address(path: Path) -> Iterator[str]:
    """An address for `path` that fits a sockaddr_un (108 bytes): a deep data directory is reached
    through a file descriptor of its folder (/proc/self/fd/N/ingest.sock, Linux)."""
    if len(os.fsencode(str(path))) < 100 or not hasattr(os, "O_PATH") or not os.path.isdir("/proc/self/fd"):
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def peer_credentials(sock: socket.socket) -> tuple[int, int, int] | None:
    """(pid, uid, gid) of the process at the other end; None where SO_PEERCRED does not exist."""
    opt = getattr(socket, "SO_PEERCRED", None)
    if opt is None:
        return None
    size = struct.calcsize("3i")
    return struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, opt, size))


def _connect(path: Path, timeout: float) -> socket.socket | None:
    """A connection to the bot, or None when no bot serves: no socket, or a stale one (its bot was
    killed: nothing listens, and connect() is refused). Only a bot removes a stale socket, under the
    write lock: a client that did could remove the socket of a bot that has just started."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        with _address(path) as addr:
            s.connect(addr)
    except (FileNotFoundError, ConnectionRefusedError):
        s.close()
        return None
    except PermissionError:
        s.close()
        raise HandoffError(f"cannot use the running bot's socket {path}: permission denied "
                           "(run `execbot ingest` as the bot's user)") from None
    except OSError as exc:
        s.close()
        raise HandoffError(f"cannot reach the running bot through {path}: {exc.strerror or exc}") from None
    return s


def _read_message(f: Any) -> dict[str, Any] | None:
    line = f.readline()
    if not line:
        return None
    try:
        msg = json.loads(line)
    except ValueError:
        raise HandoffError("the running bot sent something that is not a message") from None
    if not isinstance(msg, dict):
        raise HandoffError("the running bot sent something that is not a message")
    return msg


def _hello(s: socket.socket, path: Path) -> tuple[Any, dict[str, Any]]:
    f = s.makefile("rb")
    try:
        msg = _read_message(f)
    except TimeoutError:
        raise HandoffError(f"the bot serving {path.parent} does not answer (is it stuck?)") from None
    if msg is None:
        raise HandoffError(f"the bot serving {path.parent} closed the connection")
    if msg.get("type") == "error":
        raise HandoffError(str(msg.get("message", "refused")))
    if msg.get("type") != "hello":
        raise HandoffError(f"{path} is not an execbot socket")
    if msg.get("version") != VERSION:
        raise HandoffError(f"the running bot speaks handoff version {msg.get('version')}, this execbot {VERSION}; "
                           "restart the bot after an upgrade")
    return f, msg


def probe(path: Path, timeout: float = PROBE_TIMEOUT) -> dict[str, Any] | None:
    """The hello of the bot serving `path`, or None when none does."""
    s = _connect(path, timeout)
    if s is None:
        return None
    try:
        return _hello(s, path)[1]
    finally:
        s.close()


def describe_bot(hello: dict[str, Any]) -> str:
    cmd = " ".join(str(a) for a in hello.get("argv") or [])[:80]
    return f"pid {hello.get('pid')}" + (f", `{cmd}`" if cmd else "")


# -- the client -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the bot said at the end: a report (and its exit code) or a one-line error."""

    exit_code: int
    report: dict[str, Any] | None = None
    error: str | None = None


def hand_over(data_dir: Path, job: Job, progress: Callable[[int], None] | None = None,
              say: Callable[[str], None] | None = None) -> Outcome | None:
    """Run `job` in the bot serving `data_dir`, streaming its progress; None when no bot serves it
    (the caller ingests locally). Blocking: this is the CLI's side."""
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    path = socket_path(data_dir)
    try:
        s = _connect(path, HELLO_TIMEOUT)
    except HandoffError as exc:
        return Outcome(1, error=str(exc))
    if s is None:
        return None
    with s:
        try:
            f, hello = _hello(s, path)
        except HandoffError as exc:
            return Outcome(1, error=str(exc))
        say(f"handing the ingest to the running bot ({describe_bot(hello)}), the writer of {data_dir}")
        # From here the job may take as long as it takes; a bot that dies closes the socket.
        s.settimeout(None)
        try:
            s.sendall((json.dumps(job.to_json(), ensure_ascii=False) + "\n").encode())
        except OSError:
            return Outcome(1, error=f"the bot ({describe_bot(hello)}) went away before taking the ingest")
        while True:
            try:
                msg = _read_message(f)
            except HandoffError as exc:
                return Outcome(1, error=str(exc))
            except OSError:
                msg = None
            if msg is None:
                return Outcome(1, error=f"the bot ({describe_bot(hello)}) stopped before the ingest finished; "
                                        "what it wrote is kept, and the next run completes it")
            kind = msg.get("type")
            if kind == "progress" and progress is not None:
                progress(int(msg.get("records", 0)))
            elif kind == "waiting":
                say(str(msg.get("message", "waiting for the bot…")))
            elif kind == "done":
                return Outcome(int(msg.get("exit_code", 1)), report=msg.get("report") or {})
            elif kind in ("busy", "error"):
                return Outcome(1, error=str(msg.get("message", kind)))


def ensure_no_bot(data_dir: Path) -> None:
    """Raise BotStarted if a bot serves `data_dir` (a local ingest calls this once it holds the lock)."""
    try:
        hello = probe(socket_path(data_dir))
    except HandoffError:
        hello = {}  # a socket that exists but cannot be used: do not write next to it
    if hello is not None:
        raise BotStarted()


# -- the server -----------------------------------------------------------------------------------


class Channel:
    """One job's connection, as the job's runner sees it: `progress` (the pipeline's progress callback),
    `waiting` (a message for the client's terminal) and `check` (stop if the client went away)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.done = 0
        self._sent = 0
        self.gone = False

    def check(self) -> None:
        if self.gone:
            raise Cancelled()

    def progress(self, n: int) -> None:
        # Called by the pipeline after each batch is committed: the one place a job can stop cleanly.
        self.done += n
        self.check()

    async def send(self, msg: dict[str, Any]) -> None:
        if self.gone:
            return
        try:
            self._writer.write((json.dumps(msg, ensure_ascii=False) + "\n").encode())
            await self._writer.drain()
        except (ConnectionError, OSError):
            self.gone = True

    async def waiting(self, message: str) -> None:
        await self.send({"type": "waiting", "message": message})

    async def pump(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            await self.flush_progress()

    async def flush_progress(self) -> None:
        """The records counted since the last progress message (the client adds them up)."""
        if self.done != self._sent:
            delta, self._sent = self.done - self._sent, self.done
            await self.send({"type": "progress", "records": delta})

    async def watch(self, reader: asyncio.StreamReader) -> None:
        """Notice the client going away (EOF or a reset); anything it sends meanwhile is ignored."""
        try:
            while await reader.read(4096):
                pass
        except (ConnectionError, OSError):
            pass
        self.gone = True


Runner = Callable[[Job, Channel], Awaitable[IngestReport]]


class HandoffServer:
    """The bot's side: serves `ingest.sock` in `data_dir` and runs each job through `runner` (which must
    serialise jobs with the bot's own ingests)."""

    def __init__(self, data_dir: Path, runner: Runner, *, uid: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.path = socket_path(self.data_dir)
        self.runner = runner
        self.uid = os.geteuid() if uid is None else uid
        self._server: asyncio.AbstractServer | None = None
        self._inode: tuple[int, int] | None = None
        self._sessions: set[asyncio.Task] = set()
        self._channels: set[Channel] = set()

    @property
    def serving(self) -> bool:
        return self._server is not None

    async def start(self) -> bool:
        """Serve the socket; False (with a warning logged) when another bot serves this data directory
        already or the socket cannot be made. Waits while a local ingest holds the write lock."""
        try:
            other = await asyncio.to_thread(probe, self.path)
            waited = False
            while other is None:
                try:
                    sock = await asyncio.to_thread(self._claim)
                except LockedError:
                    if not waited:
                        log.warning("waiting for the ingest writing %s%s to finish before serving it",
                                    self.data_dir, describe_holder(self.data_dir))
                        waited = True
                    await asyncio.sleep(0.5)
                    continue
                if isinstance(sock, dict):
                    other = sock
                    break
                self._server = await asyncio.start_unix_server(self._serve, sock=sock, limit=MAX_REQUEST)
                log.info("serving ingests for %s on %s", self.data_dir, self.path)
                return True
        except (HandoffError, OSError) as exc:
            log.warning("not serving ingests from `execbot ingest`: %s", exc)
            return False
        log.warning("another execbot (%s) already writes %s; `execbot ingest` hands its jobs to that one",
                    describe_bot(other), self.data_dir)
        return False

    def _claim(self) -> socket.socket | dict[str, Any]:
        """Under the write lock: the hello of a bot that serves already, or a new listening socket."""
        with write_lock(self.data_dir, wait=False):
            hello = probe(self.path)
            if hello is not None:
                return hello
            with suppress(FileNotFoundError):
                if not stat.S_ISSOCK(os.lstat(self.path).st_mode):
                    raise HandoffError(f"{self.path} exists and is not a socket; remove it")
                self.path.unlink()  # stale: its bot was killed (nothing listens on it)
                log.info("removed the stale socket %s", self.path)
            return self._bind()

    def _bind(self) -> socket.socket:
        # Bound under a private name, made 0600 before it listens, then renamed into place: a client
        # sees either no socket or a complete one, never one with wider permissions.
        tmp = self.path.with_name(f".{SOCKET_NAME}.{os.getpid()}")
        with suppress(FileNotFoundError):
            tmp.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with _address(tmp) as addr:
                sock.bind(addr)
            os.chmod(tmp, 0o600)
            sock.listen(16)
            os.rename(tmp, self.path)
            st = os.stat(self.path)
            self._inode = (st.st_dev, st.st_ino)
        except BaseException:
            sock.close()
            with suppress(OSError):
                tmp.unlink()
            raise
        sock.setblocking(False)
        return sock

    async def close(self) -> None:
        """Stop serving, end running jobs at their next batch, and remove the socket."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        self._remove_socket()
        for ch in self._channels:
            ch.gone = True
        if self._sessions:
            _, pending = await asyncio.wait(set(self._sessions), timeout=SHUTDOWN_GRACE)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.wait(pending)
        await server.wait_closed()

    def _remove_socket(self) -> None:
        # Only our own socket: after a long stall another bot may have replaced it.
        with suppress(OSError):
            st = os.stat(self.path)
            if (st.st_dev, st.st_ino) == self._inode:
                self.path.unlink()

    async def __aenter__(self) -> HandoffServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- one connection ---------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            await self._session(reader, writer)
        except Exception:  # never let one connection disturb the bot
            log.exception("an ingest connection failed")
        finally:
            if task is not None:
                self._sessions.discard(task)
            writer.close()
            with suppress(Exception):
                await writer.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        channel = Channel(writer)
        peer = peer_credentials(writer.get_extra_info("socket"))
        if peer is not None and peer[1] != self.uid:
            log.warning("refused an ingest connection from uid %d (pid %d): only uid %d may use %s",
                        peer[1], peer[0], self.uid, self.path)
            await channel.send({"type": "error", "message": f"refused: only the bot's own user (uid {self.uid}) "
                                                            "may hand it an ingest"})
            return
        argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
        await channel.send({"type": "hello", "version": VERSION, "pid": os.getpid(), "argv": argv})
        try:
            line = await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT)
        except (TimeoutError, ValueError, ConnectionError, OSError):
            return
        if not line:
            return  # a probe: it only wanted to know who serves
        try:
            job = Job.from_json(json.loads(line))
        except ValueError as exc:
            log.info("refused an ingest request: %s", exc)
            await channel.send({"type": "error", "message": str(exc)})
            return
        who = f"pid {peer[0]}" if peer else "a client"
        log.info("ingest handed over by %s: %s", who, " ".join(job.argv) or job.sources)
        watcher = asyncio.create_task(channel.watch(reader))
        pump = asyncio.create_task(channel.pump())
        self._channels.add(channel)
        try:
            report = await self.runner(job, channel)
        except Busy as exc:
            await channel.send({"type": "busy", "message": str(exc)})
            return
        except Cancelled:
            log.info("the ingest handed over by %s stopped after %d records (at a batch boundary): its "
                     "client went away, or the bot is closing", who, channel.done)
            return
        except Exception as exc:
            msg = failure_message(exc, self.data_dir)
            if msg is None:
                log.exception("the ingest handed over by %s failed", who)
                msg = INTERNAL
            else:
                log.warning("the ingest handed over by %s failed: %s", who, msg)
            await channel.send({"type": "error", "message": msg})
            return
        finally:
            self._channels.discard(channel)
            pump.cancel()
            watcher.cancel()
        await channel.flush_progress()
        log.info("the ingest handed over by %s: %d added, %d updated, %d unchanged, %d skipped",
                 who, report.added, report.updated, report.unchanged, report.skipped)
        await channel.send({"type": "done", "report": report.to_json(), "exit_code": report.exit_code})
