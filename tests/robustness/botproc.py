"""A real bot process for the tests: `execbot -v chat` (tests.robustness.runcli, so the EXECBOT_TEST_* hooks
apply) reading questions from a pipe. `ask` sends one line and returns the bot's reply to it.

A reply ends where the reply to an end marker begins: after each question the helper sends `!zzendN`, an
unknown command, and the bot's "I don't know the command `zzendN`" closes the reply before it. So no reply
format is assumed, and lines the bot prints on its own never end a reply early.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from contextlib import suppress
from pathlib import Path

from tests.robustness.rbhelpers import cli_cmd

INTERNAL = "Sorry, something went wrong on my side"


class ConsoleBot:
    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        self._log_file = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            cli_cmd("-v", "chat"), env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log_file, text=True, bufsize=1, encoding="utf-8",
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._lock = threading.Lock()
        self._n = 0
        self.replies: list[tuple[str, str, float]] = []  # (question, reply, seconds)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def ask(self, question: str, timeout: float = 120) -> str:
        with self._lock:
            self._n += 1
            end = f"zzend{self._n}"
            t0 = time.monotonic()
            assert self.proc.stdin is not None
            self.proc.stdin.write(f"{question}\n!{end}\n")
            self.proc.stdin.flush()
            got: list[str] = []
            deadline = t0 + timeout
            while True:
                try:
                    line = self._lines.get(timeout=max(0.01, deadline - time.monotonic()))
                except queue.Empty:
                    raise AssertionError(f"no reply to {question!r} in {timeout}s; log: {self.tail()}") from None
                if line is None:
                    raise AssertionError(f"the bot exited ({self.proc.poll()}) while answering {question!r}: "
                                         f"{self.tail()}")
                if f"I don't know the command `{end}`" in line:
                    break
                got.append(line)
            text = "\n".join(got)
            # Drop the echo of the question and of the end marker.
            text = text.replace(f"you> {question.strip()}", "", 1).replace(f"you> !{end}", "")
            reply = text.strip()
            self.replies.append((question, reply, time.monotonic() - t0))
            return reply

    def wait_serving(self, data_dir: Path, timeout: float = 120) -> None:
        """Until the bot serves the data directory (its socket exists and it answers a question)."""
        deadline = time.monotonic() + timeout
        while not (data_dir / "ingest.sock").exists():
            assert self.proc.poll() is None, self.tail()
            assert time.monotonic() < deadline, "the bot never made its socket"
            time.sleep(0.05)
        self.ask("!stats", timeout=timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, timeout: float = 120) -> int:
        """End of input: the console exits by itself (and removes its socket)."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log_file.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        if self.proc.stdin and not self.proc.stdin.closed:
            with suppress(OSError):
                self.proc.stdin.close()
        self._log_file.close()

    def tail(self, n: int = 3000) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-n:]
        except OSError:
            return ""

    def errors(self) -> list[str]:
        """Replies that are the bot's internal-error message, and tracebacks or errors in its log."""
        bad = [f"{q!r}: {r[:200]}" for q, r, _ in self.replies if INTERNAL in r]
        log = self.tail(10**9)
        bad += [ln for ln in log.splitlines() if ln.startswith(("Traceback", "ERROR", "CRITICAL"))]
        return bad
