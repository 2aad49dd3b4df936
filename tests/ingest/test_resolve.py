"""Records become Docs: identity, executives, and text SQLite can store."""

from __future__ import annotations

import json
import sqlite3

from ingest.formats import parse
from ingest.formats.base import Record
from ingest.resolve import Resolver, derived_id, record_to_doc
from retrieval.store.registry import Registry


def test_lone_surrogates_from_json_escapes_become_storable(tmp_path):
    # JSON may spell a lone surrogate ("\ud800"): Python accepts it, UTF-8 (and so SQLite) cannot.
    f = tmp_path / "weibo" / "雷军" / "1749127163.json"
    f.parent.mkdir(parents=True)
    f.write_text('{"user": {}, "weibo": [{"id": "\\ud800", "bid": "Pbad\\udfff", "text": "hi \\ud83d there",'
                 ' "created_at": "2025-05-31T20:15:00", "extra": "\\ud800"}]}', encoding="utf-8")
    [rec] = [r for r in parse(f) if isinstance(r, Record)]
    doc = record_to_doc(rec, "leijun")
    db = sqlite3.connect(":memory:")
    db.execute("SELECT ?, ?, ?", (doc.text, doc.source_id, json.dumps(doc.raw, ensure_ascii=False))).fetchone()
    assert doc.text.startswith("hi ") and doc.text.endswith(" there")
    assert doc.source_id.startswith("Pbad")


def test_records_without_id_get_a_stable_one_from_content_and_date():
    a = Record(platform="rss", source_id="", text="same text")
    b = Record(platform="rss", source_id="", text="same text")
    c = Record(platform="rss", source_id="", text="other text")
    assert derived_id(a) == derived_id(b) != derived_id(c)
    assert record_to_doc(a, "x").source_id == derived_id(a)


def test_author_column_resolves_through_aliases_or_adds_an_executive():
    reg = Registry.load()
    r = Resolver(reg)
    assert r.executive_for(Record(platform="csv", source_id="1", text="t", author_name="Mr. Tweet")) == "elonmusk"
    assert r.executive_for(Record(platform="weibo", source_id="2", text="t", author_id="1749127163")) == "leijun"
    key = r.executive_for(Record(platform="csv", source_id="3", text="t", author_name="Jensen Huang"))
    assert key == "jensenhuang" and r.added == ["jensenhuang"]
    assert reg.by_name("Jensen").key == "jensenhuang"  # a derived alias
