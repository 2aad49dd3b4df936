"""The `execbot` query commands on the command line: our errors become one `error:` line and exit 1;
anything else (a bug) is not swallowed."""

from __future__ import annotations

import pytest

from bot.cli import main
from retrieval.settings import get_settings


@pytest.fixture
def cli_env(sample_settings, monkeypatch):
    monkeypatch.setenv("EXECBOT_DATA_DIR", str(sample_settings.data_dir))
    monkeypatch.setenv("EXECBOT_NOW", "2025-06-02")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_search_prints_hits(cli_env, capsys):
    assert main(["search", "YU7", "--k", "3"]) == 0
    out = capsys.readouterr().out
    assert "YU7" in out


@pytest.mark.parametrize("argv, says", [
    (["top", "fortnightish"], "I don't know the period 'fortnightish'"),
    (["search", "YU7", "--since", "the day after"], "Can't read the date 'the day after'"),
    (["ask", "YU7", "--until", "32/13"], "Can't read the date '32/13'"),
])
def test_a_bad_period_or_date_is_one_error_line(cli_env, capsys, argv, says):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_an_unreadable_data_directory_is_one_error_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    monkeypatch.setenv("EXECBOT_DATA_DIR", str(blocker))
    get_settings.cache_clear()
    try:
        assert main(["stats"]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot read the index in {blocker}")


def test_a_bug_is_not_dressed_up_as_a_user_error(cli_env, monkeypatch):
    from retrieval.engine import Engine

    async def broken(self, *a, **k):
        raise KeyError("a bug")

    monkeypatch.setattr(Engine, "top", broken)
    with pytest.raises(KeyError):
        main(["top", "week"])
