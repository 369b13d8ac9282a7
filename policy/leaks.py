"""The leak guard: find the records' personal data in a text meant for publication.

Matching ignores case, accents, whitespace and punctuation ("Zoë  O'Neil" finds
"zoe oneil", "ZOE-O.NEIL" and "zoeoneil"); phone numbers match on their digits whatever the
separators and with or without the country code; e-mail addresses match whole or by their
local part. Free texts (narratives, notes) are guarded against quotes: any run of
``QUOTE_WORDS`` of their words found in the text. A leak names its line, column and the
kind of data, never the datum itself.
"""

from __future__ import annotations

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
    tokens: tuple[str, ...]
    weak: bool = False  # one word alone (a name part, a local part): may be a common word


def fold(text: str) -> str:
    """Lower case without accents: "Zoë Ŀopez" -> "zoe lopez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[tuple[str, int]]:
    """Words of a text, folded, with their start offset in the original text."""
    if text.isascii():  # the common case, 20x faster: folding is lower-casing
        return [(m.group(), m.start()) for m in _ASCII_WORD.finditer(text.lower())]
    found: list[tuple[str, int]] = []
    for match in _WORD.finditer(text):
        folded = re.sub(r"[^\w]|_", "", fold(match.group()))
        if folded:
            found.append((folded, match.start()))
    return found


def _words(text: str) -> tuple[str, ...]:
    if text.isascii():
        return tuple(_ASCII_WORD.findall(text.lower()))
    return tuple(word for word, _ in tokens(text))


def needles_for(kind: DataKind, value: str | None, *, parts: bool = False) -> list[Needle]:
    """The forms of one datum the guard looks for (whole, joined, and for names the parts)."""
    if not value or not value.strip():
        return []
    if kind is DataKind.phone:
        digits = re.sub(r"\D", "", value)
        tail = digits[-PHONE_DIGITS - 2 :] if len(digits) > PHONE_DIGITS + 2 else digits
        return [Needle(kind, (tail,))] if len(tail) >= PHONE_DIGITS else []
    text = value.strip().lstrip("@")
    forms = [_words(text)]
    if kind is DataKind.email and "@" in text:
        forms.append(_words(text.split("@", 1)[0]))
    found: set[tuple[str, ...]] = set()
    for words in forms:
        if words:
            found |= {words, ("".join(words),)}
        if parts and kind in (DataKind.name, DataKind.handle):
            found |= {(w,) for w in words if len(w) >= 3 and w not in NAME_PARTICLES}
    strong = {f for f in found if len(f) > 1 or f[0] not in {w for ws in forms for w in ws}}
    return [Needle(kind, f, f not in strong) for f in sorted(found) if len("".join(f)) >= 3]


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _line_starts(text: str, lines: Collection[int]) -> list[tuple[int, int]]:
    """(start, end) offsets of the given 1-based lines."""
    if not lines:
        return []
    spans, start = [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        if number in lines:
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _in_lines(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= offset <= b for a, b in spans)


class Guard:
    """Holds the needles and free texts of the records; finds them in a text."""

    def __init__(self, needles: Iterable[Needle], free_texts: Iterable[str] = ()) -> None:
        self._by_first: dict[str, list[Needle]] = {}
        self._phones: set[str] = set()
        for needle in needles:
            if needle.kind is DataKind.phone:
                self._phones.add(needle.tokens[0])
            else:
                self._by_first.setdefault(needle.tokens[0], []).append(needle)
        self._free = [words for words in map(_words, free_texts) if len(words) >= QUOTE_WORDS]

    def scan(self, text: str, *, generated_lines: Collection[int] = ()) -> list[Leak]:
        """Every spot in the text holding a datum of the records, a quote or a fine time.

        On ``generated_lines`` (template text and catalogue labels, no one's free text) a
        single common word such as "may" or "will" is not taken for a name part.
        """
        hits: set[tuple[int, DataKind]] = set()
        words = tokens(text)
        plain = [w for w, _ in words]
        skip = _line_starts(text, generated_lines)
        for i, (word, offset) in enumerate(words):
            for needle in self._by_first.get(word, ()):
                if needle.weak and _in_lines(offset, skip):
                    continue
                if tuple(plain[i : i + len(needle.tokens)]) == needle.tokens:
                    hits.add((offset, needle.kind))
        hits |= {(offset, DataKind.quote) for offset in self._quotes(words)}
        hits |= self._scan_phones(text)
        hits |= scan_style(text)
        return sorted(Leak(*_position(text, o), kind) for o, kind in hits)

    def _quotes(self, words: list[tuple[str, int]]) -> set[int]:
        """Offsets where the text repeats QUOTE_WORDS words in a row of a free text."""
        plain = [w for w, _ in words]
        shingles: dict[tuple[str, ...], int] = {}
        for i in range(len(plain) - QUOTE_WORDS + 1):
            shingles.setdefault(tuple(plain[i : i + QUOTE_WORDS]), words[i][1])
        vocabulary, found = set(plain), set()
        for free in self._free:
            run = 0  # how many words in a row are words of the text: only then look closer
            for j, word in enumerate(free):
                run = run + 1 if word in vocabulary else 0
                if run >= QUOTE_WORDS:
                    offset = shingles.get(free[j - QUOTE_WORDS + 1 : j + 1])
                    if offset is not None:
                        found.add(offset)
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
