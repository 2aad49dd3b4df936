"""Index (SQLite + Chroma), embeddings and search. The bottom layer: imports neither ingest nor bot."""
