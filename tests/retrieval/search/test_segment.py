"""Chinese questions are searched word by word (jieba), not bigram by bigram."""

from __future__ import annotations

from retrieval.search.segment import parts, search_terms, teach, trim_stopwords


def test_chinese_question_is_cut_into_its_content_words():
    # The bigrams 读乔, 斯传, 传的 and 的读 straddle words: they used to weigh in the relevance gate.
    assert search_terms("读乔布斯传的读书笔记") == ["乔布斯", "读书笔记"]
    assert search_terms("怎么回顾在酷讯的创业经历") == ["酷讯", "创业", "经历"]  # no 怎么, 回顾 or 的


def test_the_blogger_is_the_account_not_a_topic():
    assert search_terms("博主 美债抛售") == ["美债", "抛售"]
    assert search_terms("What did the blogger say about tariffs") == ["tariffs"]


def test_latin_words_and_mixed_runs():
    assert search_terms("小米SU7交付量 and YU7") == ["小米", "su7", "交付", "yu7"]


def test_a_run_with_no_word_is_still_searched():
    # 呃呃呃 has no dictionary word of two characters: searched as its bigrams rather than dropped.
    assert search_terms("呃呃呃") == ["呃呃"]
    assert search_terms("的") == []  # a stopword alone is nothing to search for


def test_taught_names_stay_whole():
    assert "玄戒芯" not in search_terms("玄戒芯片")
    teach(["拼多多"])
    assert search_terms("怎么看拼多多") == ["拼多多"]


def test_framing_words_are_not_topics():
    assert search_terms("团队不够high怎么办") == ["团队", "不够", "high"]
    assert search_terms("谈谈小米汽车") == ["小米", "汽车"]


def test_trim_stopwords_takes_framing_off_the_ends_of_a_glued_word():
    assert trim_stopwords("博主美债") == "美债"
    assert trim_stopwords("美债的") == "美债"
    assert trim_stopwords("外观设计") == "外观设计"  # nothing to take off
    assert trim_stopwords("怎么") == "怎么"  # never shorter than two characters


def test_parts_of_a_compound_are_its_longest_dictionary_words():
    assert parts("外观设计") == ["外观", "设计"]
    assert parts("电动自行车") == ["电动", "自行车"]  # not 自行 or 行车, which lie inside 自行车
    assert parts("太闷") == []


def test_words_that_the_dictionary_lists_as_one_are_searched_whole():
    # jieba cuts 中国菜 ("Chinese cuisine") into 中国 + 菜 and 比特币 into 比特 + 币; a question about
    # the dish is not a question about China, and 币 alone would be dropped as one character.
    compounds = {"中国菜", "比特币", "中央汇金"}
    assert search_terms("马斯克喜欢吃什么中国菜？") == ["马斯克", "喜欢", "中国"]
    assert search_terms("马斯克喜欢吃什么中国菜？", compounds) == ["马斯克", "喜欢", "中国菜"]
    assert search_terms("雷军对比特币怎么看", compounds) == ["雷军", "比特币"]
    # Framing words never join: 怎么 + 看 is no topic even if a dictionary had the whole.
    assert search_terms("雷军怎么看电动车", {"怎么看", "怎么看电"}) == search_terms("雷军怎么看电动车")


def test_a_run_of_framing_words_adds_nothing_when_the_question_has_topics():
    # "有什么看法" after a bracket is a run of its own: its bigrams (有什, 么看) are no topic.
    assert search_terms("张一鸣对区块链(NFT)有什么看法？") == ["张一鸣", "区块", "nft"]
    assert search_terms("2012年3月的招聘") == ["2012", "3", "招聘"]  # 年 alone is no topic either
