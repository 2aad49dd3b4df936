"""Ranking: keyword and vector, cross-language expansion, segmentation, fusion, dedupe, hybrid search."""
