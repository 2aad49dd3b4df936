from retrieval.search.fusion import rrf


def test_item_in_both_rankings_beats_items_in_one():
    fused = rrf([["a", "b", "c"], ["c", "d"]])
    assert fused[0][0] == "c"
    assert {i for i, _ in fused} == {"a", "b", "c", "d"}


def test_scores_follow_the_formula():
    fused = dict(rrf([["a", "b"], ["b"]], k=60))
    assert abs(fused["a"] - 1 / 61) < 1e-12
    assert abs(fused["b"] - (1 / 62 + 1 / 61)) < 1e-12


def test_weights_shift_the_balance():
    assert rrf([["a"], ["b"]], weights=[1.0, 2.0])[0][0] == "b"
