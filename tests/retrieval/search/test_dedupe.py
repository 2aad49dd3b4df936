from retrieval.models import Hit
from retrieval.search.dedupe import fold_duplicates, similarity


def hit(i: str, text: str) -> Hit:
    return Hit(id=i, kind="post", author="leijun", published_at=None, text=text, url="", likes=0, shares=0,
               comments=0, score=0.0)


def test_same_text_twice_is_folded_into_the_better_ranked():
    out = fold_duplicates([hit("1", "分享图片"), hit("2", "SU7 交付超过28000台"), hit("3", "分享图片")])
    assert [h.id for h in out] == ["1", "2"]
    assert out[0].folded == ["3"]


def test_repost_containing_the_original_is_folded():
    original = "小米YU7将于七月正式量产，工厂已经做好准备，感谢大家的支持！"
    repost = f"转发微博 // 转发 @小米汽车: {original}"
    out = fold_duplicates([hit("a", original), hit("b", repost)])
    assert [h.id for h in out] == ["a"]


def test_different_posts_are_kept():
    a = "小米YU7将于七月正式量产"
    b = "今天早上跑了十公里，天气很好"
    assert similarity(a, b) < 0.3
    assert len(fold_duplicates([hit("a", a), hit("b", b)])) == 2
