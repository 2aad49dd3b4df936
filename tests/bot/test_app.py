"""Start-up: the token stays secret, a missing token is one clear line, sharding is a setting."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import discord
from discord.ext import commands

from bot.app import ExecBot, ShardedExecBot, create_bot, run_bot
from bot.settings import BotSettings

ROOT = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "MTIzNDU2Nzg5.fake-token.do-not-log-me"


def _settings(**kw) -> BotSettings:
    return BotSettings(_env_file=None, **kw)


def test_settings_parse_ids_and_hide_the_token():
    s = _settings(DISCORD_TOKEN=FAKE_TOKEN, EXECBOT_QA_CHANNELS="1, 2", EXECBOT_ADMIN_ROLE_IDS="9",
                  EXECBOT_DIGEST_CHANNEL_ID="", EXECBOT_DIGEST_WEEKDAY="Friday")
    assert s.qa_channels == [1, 2] and s.admin_role_ids == [9]
    assert s.digest_channel_id is None and s.digest_weekday == "fri" and s.digest_weekday_index == 4
    assert FAKE_TOKEN not in repr(s) and FAKE_TOKEN not in str(s) and FAKE_TOKEN not in str(s.model_dump())
    assert s.token.get_secret_value() == FAKE_TOKEN


def test_bot_defaults():
    b = create_bot(_settings())
    assert isinstance(b, ExecBot) and not isinstance(b, commands.AutoShardedBot)
    assert b.allowed_mentions.everyone is False and b.allowed_mentions.users is False
    assert b.intents.message_content and b.help_command is None and b.command_prefix == "!"
    assert isinstance(create_bot(_settings(EXECBOT_AUTOSHARD="true")), ShardedExecBot)
    assert isinstance(create_bot(_settings(EXECBOT_AUTOSHARD="true")), commands.AutoShardedBot)


def test_run_without_token_exits_non_zero_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN" in lines[0] and "execbot chat" in lines[0]


def test_run_logs_start_up_without_the_token(monkeypatch, caplog):
    seen = {}

    async def fake_start(self, token, *, reconnect=True):  # stop right before logging in
        seen["token"] = token

    monkeypatch.setattr(commands.Bot, "start", fake_start)
    caplog.set_level(logging.DEBUG)
    assert run_bot(_settings(DISCORD_TOKEN=FAKE_TOKEN)) == 0
    assert seen["token"] == FAKE_TOKEN  # discord.py gets it…
    assert "starting execbot" in caplog.text
    assert FAKE_TOKEN not in caplog.text and "**********" in caplog.text  # …the log never does


def test_discord_login_failure_is_one_line(monkeypatch, capsys):
    async def bad_start(self, token, *, reconnect=True):
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(commands.Bot, "start", bad_start)
    assert run_bot(_settings(DISCORD_TOKEN=FAKE_TOKEN)) == 1
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN" in err and FAKE_TOKEN not in err
