"""Crisis words: does a typed text contain any crisis word or phrase, in any language?

A person may write in any language whatever the conversation language is, so every
language's list is searched. Matching works on normalised word tokens, never on regular
expressions built from the lists, so it is linear in the text length:

- NFKC then casefold (full-width forms, ligatures, "ß" -> "ss", Cyrillic and Greek case);
- combining marks left after composition (Arabic harakat, Hebrew points) and the Arabic
  tatweel are dropped on both sides, so a vowelled or stretched word still matches its plain
  spelling; precomposed letters such as "ü" or "й" stay distinct from "u" and "и";
- Arabic and Persian spellings of the same letter are one letter: Arabic yeh, alef maksura
  and Farsi yeh (ي ى ی), Arabic and Persian kaf (ك ک), and the hamza-carrying alefs (أ إ آ)
  with plain alef, because people type with whichever keyboard they have;
- Russian "ё" is plain ie, U+0435 (most people type it so), and the Ukrainian apostrophe in
  its letter form (U+02BC, "вбʼє") separates words like the typewriter one ("вб'є");
- every character that is not a letter or a digit separates words, so punctuation and
  repeated whitespace never hide a phrase ("will nicht mehr leben!!!" matches
  "nicht mehr leben").

A word or phrase matches whole words only ("rat" does not match "Beratung"). A list entry that
ends in `*` matches any word starting with it ("suizid*" matches "Suizidgedanken"), which
helps with compounds and inflected languages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_TATWEEL = "\u0640"
_PREFIX = "*"
# Letter variants folded to one form; keyboards differ, the word does not.
_LETTER_FOLD = str.maketrans(
    {
        "\u064a": "\u06cc",
        "\u0649": "\u06cc",
        "\u0643": "\u06a9",
        "\u0623": "\u0627",
        "\u0625": "\u0627",
        "\u0622": "\u0627",
        "\u0451": "\u0435",
        "\u02bc": "'",
    }
)


class _TokenChars(dict[int, str]):
    """What each character becomes in the token stream: itself (a letter, digit or mark),
    its folded letter, a word break (" "), or nothing (a combining mark, the tatweel).
    Worked out once per character from its Unicode category, then `str.translate` looks it
    up in C: a Python step per character cost ~1.4 µs, most of a long text's check."""

    def __missing__(self, code: int) -> str:
        ch = chr(code).translate(_LETTER_FOLD)
        category = unicodedata.category(ch)
        if category == "Mn" or ch == _TATWEEL:
            value = ""
        elif category[0] in "LNM":
            value = ch
        else:
            value = " "
        if len(self) >= _TOKEN_CHARS_KEPT:  # bounded: a text may carry any of 1.1M characters
            self.clear()  # the common ones come back with the next texts
        self[code] = value
        return value


_TOKEN_CHARS_KEPT = 20_000
_TOKEN_CHARS = _TokenChars()


def normalise(text: str) -> list[str]:
    """The word tokens of `text`, normalised as described in the module docstring."""
    # NFKC again after casefold: folding can leave sequences that compose differently.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.translate(_TOKEN_CHARS).split()


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    prefix: bool
    """The last word matches any word that starts with it."""

    def matches_at(self, tokens: list[str], i: int) -> bool:
        n = len(self.words)
        if i + n > len(tokens):
            return False
        if tuple(tokens[i : i + n - 1]) != self.words[:-1]:
            return False
        last = tokens[i + n - 1]
        return last.startswith(self.words[-1]) if self.prefix else last == self.words[-1]


def phrase(word: str) -> tuple[str, ...]:
    """The normalised tokens of one list entry; empty when it has no letters or digits."""
    return tuple(normalise(word.strip().removesuffix(_PREFIX)))


def _phrases(words_by_language: Mapping[str, Iterable[str]]) -> list[_Phrase]:
    found: set[_Phrase] = set()
    for words in words_by_language.values():
        for word in words:
            tokens = phrase(word)
            if tokens:
                found.add(_Phrase(tokens, word.strip().endswith(_PREFIX)))
    return sorted(found, key=lambda p: (p.words, p.prefix))


@dataclass(frozen=True)
class _Compiled:
    by_first: dict[str, tuple[_Phrase, ...]]
    """Every phrase but a one-word prefix, under its first word, which must match exactly
    (only the last word of a prefix entry is a prefix): one lookup per token."""
    prefixes: tuple[str, ...]
    """One-word prefix entries: one `str.startswith` per token tests them all."""


_COMPILED: dict[int, tuple[Mapping[str, Iterable[str]], _Compiled]] = {}
"""Word lists normalised once per flow version (a flow's lists are one object for as long
as the version is current), not at every message: normalising them costs ~1 ms."""


def _compiled(words_by_language: Mapping[str, Iterable[str]]) -> _Compiled:
    cached = _COMPILED.get(id(words_by_language))
    if cached is not None and cached[0] is words_by_language:
        return cached[1]
    by_first: dict[str, list[_Phrase]] = {}
    prefixes: list[str] = []
    for p in _phrases(words_by_language):
        if p.prefix and len(p.words) == 1:
            prefixes.append(p.words[0])
        else:
            by_first.setdefault(p.words[0], []).append(p)
    compiled = _Compiled({w: tuple(ps) for w, ps in by_first.items()}, tuple(prefixes))
    if len(_COMPILED) >= 32:
        _COMPILED.clear()
    # The lists themselves are kept with the entry, so their id cannot be reused meanwhile.
    _COMPILED[id(words_by_language)] = (words_by_language, compiled)
    return compiled


def find_crisis(text: str, words_by_language: Mapping[str, Iterable[str]]) -> bool:
    """True when `text` contains any crisis word or phrase of any language."""
    tokens = normalise(text)
    if not tokens:
        return False
    compiled = _compiled(words_by_language)
    by_first, prefixes = compiled.by_first, compiled.prefixes
    for i, token in enumerate(tokens):
        if prefixes and token.startswith(prefixes):
            return True
        for p in by_first.get(token, ()):
            if p.matches_at(tokens, i):
                return True
    return False
