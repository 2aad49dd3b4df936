"""Client/server mode against a real `chroma run` server, and the server going away and coming back."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import IngestOptions, ingest
from retrieval.engine import Engine
from retrieval.settings import RetrievalSettings
from retrieval.store.embedding import get_embedder
from retrieval.store.index import Index
from retrieval.store.vectors import VectorStoreError
from tests.robustness.rbhelpers import BIN, SAMPLE

pytestmark = [pytest.mark.embedding, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run --path DIR --host 127.0.0.1 --port N` as a subprocess; stop() and start() again on the
    same port and path simulate the server going away and coming back."""

    def __init__(self, path: Path, port: int, log: Path) -> None:
        self.path, self.port, self.log = path, port, log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2/heartbeat"

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN / "chroma"), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.path.parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            if self.alive():
                return
            time.sleep(0.1)
        raise RuntimeError("chroma run did not answer its heartbeat in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.proc = None
        # The port is free again once nothing answers.
        deadline = time.monotonic() + 15
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> Iterator[ChromaServer]:
    root = tmp_path_factory.mktemp("chroma-server")
    server = ChromaServer(root / "chroma", free_port(), root / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server_settings(chroma_server, tmp_path_factory) -> RetrievalSettings:
    return RetrievalSettings(EXECBOT_DATA_DIR=tmp_path_factory.mktemp("server-data"), CHROMA_HOST="127.0.0.1",
                             CHROMA_PORT=chroma_server.port)


async def test_index_and_search_through_a_chroma_server(server_settings, chroma_server):
    embedder = get_embedder("minilm")
    async with Index(server_settings, embedder=embedder) as ix:
        first = await ingest([str(SAMPLE)], IngestOptions(), index=ix)
        assert first.exit_code == 0, first.errors
        assert first.embedded > 0
        assert ix.vectors.host == "127.0.0.1"  # really the server, not an embedded store
        st = await ix.stats()
        assert st["posts"] == 40
        assert st["vectors"] == st["posts"] + st["chunks"]
        assert not (server_settings.data_dir / "chroma").exists()  # nothing embedded was written locally
        again = await ingest([str(SAMPLE)], IngestOptions(), index=ix)
        assert again.embedded == 0 and again.added == 0
    async with Engine(server_settings, Index(server_settings, embedder=embedder)) as engine:
        await engine.index.open()
        res = await engine.search("YU7")
        assert res.hits and all("YU7" in (h.text + h.title) for h in res.hits[:3]), [h.text[:60] for h in res.hits]
        await engine.index.close()


async def test_server_going_away_is_a_clear_error_and_the_engine_recovers(server_settings, chroma_server):
    embedder = get_embedder("minilm")
    index = Index(server_settings, embedder=embedder)
    async with Engine(server_settings, index) as engine:
        await index.open()
        try:
            if not (await index.stats())["posts"]:
                await ingest([str(SAMPLE)], IngestOptions(), index=index)
            ok = await engine.search("YU7")
            assert ok.hits
            chroma_server.stop()
            with pytest.raises(VectorStoreError) as err:
                await engine.search("YU7")
            msg = str(err.value)
            assert f"Chroma server 127.0.0.1:{chroma_server.port}" in msg, msg
            assert "Traceback" not in msg and len(msg) < 600, msg
            assert index.vectors._client is None and index.vectors._col is None  # reset after the failure
            # Still down: still a clear error (no stale half-open client), stats too.
            with pytest.raises(VectorStoreError):
                await engine.search("SU7")
            with pytest.raises(VectorStoreError):
                await index.stats()
            chroma_server.start()
            back = await engine.search("YU7")  # the same Engine, the same process
            assert [h.uid for h in back.hits] == [h.uid for h in ok.hits]
            assert (await index.stats())["vectors"] > 0
        finally:
            await index.close()
            if chroma_server.proc is None:
                chroma_server.start()
