"""Raw Weibo API pages (getIndex cards and mymblog lists), hand-made from the fields the API returns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.formats import FormatError, Issue, Record, detect, parse
from ingest.formats.weibo_api import mid_to_bid

EMOJI = ('<span class="url-icon"><img alt="[哈哈]" src="https://h5.sinaimg.cn/m/emoticon/icon/default/d_haha.png" '
         'style="width:1em; height:1em;" /></span>')
TOPIC = '<a href="https://m.weibo.cn/search?containerid=231522type%3D1%26q%3D%23YU7%23">#小米YU7#</a>'
LINK = ('<a data-url="http://t.cn/A6abc" href="https://weibo.cn/sinaurl?u=x"><span class="url-icon">'
        '<img style="width: 1rem;height: 1rem" src="https://h5.sinaimg.cn/upload/2015/09/25/3/timeline_card_small_web_default.png">'
        '</span><span class="surl-text">网页链接</span></a>')


def mblog(**over: object) -> dict:
    """A getIndex mblog."""
    m = {
        "id": "5171234567890123",
        "mid": "5171234567890123",
        "bid": "PqYU7mass",
        "created_at": "Sat May 31 20:15:00 +0800 2025",
        "text": f"小米YU7将于七月量产{EMOJI} {TOPIC}<br />详情见{LINK}",
        "attitudes_count": 12000,
        "comments_count": 4800,
        "reposts_count": "5200",
        "user": {"id": 1749127163, "screen_name": "雷军"},
        "pics": [{"pid": "a1", "url": "https://wx1.sinaimg.cn/orj360/a1.jpg",
                  "large": {"url": "https://wx1.sinaimg.cn/large/a1.jpg"}}],
        "isLongText": False,
    }
    m.update(over)
    return m


def index_page(*cards: dict, ok: int = 1) -> dict:
    return {"ok": ok, "data": {"cardlistInfo": {"page": 1}, "cards": list(cards)}}


def card(m: dict) -> dict:
    return {"card_type": 9, "itemid": "x", "mblog": m}


def mymblog_item(**over: object) -> dict:
    """A weibo.com/ajax/statuses/mymblog list item."""
    item = {
        "created_at": "Sun Jun 01 09:30:00 +0800 2025",
        "id": 5171234567890456,
        "idstr": "5171234567890456",
        "mid": "5171234567890456",
        "mblogid": "PqZ1abcde",
        "user": {"id": 1749127163, "idstr": "1749127163", "screen_name": "雷军"},
        "text_raw": "SU7 五月交付超过28000台[哈哈]",
        "text": f"SU7 五月交付超过28000台{EMOJI}",
        "attitudes_count": 321000,
        "comments_count": 62300,
        "reposts_count": 65200,
        "pic_ids": ["p1", "p2"],
        "pic_num": 2,
        "pic_infos": {
            "p1": {"thumbnail": {"url": "https://wx1.sinaimg.cn/wap180/p1.jpg"},
                   "largest": {"url": "https://wx1.sinaimg.cn/large/p1.jpg"}},
            "p2": {"bmiddle": {"url": "https://wx1.sinaimg.cn/wap360/p2.jpg"},
                   "original": {"url": "https://wx1.sinaimg.cn/orj1080/p2.jpg"}},
        },
        "isLongText": False,
    }
    item.update(over)
    return item


def mymblog_page(*items: object) -> dict:
    return {"data": {"since_id": "x", "list": list(items), "total": 2}, "ok": 1}  # ok comes last on weibo.com


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Issue)]


def test_index_page_post_emoji_links_pictures_and_a_non_post_card(tmp_path: Path) -> None:
    group = {"card_type": 11, "card_group": [{"card_type": 4, "desc": "关注了 小米汽车"}]}
    path = write(tmp_path, "page1.json", index_page(card(mblog()), group))
    assert detect(path) == "weibo-api"
    (rec,), issues = split(parse(path))
    assert issues == []  # the card group is not a post, and not an error either
    assert (rec.platform, rec.source_id) == ("weibo", "PqYU7mass")
    assert rec.text == "小米YU7将于七月量产[哈哈] #小米YU7#\n详情见网页链接"  # emoji alt, link text, no icons
    assert rec.published_at == datetime(2025, 5, 31, 12, 15, tzinfo=UTC)
    assert (rec.likes, rec.comments, rec.shares) == (12_000, 4_800, 5_200)
    assert (rec.author_id, rec.author_name) == ("1749127163", "雷军")
    assert rec.url == "https://weibo.com/1749127163/PqYU7mass"
    assert rec.pics == ["https://wx1.sinaimg.cn/large/a1.jpg"]  # the large size, not the emoji or link icons
    assert rec.truncated is False and rec.partial is False
    assert rec.raw["user"] == {"id": 1749127163, "screen_name": "雷军"}  # the profile is not kept per post


def test_repost_keeps_the_executives_words_and_quotes_the_original(tmp_path: Path) -> None:
    original = mblog(bid="Orig12345", text="SU7 五月交付超28000台", user={"id": 2, "screen_name": "小米汽车"},
                     pics=[{"url": "https://wx1.sinaimg.cn/large/orig.jpg"}])
    repost = mblog(text="感谢大家！", retweeted_status=original, pics=[])
    (rec,), _ = split(parse(write(tmp_path, "p.json", index_page(card(repost)))))
    assert rec.text == "感谢大家！\n\n// 转发 @小米汽车: SU7 五月交付超28000台"
    assert rec.source_id == "PqYU7mass"  # the executive's post, not the reposted one
    assert rec.pics == []  # the original's pictures are the original's
    assert rec.raw["retweeted_status"]["bid"] == "Orig12345"


def test_repost_of_a_deleted_post(tmp_path: Path) -> None:
    gone = {"id": "1", "text": "抱歉，此微博已被作者删除。", "user": None}
    (rec,), _ = split(parse(write(tmp_path, "p.json", index_page(card(mblog(text="转发微博", retweeted_status=gone))))))
    assert rec.text == "转发微博\n\n// 转发: 抱歉，此微博已被作者删除。"


def test_long_text_post_is_flagged_truncated_unless_the_long_text_is_there(tmp_path: Path) -> None:
    cut = mblog(text='小米YU7的第一批用户...<a href="/status/5171234567890123">全文</a>', isLongText=True)
    whole = mblog(bid="PqYU7mas2", isLongText=True, text="小米YU7的第一批用户...",
                  longText={"longTextContent": "小米YU7的第一批用户已经提车。<br />感谢每一位等待的朋友。"})
    (a, b), issues = split(parse(write(tmp_path, "p.json", index_page(card(cut), card(whole)))))
    assert issues == []
    assert (a.text, a.truncated) == ("小米YU7的第一批用户...", True)  # the "全文" control is not text
    assert (b.text, b.truncated) == ("小米YU7的第一批用户已经提车。\n感谢每一位等待的朋友。", False)


def test_mymblog_page_plain_text_pictures_and_repost(tmp_path: Path) -> None:
    rt = {"mblogid": "K3dsQFvJr", "user": {"id": 5, "screen_name": "小米公司"}, "text_raw": "原微博内容",
          "text": "原微博内容 ...<span class=\"expand\">展开</span>", "isLongText": True}
    cut = mymblog_item(mblogid="PqZ1cutxx", text_raw="", isLongText=True, pic_ids=[], pic_infos={},
                       text='很长的一段话 ...<span class="expand">展开</span>', retweeted_status=rt)
    path = write(tmp_path, "mymblog.json", mymblog_page(mymblog_item(), cut))
    assert detect(path) == "weibo-api"
    (rec, rep), issues = split(parse(path))
    assert issues == []
    assert rec.source_id == "PqZ1abcde" and rec.text == "SU7 五月交付超过28000台[哈哈]"  # text_raw
    assert rec.pics == ["https://wx1.sinaimg.cn/large/p1.jpg", "https://wx1.sinaimg.cn/orj1080/p2.jpg"]
    assert (rec.likes, rec.comments, rec.shares) == (321_000, 62_300, 65_200)
    assert rec.published_at == datetime(2025, 6, 1, 1, 30, tzinfo=UTC)
    assert rep.text == "很长的一段话 ...\n\n// 转发 @小米公司: 原微博内容" and rep.truncated


def test_page_with_ok_0_is_reported_and_the_other_pages_still_read(tmp_path: Path) -> None:
    pages = [index_page(card(mblog())), {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}]
    recs, issues = split(parse(write(tmp_path, "pages.json", pages)))
    assert [r.source_id for r in recs] == ["PqYU7mass"]
    assert [i.error for i in issues] == ["page 2: the API answered ok: 0 (这里还没有内容)"]
    alone = write(tmp_path, "limited.json", {"ok": 0, "msg": "请求过于频繁", "data": {"cards": []}})
    assert detect(alone) == "weibo-api"
    assert [(i.line, i.error) for i in parse(alone)] == [(1, "page 1: the API answered ok: 0 (请求过于频繁)")]


def test_json_lines_of_pages_and_a_broken_line(tmp_path: Path) -> None:
    lines = [json.dumps(index_page(card(mblog())), ensure_ascii=False),
             '{"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {"bid": "Broken',
             json.dumps(mymblog_page(mymblog_item()), ensure_ascii=False)]
    path = write(tmp_path, "pages.jsonl", "\n".join(lines) + "\n")
    recs, issues = split(parse(path))
    assert [r.source_id for r in recs] == ["PqYU7mass", "PqZ1abcde"]
    assert [r.line for r in recs] == [1, 3]
    (issue,) = issues
    assert issue.line == 2 and issue.error.startswith("page 2: invalid JSON (")
    assert issue.error.endswith("no post could be read")


def test_truncated_file_keeps_the_posts_before_the_cut(tmp_path: Path) -> None:
    second = index_page(card(mblog(bid="PqYU7mas2")), card(mblog(bid="PqYU7mas3")))
    full = json.dumps([index_page(card(mblog())), second], ensure_ascii=False, indent=2)
    cut = full[: full.index("PqYU7mas3") - 40]  # the download stopped inside page 2's second card
    path = write(tmp_path, "pages.json", cut)
    recs, issues = split(parse(path))
    assert [r.source_id for r in recs] == ["PqYU7mass", "PqYU7mas2"]
    (issue,) = issues
    assert issue.source == str(path)
    page2 = full.rfind("{", 0, full.index('"ok"', full.index('"ok"') + 1))
    assert issue.line == full[:page2].count("\n") + 1 > 1  # the line where page 2 starts
    assert issue.error.startswith("page 2: invalid JSON (") and issue.error.endswith("; the 1 post before the break was read")


def test_a_single_cut_page_and_a_file_that_is_not_json(tmp_path: Path) -> None:
    text = json.dumps(index_page(card(mblog()), card(mblog(bid="PqYU7mas2"))), ensure_ascii=False)
    recs, issues = split(parse(write(tmp_path, "page.json", text[: text.index("PqYU7mas2")])))
    assert [r.source_id for r in recs] == ["PqYU7mass"] and len(issues) == 1
    with pytest.raises(FormatError, match="invalid JSON"):
        parse(write(tmp_path, "junk.json", '{"ok": 1, "data": {"cards" oops'), "weibo-api")


def test_malformed_posts_are_reported_and_a_picture_post_stays(tmp_path: Path) -> None:
    cards = [
        card(mblog(bid="", id=None, mid=None)),  # no id at all
        card(mblog(bid="BadDate02", created_at="3小时前")),  # a relative date cannot be placed
        card(mblog(bid="Empty0003", text="", pics=[], created_at=None)),  # no text, pictures or date
        card(mblog(bid="PicOnly04", text="", created_at="Sun Jun 01 10:00:00 +0800 2025")),
        card(mblog(bid="BadCount5", attitudes_count="lots")),
        {"card_type": 9},
        "not a card",
    ]
    recs, issues = split(parse(write(tmp_path, "p.json", index_page(*cards))))
    assert [(r.source_id, r.text) for r in recs] == [("PicOnly04", "[图片]")]
    assert [i.error for i in issues] == [
        "page 1, card 1: missing id/bid/mblogid",
        "page 1, card 2: bad date '3小时前'",
        "page 1, card 3: no text, pictures or date",
        "page 1, card 5: bad attitudes_count 'lots'",
        "page 1, card 6: a post card (card_type 9) without its mblog",
        "page 1, card 7: expected a JSON object, got str",
    ]
    assert all(i.line == 1 and i.source.endswith("p.json") for i in issues)


def test_mid_without_bid_gets_the_bid_weibo_would_show(tmp_path: Path) -> None:
    assert mid_to_bid("4607741009594608") == "K3fnuEfZK"  # both from one real mymblog item
    assert mid_to_bid("4387933362623405") == "HATy0b0sZ"  # both from one real getIndex card
    (rec,), _ = split(parse(write(tmp_path, "p.json", index_page(card(mblog(bid=None, mid="4607741009594608"))))))
    assert rec.source_id == "K3fnuEfZK" and rec.url == "https://weibo.com/1749127163/K3fnuEfZK"


def test_lone_mblogs_and_cards(tmp_path: Path) -> None:
    path = write(tmp_path, "saved.json", [mymblog_item(), card(mblog())])
    assert detect(path) == "weibo-api"
    assert [r.source_id for r in parse(path) if isinstance(r, Record)] == ["PqZ1abcde", "PqYU7mass"]


def test_generic_json_is_not_taken_for_api_pages_and_a_forced_format_says_so(tmp_path: Path) -> None:
    assert detect(write(tmp_path, "bids.json", [{"id": 1, "text": "hello", "bid": "Abc"}])) == "json"
    generic = write(tmp_path, "posts.json", [{"id": 1, "text": "hello"}])
    with pytest.raises(FormatError, match="not Weibo API pages"):
        parse(generic, "weibo-api")
    with pytest.raises(FormatError, match="--format weibo-api: .* is not raw Weibo API pages"):
        parse(write(tmp_path, "posts.csv", "id,text\n1,x\n"), "weibo-api")


def test_same_post_from_a_page_and_from_weibo_crawler_has_one_identity(tmp_path: Path) -> None:
    crawler = tmp_path / "weibo" / "雷军" / "1749127163.json"
    crawler.parent.mkdir(parents=True)
    crawler.write_text(json.dumps({"user": {"id": "1749127163", "screen_name": "雷军"}, "weibo": [
        {"id": 5171234567890123, "bid": "PqYU7mass", "text": "小米YU7将于七月量产", "created_at": "2025-05-31T20:15:00",
         "attitudes_count": 13000}]}, ensure_ascii=False), encoding="utf-8")
    (from_page,), _ = split(parse(write(tmp_path, "p.json", index_page(card(mblog())))))
    (from_crawler,), _ = split(parse(crawler))
    key = ("platform", "source_id", "author_id", "url", "published_at")
    assert [getattr(from_page, k) for k in key] == [getattr(from_crawler, k) for k in key]
