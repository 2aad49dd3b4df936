import discord
import pytest

from bot.limits import EMBED_DESCRIPTION, EMBED_TOTAL, FIELD_VALUE, clip_to_limit, fit_embed, split_message


def test_clip_keeps_short_text():
    assert clip_to_limit("short.", 10) == "short."


def test_clip_cuts_at_a_sentence_end_with_ellipsis():
    text = "First sentence here. Second sentence is longer than the limit allows."
    out = clip_to_limit(text, 40)
    assert out == "First sentence here.…"
    assert len(out) <= 40


def test_clip_keeps_citation_markers_with_their_sentence():
    text = "小米YU7预计7月量产。[1] 大家再耐心等一等，我们一定把车造好！[2] " + "更多内容" * 50
    out = clip_to_limit(text, 40)
    assert out.endswith("[2]…") or out.endswith("[1]…")
    assert len(out) <= 40


def test_clip_falls_back_to_words_then_hard_cut():
    assert clip_to_limit("alpha beta gamma delta epsilon", 20) == "alpha beta gamma…"
    hard = clip_to_limit("x" * 50, 10)
    assert hard == "x" * 9 + "…" and len(hard) == 10


@pytest.mark.parametrize("limit", [0, 1])
def test_clip_tiny_limits(limit):
    assert len(clip_to_limit("hello world", limit)) == limit


def test_split_message_respects_the_limit_and_loses_nothing():
    sentences = [f"Sentence number {i} says something about YU7 mass production." for i in range(120)]
    text = " ".join(sentences)
    assert len(text) > 2000
    parts = split_message(text)
    assert len(parts) >= 3
    assert all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts)  # cut at sentence ends
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


def test_split_message_prefers_line_breaks_and_hard_cuts_unbroken_text():
    text = "\n".join(f"line {i} " + "y" * 90 for i in range(40))
    parts = split_message(text, 500)
    assert all(len(p) <= 500 for p in parts)
    assert all(p.startswith("line ") for p in parts)
    blob = split_message("z" * 4500)
    assert [len(p) for p in blob] == [2000, 2000, 500]


def test_fit_embed_enforces_discord_limits():
    e = discord.Embed(title="t" * 300, description="Sentence. " * 1000)
    for i in range(30):
        e.add_field(name=f"f{i}", value="v" * 2000)
    fit_embed(e)
    assert len(e.title) <= 256
    assert len(e.description) <= EMBED_DESCRIPTION
    assert len(e.fields) <= 25
    assert all(len(f.value) <= FIELD_VALUE for f in e.fields)
    assert len(e) <= EMBED_TOTAL
