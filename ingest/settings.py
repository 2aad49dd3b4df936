"""Settings owned by ingest: configured sources and their refresh."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from retrieval.settings import ExecbotSettings


class IngestSettings(ExecbotSettings):

    # Folders, files and feed URLs, comma-separated; what `/reingest` and the schedule re-read.
    sources: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["data/sample"], alias="EXECBOT_SOURCES")
    fetch_timeout: float = Field(20.0, alias="EXECBOT_FETCH_TIMEOUT")
    # Another ingest holds the write lock: wait for it (true) or exit at once with a message (false).
    wait_for_lock: bool = Field(True, alias="EXECBOT_WAIT_FOR_LOCK")

    @field_validator("sources", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        # NoDecode hands the raw env string over; a comma-separated list is friendlier than JSON here.
        if isinstance(value, str):
            return [s.strip() for s in value.split(",") if s.strip()]
        return value
