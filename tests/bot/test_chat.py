"""`execbot chat` answers the README's examples through the same command functions as Discord."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat import handle_line

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
