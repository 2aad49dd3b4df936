"""weibo-crawler and weiboSpider output, JSON and CSV."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.formats import FormatError, Issue, Record, detect, parse

CRAWLER_HEADER = (
    "id,bid,正文,头条文章url,原始图片url,视频url,Live Photo视频url,位置,日期,工具,点赞数,评论数,转发数,"
    "话题,@用户,完整日期,是否编辑过,编辑次数"
)


def crawler_post(**over: object) -> dict:
    post = {
        "user_id": 1749127163,
        "screen_name": "雷军",
        "id": 5171234567890123,
        "bid": "PqYU7mass",
        "text": "小米YU7将于七月量产 &amp; 交付",
        "article_url": "",
        "pics": "",
        "video_url": "",
        "location": "",
        "created_at": "2025-05-31T20:15:00",
        "source": "Xiaomi 15 Ultra",
        "attitudes_count": "1.2万",
        "comments_count": 4800,
        "reposts_count": "5,200",
        "topics": "",
        "at_users": "",
        "full_created_at": "2025-05-31 20:15:00",
    }
    post.update(over)
    return post


def write_crawler_json(tmp_path: Path, posts: list) -> Path:
    path = tmp_path / "weibo" / "雷军" / "1749127163.json"
    path.parent.mkdir(parents=True)
    user = {"id": "1749127163", "screen_name": "雷军"}
    path.write_text(json.dumps({"user": user, "weibo": posts}, ensure_ascii=False), encoding="utf-8")
    return path


def split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Issue)]


def test_crawler_json_good_post(tmp_path: Path) -> None:
    path = write_crawler_json(tmp_path, [crawler_post()])
    assert detect(path) == "weibo-crawler"
    (rec,), issues = split(parse(path))
    assert issues == []
    assert rec.platform == "weibo"
    assert rec.source_id == "PqYU7mass"
    assert rec.url == "https://weibo.com/1749127163/PqYU7mass"
    assert rec.published_at == datetime(2025, 5, 31, 12, 15, tzinfo=UTC)  # Beijing 20:15 -> 12:15 UTC
    assert (rec.likes, rec.comments, rec.shares) == (12_000, 4_800, 5_200)
    assert rec.text == "小米YU7将于七月量产 & 交付"
    assert (rec.author_id, rec.author_name) == ("1749127163", "雷军")
    assert rec.raw["id"] == 5171234567890123
    assert rec.line == 1


def test_crawler_json_repost_keeps_both_texts(tmp_path: Path) -> None:
    retweet = crawler_post(user_id=2, screen_name="小米汽车", bid="Orig12345", text="SU7 五月交付超28000台")
    path = write_crawler_json(tmp_path, [crawler_post(text="感谢大家！", retweet=retweet)])
    (rec,), _ = split(parse(path))
    assert rec.text == "感谢大家！\n\n// 转发 @小米汽车: SU7 五月交付超28000台"
    assert rec.source_id == "PqYU7mass"  # the executive's post, not the quoted one
    assert rec.raw["retweet"]["bid"] == "Orig12345"


def test_crawler_json_bad_records_become_issues(tmp_path: Path) -> None:
    posts = [
        crawler_post(bid="Good00001"),
        crawler_post(bid="NoText002", text=""),
        "not an object",
        crawler_post(bid="BadDate04", created_at="31/05/2025 late"),
        crawler_post(bid="BadCount5", attitudes_count="many"),
        crawler_post(bid="", id=5171234567890999),  # no bid: falls back to str(id)
    ]
    recs, issues = split(parse(write_crawler_json(tmp_path, posts)))
    assert [r.source_id for r in recs] == ["Good00001", "NoText002", "5171234567890999"]
    assert recs[1].text == "[Xiaomi 15 Ultra]"  # a textless post is kept (its counts matter), labelled
    assert recs[2].line == 6
    assert [(i.line, i.error) for i in issues] == [
        (3, "record 3: expected a JSON object, got str"),
        (4, "record 4: bad date '31/05/2025 late'"),
        (5, "record 5: bad attitudes_count 'many'"),
    ]


def test_crawler_json_user_from_top_level(tmp_path: Path) -> None:
    post = crawler_post()
    del post["user_id"], post["screen_name"]
    (rec,), _ = split(parse(write_crawler_json(tmp_path, [post])))
    assert (rec.author_id, rec.author_name) == ("1749127163", "雷军")
    assert rec.url == "https://weibo.com/1749127163/PqYU7mass"


def test_crawler_csv(tmp_path: Path) -> None:
    path = tmp_path / "weibo" / "雷军" / "1749127163.csv"
    path.parent.mkdir(parents=True)
    rows = [
        CRAWLER_HEADER,
        '5171234567890123\t,PqYU7mass,"小米YU7\n七月量产",,,,,,2025-05-31T20:15:00,Xiaomi,1.2万,48,3亿,,,2025-05-31 20:15:00,False,0',
        "5171234567890124\t,PqYU7mas2,,,,,,,2025-05-31T21:00:00,Xiaomi,1,2,3,,,2025-05-31 21:00:00,False,0",
        "5171234567890125\t,PqYU7mas3,第三条,,,,,,2025-06-01T08:00:00,Xiaomi,10万+,0,0,,,,False,0",
    ]
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8-sig"))  # BOM, like the crawler
    assert detect(path) == "weibo-crawler"
    recs, issues = split(parse(path))
    assert issues == []
    first, second, third = recs
    assert (second.line, second.text) == (4, "[Xiaomi]")  # line 4: the multiline row took lines 2-3
    assert first.source_id == "PqYU7mass" and first.line == 2
    assert first.text == "小米YU7\n七月量产"
    assert first.published_at == datetime(2025, 5, 31, 12, 15, tzinfo=UTC)
    assert (first.likes, first.comments, first.shares) == (12_000, 48, 300_000_000)
    assert (first.author_id, first.author_name) == ("1749127163", "雷军")  # from weibo/<name>/<uid>.csv
    assert first.raw["id"] == "5171234567890123\t"  # raw row is untouched
    assert third.likes == 100_000 and third.line == 5


def test_crawler_csv_old_version_and_repost(tmp_path: Path) -> None:
    header = (
        "id,bid,正文,头条文章url,原始图片url,视频url,位置,日期,工具,点赞数,评论数,转发数,话题,@用户,完整日期"
    )
    header += ",是否原创,源用户id,源用户昵称," + ",".join(
        "源微博" + h
        for h in "id,bid,正文,头条文章url,原始图片url,视频url,位置,日期,工具,点赞数,评论数,转发数,话题,@用户,完整日期".split(
            ","
        )
    )
    row = "1\t,AbcDef123,转发理由,,,,,2025-05-31,Web,1,2,3,,,2025-05-31 09:00:00,False,99,小米公司,2\t,Src000001,原微博内容,,,,,2025-05-30,Web,9,9,9,,,2025-05-30 08:00:00"
    path = tmp_path / "export.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8-sig")
    (rec,), issues = split(parse(path))
    assert issues == []
    assert rec.text == "转发理由\n\n// 转发 @小米公司: 原微博内容"
    assert rec.published_at == datetime(2025, 5, 31, 1, 0, tzinfo=UTC)  # date-only 日期 -> 完整日期 used
    assert rec.url == "https://m.weibo.cn/status/AbcDef123"  # no uid in the path layout


@pytest.mark.parametrize(
    ("extra", "label"),
    [
        ({"pics": "https://wx1.sinaimg.cn/large/a.jpg"}, "[图片]"),
        ({"pics": "https://a.jpg", "video_url": "https://v.mp4"}, "[图片] [视频]"),
        (
            {"article_url": "https://weibo.com/ttarticle/p/show?id=1"},
            "[文章] https://weibo.com/ttarticle/p/show?id=1",
        ),
        ({"source": ""}, "[无文字]"),
    ],
)
def test_crawler_textless_post_labels(tmp_path: Path, extra: dict, label: str) -> None:
    (rec,), _ = split(parse(write_crawler_json(tmp_path, [crawler_post(text="", **extra)])))
    assert rec.text == label


def test_users_csv_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("用户id,昵称,性别,生日\n1749127163,雷军,m,\n", encoding="utf-8-sig")
    assert detect(path) is None
    assert list(parse(path)) == []


SPIDER_HEADER = (
    "微博id,微博正文,头条文章url,原始图片url,微博视频url,发布位置,发布时间,发布工具,点赞数,转发数,评论数"
)


def test_weibospider_csv(tmp_path: Path) -> None:
    path = tmp_path / "weibo" / "雷军" / "1749127163.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        SPIDER_HEADER
        + "\nPqYU7mass,小米YU7七月量产,无,无,无,无,2025-05-31 20:15,无,1.2万,300,45"
        + "\nPqYU7mas2,第二条,无,无,无,无,sometime,无,1,1,1\n",
        encoding="utf-8-sig",
    )
    assert detect(path) == "weibospider"
    recs, issues = split(parse(path))
    (rec,) = recs
    assert rec.platform == "weibo" and rec.source_id == "PqYU7mass"
    assert rec.published_at == datetime(2025, 5, 31, 12, 15, tzinfo=UTC)
    assert (rec.likes, rec.shares, rec.comments) == (12_000, 300, 45)
    assert rec.url == "https://weibo.com/1749127163/PqYU7mass"
    assert (rec.author_name, rec.author_id) == ("雷军", "1749127163")
    assert [(i.line, i.error) for i in issues] == [(3, "bad date 'sometime'")]


def test_weibospider_json(tmp_path: Path) -> None:
    doc = {
        "user": {"id": "1749127163", "nickname": "雷军"},
        "weibo": [
            {
                "id": "PqYU7mass",
                "content": "小米YU7七月量产",
                "article_url": "无",
                "original_pictures": "无",
                "original": True,
                "video_url": "无",
                "publish_place": "无",
                "publish_time": "2025-05-31 20:15",
                "publish_tool": "无",
                "up_num": 12,
                "retweet_num": "无",
                "comment_num": 3,
            },
            {"id": "PqYU7mas2", "content": "无", "publish_time": "2025-05-31 21:00"},
        ],
    }
    path = tmp_path / "out.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert detect(path) == "weibospider"
    recs, issues = split(parse(path))
    assert [(r.source_id, r.likes, r.shares, r.author_name) for r in recs] == [("PqYU7mass", 12, 0, "雷军")]
    assert [(i.line, i.error) for i in issues] == [(2, "record 2: missing text")]


def test_forced_weibo_formats_reject_other_content(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>")
    with pytest.raises(FormatError, match=r"^--format weibo-crawler: feed.xml is not weibo-crawler output"):
        parse(feed, "weibo-crawler")
    generic = tmp_path / "posts.csv"
    generic.write_text("id,text\n1,hello\n")
    with pytest.raises(FormatError, match="not weiboSpider CSV"):
        parse(generic, "weibospider")
    spider = tmp_path / "spider.csv"
    spider.write_text(SPIDER_HEADER + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match="not weibo-crawler CSV"):
        parse(spider, "weibo-crawler")


def test_crawler_csv_row_with_too_few_cells_is_reported_not_stored(tmp_path: Path) -> None:
    path = tmp_path / "weibo" / "雷军" / "1749127163.csv"
    path.parent.mkdir(parents=True)
    good = "51712345678901{n}\t,PqYU7ma{n},第{n}条,,,,,,2025-05-31T2{n}:00:00,Xiaomi,1,2,3,,,2025-05-31 2{n}:00:00,False,0"
    rows = [CRAWLER_HEADER, good.format(n=1), good.format(n=2), "bad-row-with-too-few-columns", good.format(n=3)]
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8-sig"))
    recs, issues = split(parse(path))
    assert [r.source_id for r in recs] == ["PqYU7ma1", "PqYU7ma2", "PqYU7ma3"]
    assert [(i.source, i.line, i.error) for i in issues] == [(str(path), 4, "1 field, the header has 18")]


def test_crawler_pictures_and_the_record_that_carries_nothing(tmp_path: Path) -> None:
    pics = "https://wx1.sinaimg.cn/large/a.jpg,https://wx1.sinaimg.cn/large/b.jpg"
    posts = [
        crawler_post(bid="WithPics1", pics=pics),
        crawler_post(bid="Nothing02", text="", source="", created_at="", full_created_at=""),
        crawler_post(bid="OnlyDate3", text="", source=""),  # dated: a post whose words are gone
    ]
    recs, issues = split(parse(write_crawler_json(tmp_path, posts)))
    assert [(r.source_id, r.pics) for r in recs] == [
        ("WithPics1", ["https://wx1.sinaimg.cn/large/a.jpg", "https://wx1.sinaimg.cn/large/b.jpg"]),
        ("OnlyDate3", []),
    ]
    assert recs[1].text == "[无文字]"
    assert [(i.line, i.error) for i in issues] == [(2, "record 2: no text, media or date")]


def test_weibospider_picture_post_without_words_is_a_post(tmp_path: Path) -> None:
    doc = {"user": {"id": "1749127163", "nickname": "雷军"}, "weibo": [
        {"id": "PqYU7pic1", "content": "无", "original_pictures": "https://wx1.sinaimg.cn/large/a.jpg",
         "publish_time": "2025-05-31 20:15", "up_num": 1, "retweet_num": 0, "comment_num": 0}]}
    path = tmp_path / "out.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (rec,), issues = split(parse(path))
    assert issues == [] and rec.text == "[图片]" and rec.pics == ["https://wx1.sinaimg.cn/large/a.jpg"]
