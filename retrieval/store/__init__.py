"""The index: SQLite, Chroma, embedders, write path and repair, registry, tokens; what ingest imports."""
