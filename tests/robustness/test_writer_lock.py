"""One writer at a time, across real processes; readers keep answering during an ingest."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.robustness.rbhelpers import (
    PY,
    assert_clean_error,
    cli_env,
    consistency,
    last_json,
    lock_is_held,
    popen_cli,
    run_cli,
    scale,
    write_csv,
)

pytestmark = pytest.mark.slow

ROWS = scale(3000, 3000)


def test_one_writer_at_a_time_and_readers_keep_answering(tmp_path, request):
    data = tmp_path / "data"
    big, other = tmp_path / "big.csv", tmp_path / "other.csv"
    n_big = write_csv(big, ROWS, repeated_texts=ROWS // 30, seed=1)
    n_other = write_csv(other, 200, seed=2, author="Other Exec")
    # ~6 ms per text in the writer: the first ingest holds the lock for ~20 s, long enough to contend.
    env = cli_env(data, batch=200, delay=0.006)
    first = popen_cli(["ingest", "--json", str(big)], env, tmp_path)
    deadline = time.monotonic() + 60
    while not lock_is_held(data):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first ingest never took the lock"
        time.sleep(0.05)
    stop = tmp_path / "stop-reader"
    reader = subprocess.Popen([PY, "-m", "tests.robustness.reader", str(data), str(stop)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for proc in (first, reader):  # a failed assertion must not leave them running
        request.addfinalizer(lambda p=proc: p.poll() is None and p.kill())
    while not stop.with_suffix(".ready").exists():  # reads must overlap the write, not start after it
        assert reader.poll() is None, reader.communicate()
        assert time.monotonic() < deadline + 60, "the reader never got ready"
        time.sleep(0.05)

    refused = run_cli(["ingest", "--no-wait", str(other)], env, tmp_path, timeout=120)
    assert first.poll() is None, "the first ingest finished too early for the test to mean anything"
    line = assert_clean_error(refused, "another ingest")
    assert f"pid {first.pid}" in line and "big.csv" in line, line  # names the other ingest

    waiting = popen_cli(["ingest", "--wait", "--json", str(other)], env, tmp_path)
    stats_runs = []
    while first.poll() is None:
        st = run_cli(["stats", "--json"], env, tmp_path, timeout=120)
        stats_runs.append(st.returncode)
        assert st.returncode == 0, st.stderr
        assert "Traceback" not in st.stderr
    out1, err1 = first.communicate(timeout=300)
    first_done = time.monotonic()
    assert first.returncode == 0, err1
    assert last_json(out1)["added"] == n_big
    out2, err2 = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err2
    assert "waiting for another ingest" in err2 and f"pid {first.pid}" in err2, err2
    assert time.monotonic() >= first_done
    assert last_json(out2)["added"] == n_other

    stop.touch()
    rout, rerr = reader.communicate(timeout=120)
    assert reader.returncode == 0, rerr
    r = json.loads(rout.strip().splitlines()[-1])
    print(f"\nreader: {r}; stats CLI runs during the ingest: {len(stats_runs)}", file=sys.stderr)
    assert r["errors"] == [], r["errors"]
    assert r["iterations"] >= 3, r
    assert r["rows_without_vector"] == 0, r
    assert 0 < r["max_posts_seen"] <= n_big + n_other

    c = consistency(data)
    assert c["posts"] == n_big + n_other and c["missing"] == 0 and c["orphans"] == 0 and c["duplicates"] == 0
    assert not lock_is_held(data)
    again = run_cli(["ingest", "--no-wait", "--json", str(big), str(other)], env, tmp_path)
    assert again.returncode == 0 and last_json(again.stdout)["embedded"] == 0


WRITER = """
import sys, time, numpy as np
from pathlib import Path
from retrieval.store.vectors import VectorStore
vs = VectorStore(Path(sys.argv[1]))
n = int(sys.argv[2])
rng = np.random.default_rng(n)
if n:
    vs.upsert([f"v{i}" for i in range(n)], rng.random((n, 384)).astype("float32"), [{"kind": "post"}] * n)
else:
    vs.set_model("fake")
print(vs.count(), flush=True)
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))  # stay alive (a long ingest) while the reader reads
"""


def test_embedded_reader_survives_a_writer_process_first_flush(tmp_path):
    """An embedded reader that first saw an empty collection, then reads while another process has added
    fewer vectors than Chroma's first HNSW flush: chromadb fails with 'Error creating hnsw segment reader:
    Nothing found on disk' on every query until the flush. VectorStore reopens the store once and retries."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from retrieval.store.vectors import VectorStore

    path = tmp_path / "chroma"
    env = cli_env(tmp_path)
    subprocess.run([PY, "-c", WRITER, str(path), "0"], env=env, check=True, timeout=120, capture_output=True)
    reader = VectorStore(path)
    q = __import__("numpy").ones(384, dtype="float32")
    try:
        assert reader.query(q, 5) == []
        writer = subprocess.Popen([PY, "-c", WRITER, str(path), "200", "30"], env=env, stdout=subprocess.PIPE,
                                  text=True)
        try:
            assert writer.stdout.readline().strip() == "200"
            hits = reader.query(q, 5)  # the writer is still running: nothing flushed yet
            assert len(hits) == 5
            assert reader.count() == 200
        finally:
            writer.kill()
            writer.wait()
    finally:
        reader.reset_connection()
        SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
