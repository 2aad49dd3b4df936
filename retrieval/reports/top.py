"""Most-engaged posts of a period: plain SQL over the docs table, no embeddings involved."""

from __future__ import annotations

from datetime import datetime

from retrieval.models import METRICS, Hit, Metric
from retrieval.store.sqlite import HIT_COLUMNS, HIT_WIDTH, Store, doc_where, row_to_hit, to_epoch

__all__ = ["METRICS", "Metric", "top_posts"]  # engagement = likes + shares + comments

# Column names are fixed strings here, never user input, so building SQL from them is safe.
_METRIC_SQL: dict[str, str] = {
    "engagement": "(likes + shares + comments)",
    "likes": "likes",
    "shares": "shares",
    "comments": "comments",
}
assert tuple(_METRIC_SQL) == METRICS  # one metric type: retrieval.models.Metric


async def top_posts(
    store: Store,
    *,
    since: datetime | None,
    until: datetime | None,
    executive: str | None,
    by: str = "engagement",  # one of METRICS (retrieval.models.Metric)
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
    where, params = doc_where(executive, to_epoch(since), to_epoch(until))
    if with_pictures:
        where += " AND pics NOT IN ('', '[]')"
    # id breaks remaining ties so the order never depends on insertion luck.
    sql = (
        f"SELECT {HIT_COLUMNS}, {_METRIC_SQL[by]} AS metric FROM docs WHERE {where} "
        "ORDER BY metric DESC, published_at DESC, id DESC LIMIT ?"
    )
    rows = await store.fetchall(sql, [*params, n])
    return [row_to_hit(row, score=float(row[HIT_WIDTH])) for row in rows]
