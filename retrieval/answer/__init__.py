"""Answers from hits: extractive, or generated from a guarded prompt, with citations checked."""
