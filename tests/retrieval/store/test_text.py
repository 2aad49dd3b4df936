from retrieval.store.text import content_hash, fts_document, fts_match, glued_words, query_tokens, tokens


def test_chinese_runs_become_bigrams_and_latin_words_stay_whole():
    assert tokens("小米YU7将于七月量产") == ["小米", "yu7", "将于", "于七", "七月", "月量", "量产"]


def test_two_character_words_are_tokens():
    # FTS5 trigram cannot match these; bigrams must.
    for word in ("量产", "雷军", "小米"):
        assert word in tokens(f"今天{word}来了")


def test_query_tokens_drop_stopwords_and_keep_topic():
    assert query_tokens("What did he say about the YU7 and 量产?") == ["yu7", "量产"]


def test_fts_match_quotes_terms():
    assert fts_match(['a"b', "yu7"]) == '"a""b" OR "yu7"'


def test_content_hash_ignores_surrounding_space_but_not_content():
    assert content_hash(" 分享图片 ") == content_hash("分享图片")
    assert content_hash("分享图片") != content_hash("分享视频")


def test_content_free_posts():
    from retrieval.store.text import is_content_free

    for text in ("转发微博", "分享图片", "https://t.co/abc", "@雷军 @小米汽车", "#小米SU7#", "Repost", "  ",
                 "转发微博 //@小米公司: 小米YU7正式发布", "转发微博\n\n// 转发 @小米公司: 小米15周年，感谢每一位米粉"):
        assert is_content_free(text), text  # a bare repost: the quoted words are not the author's
    for text in ("团队辛苦了！向所有在测试一线的工程师致敬\n\n// 转发 @小米汽车: 高温测试", "Exactly."):
        assert not is_content_free(text), text


def test_content_free_check_agrees_with_the_full_count():
    """is_content_free skips the boilerplate regex when no phrase can be there and stops counting at
    MIN_CONTENT_CHARS: it must still agree with content_chars on boilerplate in any case or script."""
    from retrieval.store.text import MIN_CONTENT_CHARS, content_chars, is_content_free

    texts = ["RT", "rt @elonmusk", "REPOST", "ReTweet!", "轉發微博", "分享視頻 https://t.cn/x", "網頁鏈接",
             "[图片][视频]", "[生日动态]", "RT good", "abc RT", "start", "Great part", "小米 转发微博", "分享",
             "[无文字] 好", "#话题# 分享图片 @某人", "art", "xyz", "雷军 网页链接"]
    for text in texts:
        assert is_content_free(text) == (content_chars(text) < MIN_CONTENT_CHARS), text
    assert is_content_free("REPOST") and is_content_free("轉發微博") and not is_content_free("Great part")


def test_language_of_posts_and_questions():
    from retrieval.store.text import language

    assert language("5月，小米SU7交付量超过28000台！") == "zh"
    assert language("What did Lei Jun say about SU7?") == "en"


def test_glued_english_in_a_chinese_post_is_also_indexed_as_words():
    doc = fts_document("体会到《sevenhabitsofeffectivepeople》中说到的原则，和BillGates聊了操作系统").split()
    assert doc[doc.index("sevenhabitsofeffectivepeople") + 1 : doc.index("sevenhabitsofeffectivepeople") + 6] == [
        "seven", "habits", "of", "effective", "people"]
    assert doc[doc.index("billgates") : doc.index("billgates") + 3] == ["billgates", "bill", "gates"]


def test_english_posts_and_short_or_odd_runs_stay_whole():
    assert fts_document("Starlink and SpaceX: Cybertruckdeliveries soon").split() == [
        "starlink", "and", "spacex", "cybertruckdeliveries", "soon"]
    assert glued_words("xiaomi") == ()  # too short to tell from a name
    assert glued_words("leijunxyz") == ()  # l + eijun...: stray letters are no split
    assert glued_words("gprs2025abc") == ()  # not letters only
    assert glued_words("billgates") == ("bill", "gates")


def test_a_name_glued_to_its_number_is_also_indexed_as_the_name():
    doc = fts_document("放弃代表时尚的iphone4，换上milestone").split()
    assert doc[doc.index("iphone4") : doc.index("iphone4") + 2] == ["iphone4", "iphone"]
    assert "iphone" in fts_document("Upgraded from my iPhone14 today").split()  # English posts too
    # Two letters stay whole: a question about SU7 asks for su7, not for every "su".
    assert fts_document("小米SU7交付").split().count("su") == 0
    assert "covid" not in fts_document("covid2025abc is not a name and a number").split()
