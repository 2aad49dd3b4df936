"""Activity chart of a summary: posts per day (bars) and engagement per day (line), as a PNG."""

from __future__ import annotations

from pathlib import Path

from retrieval.results import Summary


def draw_chart(summary: Summary, path: Path, title: str = "") -> Path:
    # Lazy, headless matplotlib: importing pyplot is slow, and a bot has no display.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    days = summary.by_day
    labels = [f"{d.day:%m-%d %a}" for d in days]
    xs = list(range(len(days)))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(days) + 2), 4))
    try:
        ax.bar(xs, [d.posts for d in days], color="#4C72B0", label="posts")
        ax.set_ylabel("posts")
        # Headroom above the tallest bar and line point keeps the legend clear of the data.
        ax.set_ylim(0, max((d.posts for d in days), default=0) * 1.3 + 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xticks(xs)
        ax.set_xticklabels(labels, rotation=45 if len(days) > 10 else 0, ha="right" if len(days) > 10 else "center",
                           fontsize=8)
        line_ax = ax.twinx()
        line_ax.plot(xs, [d.engagement for d in days], color="#DD8452", marker="o", label="engagement")
        line_ax.set_ylabel("engagement")
        line_ax.set_ylim(0, max((d.engagement for d in days), default=0) * 1.3 or 1)
        line_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        handles = ax.get_legend_handles_labels()[0] + line_ax.get_legend_handles_labels()[0]
        ax.legend(handles, ["posts", "engagement"], loc="upper left", fontsize=8)
        ax.set_title(title or summary.filters.label or "Activity by day")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)  # pyplot keeps every open figure alive otherwise
    return path
