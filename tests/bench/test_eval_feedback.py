"""bench.eval reads `execbot feedback --json` exports back as labelled questions."""

from __future__ import annotations

from bench.eval import feedback_questions, score_one


def test_helpful_answers_become_questions_and_misses_are_listed():
    export = [
        {"answer_id": "1", "question": "what did Lei Jun say about YU7?", "cited": ["PtSGQ7vmz", "PuuzNAYfV"],
         "filters": {"author": "leijun", "until": None}, "up": 2, "down": 0},
        {"answer_id": "2", "question": "雷军怎么看华为？", "cited": [], "filters": {}, "up": 0, "down": 1},
        {"answer_id": "3", "question": "tie", "cited": ["x"], "filters": {}, "up": 1, "down": 1},
    ]
    qs, misses = feedback_questions(export)
    assert [q.question for q in qs] == ["what did Lei Jun say about YU7?"]
    assert qs[0].author == "leijun" and qs[0].grades == {"PtSGQ7vmz": 2, "PuuzNAYfV": 2}
    assert [m["answer_id"] for m in misses] == ["2", "3"]  # a tie is not a vote of confidence
    assert score_one(qs[0], ["other", "PuuzNAYfV"])["hit@5"] == 1.0
    assert score_one(qs[0], ["other"])["hit@5"] == 0.0
