"""extract_topics: Chinese words via jieba, product names and English words by count."""

from __future__ import annotations

import re

from retrieval.reports.topics import extract_topics
from retrieval.store.text import is_cjk
from tests.retrieval.reports.test_top import sample_posts


def test_sample_week_topics_have_product_names_and_chinese_words():
    topics = extract_topics([p["text"] for p in sample_posts()], k=10)
    assert len(topics) == 10
    assert "SU7" in topics and "YU7" in topics
    assert "XRING O1" in topics  # a two-word product name stays whole
    assert any(all(is_cjk(c) for c in t) for t in topics)
    # Filler that appears in many posts is not a topic.
    assert not {"大家", "今天", "谢谢", "Happy", "Thank"} & set(topics)


def test_filters_urls_numbers_single_chars_and_stopwords():
    texts = [
        "Check https://t.co/AbC123 for the SU7 news 2025 a b",
        "More SU7 news at www.example.com/page 2025 x y",
        "The the the and and 28000 28000 SU7",
        "news news X X",
        "SU7 SU7",
    ]
    topics = extract_topics(texts)
    assert topics[0] == "SU7"
    assert "news" in topics
    for t in topics:
        assert len(t) > 1 and not t.isdigit()
        assert t.lower() not in {"the", "and", "https", "t.co", "www", "com", "abc123", "example"}
        assert not re.search(r"https?|://|\.", t)


def test_unique_case_insensitively():
    topics = extract_topics(["Starship launch", "starship launch", "STARSHIP rocks", "Starship again", "more"])
    assert [t.lower() for t in topics].count("starship") == 1
    assert "Starship" in topics  # the most common spelling


def test_english_posts_with_versioned_names():
    texts = [
        "Grok 3 is out now",
        "Grok 3 rocks",
        "FSD v13 rolling out to everyone",
        "FSD v13 is great",
        "Starship flight today. Starship!",
    ]
    topics = extract_topics(texts, k=3)
    assert set(topics) == {"Grok 3", "FSD v13", "Starship"}


def test_empty_and_k():
    assert extract_topics([]) == []
    assert extract_topics(["", "   "]) == []
    assert len(extract_topics([p["text"] for p in sample_posts()], k=3)) == 3
