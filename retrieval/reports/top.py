"""Most-engaged posts of a period: plain SQL over the docs table, no embeddings involved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from retrieval.models import Hit
from retrieval.store.sqlite import HIT_COLUMNS, HIT_WIDTH, Store, row_to_hit, to_epoch

METRICS = ("engagement", "likes", "shares", "comments")  # engagement = likes + shares + comments

# Column names are fixed strings here, never user input, so building SQL from them is safe.
_METRIC_SQL = {
    "engagement": "(likes + shares + comments)",
    "likes": "likes",
    "shares": "shares",
    "comments": "comments",
}


def post_filter(since: datetime | None, until: datetime | None, executive: str | None) -> tuple[str, list[Any]]:
    """WHERE clause (and its parameters) for posts in [since, until) of an optional executive."""
    where = ["kind = 'post'"]
    params: list[Any] = []
    if since is not None:
        where.append("published_at >= ?")
        params.append(to_epoch(since))
    if until is not None:
        where.append("published_at < ?")
        params.append(to_epoch(until))
    if executive:
        where.append("executive = ?")
        params.append(executive)
    return " AND ".join(where), params


async def top_posts(
    store: Store,
    *,
    since: datetime | None,
    until: datetime | None,
    executive: str | None,
    by: str = "engagement",
    n: int = 10,
    with_pictures: bool = False,
) -> list[Hit]:
    """Posts in [since, until) ordered by the metric (desc), then newest first; Hit.score = the metric.

    Posts with identical texts are kept apart: they are different posts with their own engagement.
    `with_pictures` keeps only posts that carry a picture (the digest's photo of the week).
    """
    if by not in _METRIC_SQL:
        raise ValueError(f"unknown metric {by!r}; use one of {', '.join(METRICS)}")
    if n <= 0:
        return []
    where, params = post_filter(since, until, executive)
    if with_pictures:
        where += " AND pics NOT IN ('', '[]')"
    # id breaks remaining ties so the order never depends on insertion luck.
    sql = (
        f"SELECT {HIT_COLUMNS}, {_METRIC_SQL[by]} AS metric FROM docs WHERE {where} "
        "ORDER BY metric DESC, published_at DESC, id DESC LIMIT ?"
    )
    rows = await store.fetchall(sql, [*params, n])
    return [row_to_hit(row, score=float(row[HIT_WIDTH])) for row in rows]
