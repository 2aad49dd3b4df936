"""The executive registry: data/executives.toml plus executives learned from data.

Posts are attached to an executive through it, and questions are filtered by the names it knows.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.models import Executive

DEFAULT_REGISTRY = Path(__file__).resolve().parents[2] / "data" / "executives.toml"


def slugify(name: str) -> str:
    """A stable key from a display name: 'Elon Musk' -> 'elonmusk', '财富密钥' -> '财富密钥'."""
    norm = unicodedata.normalize("NFKC", name).strip().lower()
    norm = re.sub(r"[\s\-_.·•@]+", "", norm)
    return re.sub(r"[^\w]", "", norm) or "unknown"


def derived_aliases(name: str, handle: str = "") -> list[str]:
    """Aliases for an executive known only from data: full name, family and given names, handle."""
    out: list[str] = []
    parts = [p for p in re.split(r"[\s·•]+", name.strip()) if p]
    if len(parts) >= 2:
        out += [parts[0], parts[-1]]  # given and family name in Western order
    if handle:
        out.append(handle.lstrip("@"))
    return [a for a in dict.fromkeys(out) if a and a != name]


def load_registry_file(path: Path) -> list[Executive]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    out = []
    for item in data.get("executive", []):
        out.append(
            Executive(
                key=str(item["key"]),
                name=str(item.get("name") or item["key"]),
                aliases=[str(a) for a in item.get("aliases", [])],
                company=str(item.get("company", "")),
                platform_ids={k: [str(x) for x in v] for k, v in item.get("platform_ids", {}).items()},
                origin="registry",
            )
        )
    return out


@dataclass
class Registry:
    executives: dict[str, Executive] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None, extra: list[Executive] | None = None) -> Registry:
        reg = cls()
        path = path or DEFAULT_REGISTRY
        if path.exists():
            for ex in load_registry_file(path):
                reg.executives[ex.key] = ex
        for ex in extra or []:
            reg.executives.setdefault(ex.key, ex)
        return reg

    def without(self, key: str) -> Registry:
        return Registry({k: ex for k, ex in self.executives.items() if k != key})

    def get(self, key: str) -> Executive | None:
        return self.executives.get(key)

    def by_platform_id(self, platform: str, ident: str) -> Executive | None:
        ident = ident.strip().lstrip("@").lower()
        if not ident:
            return None
        for ex in self.executives.values():
            for pid in ex.platform_ids.get(platform, []):
                if pid.lower() == ident:
                    return ex
        return None

    def by_name(self, name: str) -> Executive | None:
        """Exact (case-insensitive) match on key, name or alias."""
        needle = unicodedata.normalize("NFKC", name).strip().lstrip("@").lower()
        if not needle:
            return None
        for ex in self.executives.values():
            if needle == ex.key.lower() or needle in (n.lower() for n in ex.all_names()):
                return ex
        return None

    def resolve(self, platform: str, author_id: str = "", author_name: str = "") -> Executive | None:
        return (
            self.by_platform_id(platform, author_id)
            or self.by_platform_id(platform, author_name)
            or self.by_name(author_name)
            or self.by_name(author_id)
        )

    def add_from_data(self, key: str, name: str = "", handle: str = "", platform: str = "") -> Executive:
        """Register an executive learned from data (an --author key or an author column)."""
        name = name or key
        ex = Executive(
            key=key,
            name=name,
            aliases=derived_aliases(name, handle),
            platform_ids={platform: [handle]} if platform and handle else {},
            origin="data",
        )
        self.executives[key] = ex
        return ex
