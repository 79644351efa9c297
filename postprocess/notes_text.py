"""Sentences of talk made fit to quote in show notes: fillers out, and a test of whether a
sentence can stand alone (no leading それ/こっち/そういう pointing at what came before).
"""

from __future__ import annotations

import re

# Leading words that open a spoken sentence without adding to it. The first group is
# dropped wherever it opens a sentence, the second only when a comma follows it (その本,
# まあいいや and あの人 keep their words).
_OPENERS = (
    "ということで|っていうことで|いうことで|いうか|っていうか|というか|それでは|それで|そして|だから|なので|"
    "ですので|でもって|でも|じゃあ|では|さて|つまり|ところで|それから|あと|はいはい|はい|ええ|"
    "うん|えーっと|えっと|えーと|ええと|えー|あのー|そのー|まぁ"
)
_OPENERS_BEFORE_COMMA = "で|まあ|あの|その|なんか|ちょっと|ね|ま|そう|もう|ほら"
_LEADING_FILLER = re.compile(rf"^(?:(?:{_OPENERS})[、,\s]*|(?:{_OPENERS_BEFORE_COMMA})[、,]\s*)+")

# Words that, opening a sentence, point back at something said before it.
_ANAPHORA = re.compile(
    r"^(?:それ|これ|あれ|そこ|ここ|あそこ|そっち|こっち|あっち|そちら|こちら|その|この|あの|"
    r"そう|こう|ああ|そういう|こういう|ああいう|そんな|こんな|あんな|彼|彼女|こいつ|そいつ|"
    r"あいつ|同じ|さっき|前者|後者|逆に|一方|しかし|でも|ただ|なので|だから|つまり|って|"
    r"っていう|という|ということ|ですが|けど|けれど|なんで|で、|はい|うん|ええ|ま、|まあ)"
)
# Fillers and hedges inside a sentence, between commas or before one.
_INNER_FILLERS = re.compile(
    r"(?:(?<=、)|^)(?:あの|あのー|まあ|まぁ|なんか|えー|えっと|えーと|ええと|ま|ね|ほら|もう|"
    r"ちょっと|なんだろうな|なんていうか|っていうか|というか)、"
)
_TAG_NE = re.compile(r"(?<=[^\s、。ねよ])ね(?=、)")  # 今日ね、 → 今日、
_FINAL_TAGS = re.compile(r"(?:ね|よね|な|よ|なぁ|なあ|わ)([。？！])$")
_GREETING = re.compile(r"^(?:こんにちは|こんばんは|おはよう|ありがとう|よろしく|お疲れ|どうも)")
_QUOTED_END = re.compile(r"(でしょう|です|ます|だ)(?:って|と)。$")
_SHORT_REACTION = re.compile(r"^.{0,10}(?:ね|よ|な|わ|か)[。！？]?$")


def tidy(text: str) -> str:
    """``text`` without opening fillers and conjunctions, inner fillers, and a tag
    particle before a comma."""
    cleaned = clean_sentence(text)
    for _ in range(2):
        cleaned = _INNER_FILLERS.sub("", cleaned)
    cleaned = _TAG_NE.sub("", cleaned)
    return cleaned.strip() or text.strip()


def stands_alone(text: str) -> bool:
    """Whether ``text`` (tidied) can be read without the sentence before it."""
    cleaned = tidy(text)
    if len(cleaned) < 15 or _ANAPHORA.match(cleaned) or _GREETING.match(cleaned):
        return False
    return not _SHORT_REACTION.match(cleaned)


def states(text: str) -> bool:
    """Whether ``text`` stands alone and says something rather than asks it: what a
    summary may quote."""
    return stands_alone(text) and not re.search(r"[？?]$|か。?$", tidy(text))


def quotable(text: str, limit: int) -> str:
    """``text`` tidied and cut to ``limit`` characters at a comma."""
    return trim(tidy(text), limit)


def is_reaction(text: str) -> bool:
    """A short closing or reaction (すごいね。感動したね。はい。): the end of a story, not
    the start of the next."""
    text = text.strip()
    if text.endswith(("？", "?")):
        return False  # a question opens more than it closes
    return bool(_SHORT_REACTION.match(text)) or len(text) <= 6


def plain_ending(text: str) -> str:
    """A quoted sentence without a trailing ね/よ/な tag: …してたんだよね。 → …してたんだ。"""
    text = _QUOTED_END.sub(r"\1。", text)  # …でしょうと。 → …でしょう。
    return _FINAL_TAGS.sub(r"\1", text)


def clean_sentence(text: str) -> str:
    """``text`` without the fillers and conjunctions that open it."""
    stripped = _LEADING_FILLER.sub("", text.strip())
    return stripped if len(stripped) >= 4 else text.strip()


def trim(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a comma when one is near, marked with …"""
    if len(text) <= limit:
        return text
    cut = text.rfind("、", 0, limit - 1)
    if cut < limit // 2:
        cut = limit - 1
    return text[:cut] + "…"
