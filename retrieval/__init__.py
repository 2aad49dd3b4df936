"""Index (SQLite + Chroma), embeddings and search. The bottom layer: imports neither ingest nor bot.

Importing it sets the offline environment once, for every entry point (CLI, bot, tests, benchmarks):
no model hub is ever reached at run time and Chroma sends no telemetry. setdefault lets a user override.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
