"""Period reports: most-engaged posts, summaries with topics and a chart, the digest's prose."""
