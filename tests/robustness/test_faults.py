"""Faults during an ingest: kill -9 at random points, a read-only data directory, a full disk.

Each ingest is a real `execbot ingest` process (tests.robustness.runcli = the CLI plus test hooks). By default
the children use a fast hashed embedder with small write batches, so a run has many commit points
(vector cache, Chroma upsert, docs rows) for a kill to land between; EXECBOT_SOAK_REAL_MODEL=1 uses the real
MiniLM model instead (slow: every child loads it).
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.reports import report
from tests.robustness.rbhelpers import (
    assert_clean_error,
    cli_env,
    consistency,
    last_json,
    popen_cli,
    post_text,
    run_cli,
    scale,
    tree_digest,
    write_csv,
)

pytestmark = pytest.mark.slow

REAL_MODEL = os.environ.get("EXECBOT_SOAK_REAL_MODEL") == "1"
KILLS = scale(3, 20)
ROWS = scale(800, 1500)
# Reported at the end of the session (see test_zz_report in this module).
RESULTS: dict[str, object] = report("fault outcomes", {})


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    return cli_env(data_dir, fake=not REAL_MODEL, batch=None if REAL_MODEL else 100, **extra)


def assert_consistent(data_dir: Path, expected_posts: int) -> dict:
    c = consistency(data_dir)
    assert c["posts"] == expected_posts, c["posts"]
    assert c["duplicates"] == 0
    assert c["missing"] == 0 and c["orphans"] == 0, (c["missing"], c["orphans"])
    assert c["vectors"] == len(c["uids"])
    return c


def test_kill_9_at_random_points_then_rerun_recovers(tmp_path):
    data = tmp_path / "data"
    rng = random.Random(int(os.environ.get("EXECBOT_SOAK_SEED", "0")) or None)
    expected = 0
    mid_run = 0
    for n in range(KILLS):
        src = tmp_path / f"batch{n}.csv"
        # Fresh texts each round: texts seen before come from the vector cache and leave nothing to kill.
        expected += write_csv(src, ROWS, repeated_texts=ROWS // 25, repeated_ids=ROWS // 40, seed=n + 1,
                              text_for=lambda i, n=n: f"round {n}: {post_text(i)}")
        env = env_for(data)
        # The stand-in embedder is fast: slow it a little (3 ms a text) so the kill lands mid-run.
        kill_env = env if REAL_MODEL else cli_env(data, batch=100, delay=0.003)
        proc = popen_cli(["ingest", "--json", str(src)], kill_env, tmp_path)
        assert "runcli: started" in proc.stderr.readline()
        # A random point: imports done; the writing phase takes a few seconds (the model adds ~5 s).
        time.sleep(rng.uniform(0.5, 9.0 if REAL_MODEL else 4.5))
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        if proc.returncode == -signal.SIGKILL:
            mid_run += 1
        else:
            assert proc.returncode == 0, err
        done = run_cli(["ingest", "--json", str(src)], env, tmp_path)
        assert done.returncode == 0, done.stderr
        assert_consistent(data, expected)
        again = run_cli(["ingest", "--json", str(src)], env, tmp_path)
        assert again.returncode == 0, again.stderr
        rep = last_json(again.stdout)
        assert rep["embedded"] == 0 and rep["added"] == 0 and rep["updated"] == 0, rep
    RESULTS["kills"] = f"{KILLS} of {KILLS} survived ({mid_run} landed mid-run), {ROWS} rows each, 0 records lost"
    print(f"\nfaults: {RESULTS['kills']}")


def _seed_store(tmp_path: Path, data: Path, rows: int = 60) -> int:
    src = tmp_path / "seed.csv"
    n = write_csv(src, rows, seed=99)
    p = run_cli(["ingest", str(src)], env_for(data), tmp_path)
    assert p.returncode == 0, p.stderr
    return n


def test_read_only_data_dir_fails_cleanly_and_changes_nothing(tmp_path, try_mount):
    """A read-only bind mount (root ignores permission bits, so chmod proves nothing here); without
    mount rights, plain chmod (only meaningful for a non-root user)."""
    data = tmp_path / "data"
    n = _seed_store(tmp_path, data)
    before = tree_digest(data)
    ro = tmp_path / "ro"
    if try_mount(ro, "--bind", str(data)) and subprocess.run(
        ["mount", "-o", "remount,bind,ro", str(ro)], capture_output=True
    ).returncode == 0:
        how = "read-only bind mount"
    elif os.geteuid() != 0:
        ro = data
        for p in [data, *data.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        how = "chmod a-w"
    else:
        pytest.skip("running as root without mount rights: cannot make a directory read-only for root")
    src = tmp_path / "new.csv"
    write_csv(src, 30, seed=7)
    p = run_cli(["ingest", str(src)], env_for(ro), tmp_path, timeout=120)
    line = assert_clean_error(p)
    assert "read-only" in line.lower() or "permission" in line.lower() or "readonly" in line.lower(), line
    if how == "chmod a-w":
        for q in [data, *data.rglob("*")]:
            q.chmod(0o755 if q.is_dir() else 0o644)
    assert tree_digest(data) == before
    assert consistency(data)["posts"] == n
    RESULTS["read_only"] = f"{how}: {line}"


def _fill_limits(data: Path, headroom: int):
    """preexec_fn for the RLIMIT_FSIZE fallback: files may not grow past the largest one + headroom."""
    limit = max((p.stat().st_size for p in data.rglob("*") if p.is_file()), default=0) + headroom

    def pre() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


def test_full_disk_fails_cleanly_and_next_run_completes(tmp_path, try_mount):
    """A full disk: a tiny tmpfs that fills up (then grown with remount), or, without mount rights,
    RLIMIT_FSIZE in the child (EFBIG, the same failure path as ENOSPC for the writer)."""
    disk = tmp_path / "disk"
    use_tmpfs = try_mount(disk, "-t", "tmpfs", "-o", "size=6m", "tmpfs") and not os.environ.get("EXECBOT_TEST_NO_TMPFS")
    if not use_tmpfs:
        disk.mkdir(exist_ok=True)
    data = disk / "data"
    n = _seed_store(tmp_path, data, rows=40)
    big = tmp_path / "big.csv"
    # Large distinct posts: text is stored in docs, in the FTS index and as Chroma metadata-free vectors.
    expected = n + write_csv(big, 400, seed=5, text_for=lambda i: f"big post {i} " + f"lorem ipsum {i} " * 1200)
    env = env_for(data)
    pre = None if use_tmpfs else _fill_limits(data, 3_000_000)
    p = run_cli(["ingest", str(big)], env, tmp_path, timeout=300, preexec_fn=pre)
    line = assert_clean_error(p)
    assert any(w in line.lower() for w in ("full", "space", "too large", "cannot write")), line
    if use_tmpfs:
        assert subprocess.run(["mount", "-o", "remount,size=300m", str(disk)], capture_output=True).returncode == 0
    again = run_cli(["ingest", "--json", str(big)], env, tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    assert_consistent(data, expected)
    RESULTS["full_disk"] = f"{'tmpfs 6 MB' if use_tmpfs else 'RLIMIT_FSIZE'}: {line}"


def test_stats_on_read_only_data_dir_is_a_clean_error(tmp_path, try_mount):
    data = tmp_path / "data"
    _seed_store(tmp_path, data, rows=10)
    ro = tmp_path / "ro"
    if not (try_mount(ro, "--bind", str(data)) and subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(ro)], capture_output=True).returncode == 0):
        pytest.skip("no mount rights")
    # A clean stats on a read-only copy would be exit 0 (or a clean error); it must not hang or trace back.
    # Removing the WAL/shm files is what a read-only snapshot (a backup copy) looks like.
    try:
        p = run_cli(["stats", "--json"], env_for(ro), tmp_path, timeout=15)
    except subprocess.TimeoutExpired:
        raise AssertionError("stats hung on a read-only data directory") from None
    assert "Traceback" not in p.stderr, p.stderr
    assert p.returncode in (0, 1)

