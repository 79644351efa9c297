"""People the episode mentions, the hosts and guests, with what the episode (or the
glossary) says they are.

GiNZA ``Person`` entities (only sentences where Sudachi sees a personal name, or two
capitalised Latin words, go through GiNZA) and Sudachi personal names before an honorific
(岡野原さん), cleaned (honorifics, a repeated surname), filtered (common nouns, glossary terms
that are not people), merged when one name is part of another (ジェレミー and
ジェレミー・ハワード), plus glossary entries that are people, the hosts and the guests.
A person's note is the organisation the episode ties them to (ジェレミー・ハワードのfast.ai,
OpenAIにジョインする), else the glossary's first sentence about them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kikigaki.document import Person
from kikigaki.nlp import Morpheme, ginza, tokenize
from postprocess.mentions import LATIN_CHAR, Found, glossary_forms, occurs, pattern

if TYPE_CHECKING:
    from postprocess.glossary import Glossary, GlossaryTerm

NOTE_MAX_CHARS = 40
_AFFILIATION_CATEGORIES = frozenset({"org", "service", "website"})

_HONORIFIC = re.compile(r"(さん|さま|様|氏|先生|くん|君|ちゃん|博士|教授|社長|選手)$")

_NAME_SEPARATORS = re.compile(r"[\s・･=＝]+")

_LATIN_NAME = re.compile(r"^[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+$")

_LATIN_NAME_IN_TEXT = re.compile(r"[A-Z][a-z]+[ -][A-Z][a-z]+")

# Capitalised technical words GiNZA tags as people in English phrases.
_NOT_NAME_WORDS_TEXT = """
    network neural convolutional recurrent model models learning deep machine language
    attention transformer diffusion stable data science vision open source proof concept
    google apple amazon microsoft meta tesla twitter github linux kernel
"""

_NOT_NAME_WORDS = frozenset(_NOT_NAME_WORDS_TEXT.split())

_PERSON_CATEGORIES = frozenset({"person", "people", "人物", "人名", "人"})

# The first sentence of a glossary definition that describes someone ends with what they
# are: "AI 研究者。", "fast.ai の共同創業者。", "a computer scientist."
_PERSON_DEFINITION = re.compile(
    r"(研究者|科学者|エンジニア|プログラマー?|起業家|創業者|創設者|投資家|教授|講師|作家|人物|"
    r"経営者|CEO|researcher|engineer|scientist|founder|entrepreneur|investor|professor|"
    r"author|programmer)(?:\s*[(（][^)）]*[)）])?\s*$",
    re.IGNORECASE,
)

_FIRST_SENTENCE = re.compile(r"^.*?(?:。|\.(?=\s|$)|$)", re.DOTALL)


def find_people(
    texts: Sequence[str],
    morphemes: Sequence[Sequence[Morpheme]],
    hosts: Sequence[str],
    glossary: Glossary,
    guests: Sequence[str] = (),
    *,
    japanese: bool = True,
) -> list[Found]:
    """People mentioned in ``texts``, the hosts and the guests, each with the forms of
    their name and a short note on who they are. Names are found by Japanese morphology
    and GiNZA; for another language (``japanese=False``) only the glossary's people."""
    glossary_people = [t for t in glossary.terms if is_person_term(t)]
    not_people = {
        name_key(s) for t in glossary.terms if not is_person_term(t) for s in glossary_forms(t)
    }
    names: list[str] = []
    candidates = [i for i, ms in enumerate(morphemes) if _may_name_someone(ms, texts[i])]
    entities = _entity_people([texts[i] for i in candidates]) if japanese else []
    honorifics = _honorific_people(morphemes, texts) if japanese else []
    for raw in [*entities, *honorifics]:
        name = clean_name(raw)
        if _plausible_name(name) and name_key(name) not in not_people:
            names.append(name)
    found: list[Found] = []
    whole = "\n".join(texts)
    for entry in glossary_people:
        forms = glossary_forms(entry)
        if any(occurs(form, whole) for form in forms):
            found.append(Found(entry.canonical, "person", set(forms), entry=entry))
    for name in sorted(set(names), key=lambda n: (-len(name_key(n)), n)):
        _merge_name(found, name)
    for host in hosts:
        _add_host(found, host, "host")
    for guest in guests:
        _add_host(found, guest, "guest")
    affiliations = [t for t in glossary.terms if t.category in _AFFILIATION_CATEGORIES]
    for person in found:
        person.note = _note(person, texts, affiliations)
    return found


def _may_name_someone(morphemes: Sequence[Morpheme], text: str) -> bool:
    """Whether a sentence can hold a name we would accept (see ``_plausible_name``): one
    with a token Sudachi knows as a personal name, or two capitalised Latin words. Only
    these go through GiNZA, which is what keeps its pass short."""
    return any(m.pos[2] == "人名" for m in morphemes) or bool(_LATIN_NAME_IN_TEXT.search(text))


def _entity_people(texts: Sequence[str]) -> list[str]:
    nlp = ginza()
    keep = {"tok2vec", "ner"}
    disable = [name for name in nlp.pipe_names if name not in keep]
    names = []
    for doc in nlp.pipe(texts, batch_size=64, disable=disable):
        names.extend(e.text for e in doc.ents if e.label_ == "Person")
    return names


def _honorific_people(morphemes: Sequence[Sequence[Morpheme]], texts: Sequence[str]) -> list[str]:
    """Sudachi personal names right before さん/氏/先生: 岡野原さん."""
    names = []
    for ms, text in zip(morphemes, texts, strict=True):
        for i, m in enumerate(ms[:-1]):
            if m.pos[2] == "人名" and _HONORIFIC.fullmatch(ms[i + 1].surface):
                first = i
                while first > 0 and (
                    ms[first - 1].pos[2] == "人名" or ms[first - 1].surface == "・"
                ):
                    first -= 1
                names.append(text[ms[first].begin : m.end])
    return names


def clean_name(name: str) -> str:
    """``name`` without honorifics, surrounding marks or a doubled last part."""
    name = name.strip(" 　、。「」『』()（）・")
    while (match := _HONORIFIC.search(name)) and match.start() > 0:
        name = name[: match.start()]
    return _collapse_repeat(name)


def _collapse_repeat(name: str) -> str:
    """アンドレ・カーパシーカーパシー (a speaker repeating the name) -> アンドレ・カーパシー."""
    for size in range(len(name) // 2, 1, -1):
        if name.endswith(name[-size:] * 2):
            return name[:-size]
    return name


def _plausible_name(name: str) -> bool:
    if len(name) < 2 or all("\u3040" <= c <= "\u309f" for c in name):
        return False
    if LATIN_CHAR.search(name):
        words = _NAME_SEPARATORS.split(name)
        return bool(_LATIN_NAME.match(name)) and not any(
            w.lower() in _NOT_NAME_WORDS for w in words
        )
    # A Japanese or katakana name has at least one part Sudachi knows as a personal name.
    return any(m.pos[2] == "人名" for m in tokenize(name))


def _merge_name(found: list[Found], name: str) -> None:
    """Add ``name`` to the person it is a form or part of, or as a new person."""
    key = name_key(name)
    for person in found:
        if person.kind == "person" and any(_same_person(key, s) for s in person.surfaces):
            person.surfaces.add(name)
            return
    found.append(Found(name, "person", {name}))


def _same_person(key: str, surface: str) -> bool:
    """``key`` is ``surface`` or one of its parts (a given name or a surname)."""
    if key == name_key(surface):
        return True
    parts = [name_key(p) for p in _NAME_SEPARATORS.split(surface)]
    if len(key) >= 2 and key in parts:
        return True
    # A run-together name: アンドレカーパシー for アンドレ・カーパシー.
    return len(parts) > 1 and key == "".join(parts)


def _add_host(found: list[Found], host: str, role: str) -> None:
    host = clean_name(host)
    if not host:
        return
    key = name_key(host)
    for person in found:
        if person.kind == "person" and any(
            _same_person(key, s) or _same_person(name_key(s), host) for s in person.surfaces
        ):
            person.role = role
            if person.entry is None:
                person.label = host  # the show's own spelling of its host
            person.surfaces.add(host)
            return
    found.insert(0, Found(host, "person", {host}, role=role))


def people_list(people: list[Found], mentions: Counter[str]) -> list[Person]:
    result = [
        Person(name=p.label, role=p.role, mentions=mentions[p.label], note=p.note)  # type: ignore[arg-type]
        for p in people
        if p.role != "mentioned" or mentions[p.label] > 0
    ]
    order = {"host": 0, "guest": 1}
    return sorted(result, key=lambda p: (order.get(p.role, 2), -p.mentions, p.name))


def _note(person: Found, texts: Sequence[str], affiliations: Sequence[GlossaryTerm]) -> str:
    """What the episode ties ``person`` to (an organisation named right beside their name,
    joined by の, or in the same sentence as they join or leave it), else the first
    sentence of their glossary definition."""
    tied: Counter[str] = Counter()
    names = [pattern(s) for s in person.surfaces]
    for text in texts:
        spans = [m.span() for p in names for m in p.finditer(text)]
        if not spans:
            continue
        for org in affiliations:
            for form in glossary_forms(org):
                for m in pattern(form).finditer(text):
                    if any(_beside(span, m.span(), text) for span in spans):
                        tied[org.canonical] += 1
    if tied:
        return "、".join(name for name, _ in tied.most_common(2))
    if person.entry is not None and person.entry.definition:
        first = _FIRST_SENTENCE.match(person.entry.definition.strip())
        note = first.group(0) if first else person.entry.definition
        return note.rstrip("。. ")[:NOTE_MAX_CHARS]
    return ""


_JOINS = re.compile(r"^(?:に(?:ジョイン|入|移|戻|い|行)|を(?:辞め|離れ|創))")


def _beside(name: tuple[int, int], org: tuple[int, int], text: str) -> bool:
    """``NAMEのORG`` or ``ORGのNAME``, or an organisation the named person joins or leaves
    in the same sentence (``…はOpenAIにジョイン``): a tie, not a mere co-occurrence."""
    between = text[name[1] : org[0]]
    if name[1] <= org[0] and re.fullmatch(r"(?:さん|氏)?の", between):
        return True
    if org[1] <= name[0] and text[org[1] : name[0]] == "の":
        return True
    return name[1] <= org[0] and bool(_JOINS.match(text[org[1] :]))


def is_person_term(term: GlossaryTerm) -> bool:
    """Whether a glossary entry names a person: its category says so, or its definition
    describes someone (a researcher, an engineer, a founder...)."""
    category = str(getattr(term, "category", "") or getattr(term, "kind", "") or "")
    if category:
        return category.strip().lower() in _PERSON_CATEGORIES
    first = _FIRST_SENTENCE.match((term.definition or "").strip())
    return bool(first and _PERSON_DEFINITION.search(first.group(0).rstrip("。. ")))


def name_key(text: str) -> str:
    return _NAME_SEPARATORS.sub("", text).lower()
