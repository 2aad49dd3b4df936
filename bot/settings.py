"""Settings owned by the Discord bot (pydantic-settings: environment variables or .env)."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from retrieval.settings import ExecbotSettings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class BotSettings(ExecbotSettings):

    # SecretStr: repr/str/logs show '**********'; only run_bot() reads the value, to log in.
    token: SecretStr | None = Field(None, alias="DISCORD_TOKEN")
    prefix: str = Field("!", alias="EXECBOT_PREFIX", min_length=1)
    # Channels where every plain message is a question (comma-separated ids).
    qa_channels: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="EXECBOT_QA_CHANNELS")
    # Roles allowed to run admin commands besides members with Manage Server (comma-separated ids).
    admin_role_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="EXECBOT_ADMIN_ROLE_IDS")
    digest_channel_id: int | None = Field(None, alias="EXECBOT_DIGEST_CHANNEL_ID")
    digest_weekday: Weekday = Field("mon", alias="EXECBOT_DIGEST_WEEKDAY")
    digest_hour: int = Field(9, ge=0, le=23, alias="EXECBOT_DIGEST_HOUR")
    digest_timezone: str = Field("Asia/Shanghai", alias="EXECBOT_DIGEST_TIMEZONE")
    ingest_every_minutes: int = Field(0, ge=0, alias="EXECBOT_INGEST_EVERY_MINUTES")
    # Follows: at most this many posts per channel per round (the rest is one "and N more" line),
    # and how often to look for new posts besides after each ingest.
    follow_cap: int = Field(5, ge=1, le=50, alias="EXECBOT_FOLLOW_CAP")
    follow_poll_seconds: int = Field(60, ge=5, alias="EXECBOT_FOLLOW_POLL_SECONDS")
    # Conversations: /ask and @mentions open a thread for the answer; a follow-up keeps the executive
    # and period for this many turns, within this many minutes.
    ask_threads: bool = Field(False, alias="EXECBOT_ASK_THREADS")
    conversation_turns: int = Field(5, ge=1, le=50, alias="EXECBOT_CONVERSATION_TURNS")
    conversation_minutes: float = Field(30.0, gt=0, alias="EXECBOT_CONVERSATION_MINUTES")
    cooldown_rate: int = Field(3, ge=1, alias="EXECBOT_COOLDOWN_RATE")
    cooldown_per: float = Field(10.0, gt=0, alias="EXECBOT_COOLDOWN_PER")
    autoshard: bool = Field(False, alias="EXECBOT_AUTOSHARD")
    # When set, slash commands are copied to and synced with this guild at start-up (instant, for development).
    sync_guild_id: int | None = Field(None, alias="EXECBOT_SYNC_GUILD_ID")

    @field_validator("qa_channels", "admin_role_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(v) for v in value.replace(";", ",").split(",") if v.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("digest_channel_id", "sync_guild_id", "token", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # `EXECBOT_DIGEST_CHANNEL_ID=` in a .env means "off", not a validation error.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("digest_weekday", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> object:
        return value.strip().lower()[:3] if isinstance(value, str) else value

    @field_validator("digest_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        ZoneInfo(value)  # fail at start-up, not at the first digest
        return value

    @property
    def digest_tz(self) -> ZoneInfo:
        return ZoneInfo(self.digest_timezone)

    @property
    def digest_weekday_index(self) -> int:
        return WEEKDAYS.index(self.digest_weekday)
