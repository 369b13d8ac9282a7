"""The leak guard: find the records' personal data in a text meant for publication.

Matching ignores case, accents, whitespace and punctuation, also inside a word ("Zoë
O'Neil" finds "zoe oneil", "ZOE-O.NEIL", "zoeoneil" and "Zo-e O Neil"; "Ravensworth" finds
"Ravens-worth"); a name is also found as its parts and with initials ("I. Crowthorne");
phone numbers match on their digits whatever the separators and with or without the
country code; e-mail addresses match whole or by their local part. Free texts (narratives,
notes, messages) are guarded against quotes: any run of ``QUOTE_WORDS`` of their words
found in the text, unless all of those words are CARE's own (a catalogue label, a
template's text) or stand on the text's own generated lines. A leak names its line,
column and the kind of data, never the datum itself.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

QUOTE_WORDS = 6
PHONE_DIGITS = 7
NAME_PARTICLES = frozenset(
    {"van", "von", "der", "den", "del", "della", "des", "les", "los", "las", "mac", "bin", "ibn"}
)
_DIGIT_RUN = re.compile(r"\+?\d[\d\s().\-/]*\d")
_FINE_TIME = [
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"),
    re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"),
    re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"),
    re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"),
    re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"),
    re.compile(r"\b\d{1,2}[:h]\d{2}\b"),
    re.compile(r"\b\d{1,2}\s?(?:am|pm)\b"),
]
_QUOTED = re.compile(r"[\"“”«„]([^\"“”«»„\n]{3,}?\s[^\"“”«»„\n]*?)[\"“”»]")


class DataKind(StrEnum):
    """What kind of personal data a leak is; the only thing a leak report says about it."""

    name = "name"
    handle = "handle"
    email = "email"
    phone = "phone"
    organisation = "organisation"
    talk_title = "talk_title"
    place = "place"
    quote = "quote"
    fine_time = "date_or_time"


@dataclass(frozen=True, order=True)
class Leak:
    line: int
    column: int
    kind: DataKind

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.kind.value}"


@dataclass(frozen=True)
class Needle:
    kind: DataKind
    text: str  # the datum's letters and digits, folded, with nothing between them
    weak: bool = False  # one word alone (a name part, a local part): may be a common word
    words: int = 1  # found only across this many words of a text ("A. Long", not "along")


def fold(text: str) -> str:
    """Lower case without accents: "Zoë Ŀopez" -> "zoe lopez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# letters that keep their stroke through NFKD: "Łukasz" is also written "Lukasz"
_BASE_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h"}
)
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[tuple[str, int]]:
    """Words of a text, folded, with their start offset in the original text."""
    if text.isascii():  # the common case, 20x faster: folding is lower-casing
        return [(m.group(), m.start()) for m in _ASCII_WORD.finditer(text.lower())]
    found: list[tuple[str, int]] = []
    for match in _WORD.finditer(text):
        folded = re.sub(r"[^\w]|_", "", fold(match.group()).translate(_BASE_LETTERS))
        if folded:
            found.append((folded, match.start()))
    return found


def _words(text: str) -> tuple[str, ...]:
    if text.isascii():
        return tuple(_ASCII_WORD.findall(text.lower()))
    return tuple(word for word, _ in tokens(text))


def _runs(parts: list[str]) -> set[str]:
    """Every run of consecutive name parts, joined: "van der Berg" -> vanderberg, derberg..."""
    return {
        "".join(parts[a:b])
        for a in range(len(parts))
        for b in range(a + 1, len(parts) + 1)
        if not set(parts[a:b]) <= NAME_PARTICLES
    }


def _initials(words: list[tuple[str, ...]]) -> set[str]:
    """A name with initials: "Isembard Crowthorne" -> icrowthorne, crowthornei (two words
    at least: "A. Long" is a name, "along" is not)."""
    if len(words) < 2 or not all(words):
        return set()
    first, rest, last = words[0][0][0], "".join(map("".join, words[1:])), "".join(words[-1])
    fronts = "".join(w[0][0] for w in words[:-1])
    return {first + rest, fronts + last, "".join(words[-1]) + first}


def needles_for(kind: DataKind, value: str | None, *, parts: bool = False) -> list[Needle]:
    """The forms of one datum the guard looks for (whole, joined, and for names the parts).

    Matching is on letters and digits only, whatever stands between them, so each form is
    one string: a text matches it where consecutive words of it, joined, spell the form.
    """
    if not value or not value.strip():
        return []
    if kind is DataKind.phone:
        digits = re.sub(r"\D", "", value)
        tail = digits[-PHONE_DIGITS - 2 :] if len(digits) > PHONE_DIGITS + 2 else digits
        return [Needle(kind, tail)] if len(tail) >= PHONE_DIGITS else []
    text = value.strip().lstrip("@")
    words = [_words(word) for word in text.split()]
    subparts = [part for word in words for part in word]
    found = {"".join(subparts)}
    if kind is DataKind.email and "@" in text:
        found.add("".join(_words(text.split("@", 1)[0])))
    if parts and kind in (DataKind.name, DataKind.handle):
        found |= _runs(subparts)
    single = set(subparts)
    needles = [Needle(kind, form, form in single) for form in sorted(found) if len(form) >= 3]
    initials = _initials(words) - found if kind is DataKind.name else set()
    return needles + [Needle(kind, form, words=2) for form in sorted(initials) if len(form) >= 3]


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _line_numbers(text: str, words: list[tuple[str, int]]) -> list[int]:
    """The 1-based line of each word."""
    breaks = [i for i, c in enumerate(text) if c == "\n"]
    return [bisect.bisect_left(breaks, offset) + 1 for _, offset in words]


def _covered(words: tuple[str, ...], own: dict[str, list[tuple[str, ...]]]) -> list[bool]:
    """Which words of a free text belong to a phrase of CARE's own words (a label...)."""
    covered = [False] * len(words)
    for i, word in enumerate(words):
        for phrase in own.get(word, ()):
            if words[i : i + len(phrase)] == phrase:
                covered[i : i + len(phrase)] = [True] * len(phrase)
    return covered


class Guard:
    """Holds the needles and free texts of the records; finds them in a text.

    ``own_texts`` are CARE's own words (catalogue labels, templates, headings): a free text
    that repeats them, such as a reporter message drafted from a template, is guarded only
    for what people wrote in it.
    """

    def __init__(
        self,
        needles: Iterable[Needle],
        free_texts: Iterable[str] = (),
        own_texts: Iterable[str] = (),
    ) -> None:
        self._by_text: dict[str, list[Needle]] = {}
        self._phones: set[str] = set()
        for needle in needles:
            if needle.kind is DataKind.phone:
                self._phones.add(needle.text)
            else:
                self._by_text.setdefault(needle.text, []).append(needle)
        self._longest = max(map(len, self._by_text), default=0)
        own: dict[str, list[tuple[str, ...]]] = {}
        for phrase in filter(None, map(_words, own_texts)):
            own.setdefault(phrase[0], []).append(phrase)
        free = [words for words in map(_words, free_texts) if len(words) >= QUOTE_WORDS]
        self._free = [(words, _covered(words, own)) for words in free]

    def scan(self, text: str, *, generated_lines: Collection[int] = ()) -> list[Leak]:
        """Every spot in the text holding a datum of the records, a quote or a fine time.

        ``generated_lines`` hold CARE's own text (template text, catalogue labels, headings),
        no one's free text: they quote no one, and on them a single common word such as
        "may" or "will" is not taken for a name part.
        """
        words = tokens(text)
        generated = set(generated_lines)
        ours = [line in generated for line in _line_numbers(text, words)] if generated else []
        hits = self._names(words, ours)
        hits |= {(offset, DataKind.quote) for offset in self._quotes(words, ours)}
        hits |= self._scan_phones(text)
        hits |= scan_style(text)
        return sorted(Leak(*_position(text, o), kind) for o, kind in hits)

    def _names(self, words: list[tuple[str, int]], ours: list[bool]) -> set[tuple[int, DataKind]]:
        """Where consecutive words, joined, spell a datum: "Ravens-worth", "O. Neil"."""
        hits: set[tuple[int, DataKind]] = set()
        for i, (_, offset) in enumerate(words):
            joined, j = "", i
            while j < len(words) and len(joined) + len(words[j][0]) <= self._longest:
                joined, j = joined + words[j][0], j + 1
                for needle in self._by_text.get(joined, ()):
                    if needle.words <= j - i and not (needle.weak and ours and ours[i]):
                        hits.add((offset, needle.kind))
        return hits

    def _quotes(self, words: list[tuple[str, int]], ours: list[bool]) -> set[int]:
        """Offsets where the text repeats QUOTE_WORDS words in a row that people wrote."""
        plain = [w for w, _ in words]
        shingles: dict[tuple[str, ...], list[int]] = {}
        for i in range(len(plain) - QUOTE_WORDS + 1):
            if not (ours and all(ours[i : i + QUOTE_WORDS])):
                shingles.setdefault(tuple(plain[i : i + QUOTE_WORDS]), []).append(words[i][1])
        vocabulary, found = set(plain), set[int]()
        for free, covered in self._free:
            run = 0  # how many words in a row are words of the text: only then look closer
            for j, word in enumerate(free):
                run = run + 1 if word in vocabulary else 0
                start = j - QUOTE_WORDS + 1
                if run >= QUOTE_WORDS and not all(covered[start : j + 1]):
                    found.update(shingles.get(free[start : j + 1], ()))
        return found

    def _scan_phones(self, text: str) -> set[tuple[int, DataKind]]:
        found: set[tuple[int, DataKind]] = set()
        if not self._phones:
            return found
        for match in _DIGIT_RUN.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if len(digits) >= PHONE_DIGITS and any(
                tail in digits or digits.endswith(tail[-PHONE_DIGITS:]) for tail in self._phones
            ):
                found.add((match.start(), DataKind.phone))
        return found


def scan_style(text: str) -> set[tuple[int, DataKind]]:
    """Quotation marks around words and dates or times finer than the event's phase."""
    found: set[tuple[int, DataKind]] = set()
    folded = fold(text)
    if len(folded) != len(text):  # offsets must map back to the original
        folded = text.lower()
    for pattern in _FINE_TIME:
        found |= {(m.start(), DataKind.fine_time) for m in pattern.finditer(folded)}
    found |= {(m.start(), DataKind.quote) for m in _QUOTED.finditer(text)}
    return found
