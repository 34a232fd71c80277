"""Latvian text analysis for search: tokenise, lowercase, fold diacritics, light stemming.

People type Latvian without diacritics and in any grammatical case, so both the index and
the queries go through the same chain: `konferencē`, `konferenci` and `konference` all
become `konferenc`. The stemmer follows the light stemmer of Lucene's Latvian analysis
(Savoy's approach: strip one case ending, guarded by the word's length and vowel count,
then undo the consonant change the ending caused) but runs on folded text, so a word typed
without diacritics loses the same ending as the written one (`konferencem` = `konferencēm`).
What folding hides, the lexicon drawn from the hunspell-lv dictionary (latvian_lexicon.py)
restores: agent nouns in -ājs keep their -āj- (`skolotājiem`, `skolotāja` = `skolotājs`,
while the adjective's `piektajā` = `piektais`), and a stem changed by its ending
(`mobilitāšu`, `latvieši`) is mapped onto its word's (`mobilitāte`, `latvietis`).
Feminine agent nouns meet the masculine: -niece is -nieks (-tāja, -ēja, -ore, -iste share
the masculine's stem as they are). Words in other scripts (Russian) and words that look
English pass through unstemmed. Whoosh pickles the analyzer into the index: the filters
are module-level classes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer

from gallery.search import latvian_lexicon

# Latin letters with marks fold to their base letter (ā->a, č->c, ņ->n, ö->o, ...);
# other scripts are left alone, so Cyrillic й stays й.
_LATIN_RANGES = (range(0x00C0, 0x0250), range(0x1E00, 0x1F00))


def _fold_table() -> dict[int, str]:
    table = {}
    for block in _LATIN_RANGES:
        for code in block:
            base = unicodedata.normalize("NFD", chr(code))[0]
            if base.isascii() and base.isalpha():
                table[code] = base
    return table


FOLD_TABLE = _fold_table()


def fold(text: str) -> str:
    """Text with Latin diacritics removed: mācību -> macibu."""
    return text.translate(FOLD_TABLE)


# (ending, vowels the word must have more than, whether it may have softened the stem);
# Lucene's list folded and deduplicated, longest endings first within each group.
AFFIXES: tuple[tuple[str, int, bool], ...] = (
    ("ajiem", 3, False),
    ("ajai", 3, False),
    ("ajam", 2, False),
    ("ajos", 2, False),
    ("ajas", 2, False),
    ("iem", 2, True),
    ("aja", 2, False),
    ("ais", 2, False),
    ("ai", 2, False),
    ("ei", 2, False),
    ("am", 1, False),
    ("em", 1, False),
    ("im", 1, False),
    ("um", 1, False),
    ("us", 1, True),
    ("as", 1, False),
    ("es", 1, False),
    ("os", 1, True),
    ("ij", 1, False),
    ("is", 1, True),
    ("ie", 1, False),
    ("u", 1, True),
    ("a", 1, True),
    ("i", 1, True),
    ("e", 1, False),
    ("o", 1, False),
    ("s", 0, False),
)

# The same with the length a word needs to lose the ending (three letters must stay).
_AFFIXES = tuple((ending, vowels, softens, len(ending) + 3) for ending, vowels, softens in AFFIXES)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _pair(text: str) -> tuple[str, str, str]:
    return text.partition(":")


LATVIAN_LETTERS = frozenset("abcdefghijklmnoprstuvz")  # folded; no q, w, x, y
_CONSONANTS_OUT = str.maketrans("", "", "bcdfghjklmnprstvz")  # what is left counts the vowels
# Letter pairs that Latvian spelling never writes (it has č, š, f, k, ...): English.
_FOREIGN_PAIRS = re.compile(r"th|ph|ck|sh|wh|gh|ch|qu|tion$|ness$")
# Common English words a school's captions use that Latvian spelling rules cannot tell
# apart; none of them is also a Latvian word form.
ENGLISH = _words(
    """
    are have some more made make take takes come game games case cases uses place places
    people house home life live online time times name names date dates smile dance
    dances love nice fine free site page image images picture pictures photo photos
    video videos news conference conferences office science course courses prize prizes
    programme awards stage culture nature future practice college village visitors
    guests kids friends members partners volunteers graduates
    """
)
STOP_WORDS = _words(
    """
    un ar no uz par pie pa pec ir bija ka ari bet vai lai jo ne gan kas ko to tas ta tie
    tam tai tos so si sis tika tiek tad tur te tik kur kad ja vien nu
    the and of in on at to for with from
    """
)


# Drawn from the hunspell-lv dictionary by bench/hunspell_lv.py (see latvian_lexicon.py).
AJ_NOUNS = frozenset(latvian_lexicon.AJ_NOUNS.split())
STEMS = {form: noun for form, _, noun in map(_pair, latvian_lexicon.STEMS.split())}


def is_foreign(word: str) -> bool:
    """Whether a folded, lowercase word is not Latvian (other script, English spelling)."""
    return (
        not LATVIAN_LETTERS.issuperset(word)
        or word in ENGLISH
        or _FOREIGN_PAIRS.search(word) is not None
    )


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The search form of a folded, lowercase word (its family's stem); foreign words stay whole."""
    if not word.isalpha() or is_foreign(word):
        return word
    light = light_stem(word)
    return STEMS.get(light, light)


def light_stem(word: str, aj_nouns: Container[str] = AJ_NOUNS) -> str:
    """A folded Latvian word less one case ending, the consonant change undone; the lexicon
    is not used but for `aj_nouns`."""
    vowels, length = len(word.translate(_CONSONANTS_OUT)), len(word)
    for ending, min_vowels, softens, min_length in _AFFIXES:
        if vowels > min_vowels and length >= min_length and word.endswith(ending):
            base = word[: -len(ending)]
            if ending.startswith("aj") and base + "aj" in aj_nouns:
                continue  # skolotājiem is a noun's plural (-iem), not an adjective's -ajiem
            return _masculine(_unsoften(base) if softens else base)
    return word


def _unsoften(word: str) -> str:
    # A labial before -j- was softened by the ending (zivs -> zivju, skapis -> skapja);
    # ļ, ņ, č and the like are already l, n, c after folding.
    if len(word) > 2 and word[-1] == "j" and word[-2] in "pbmv":
        return word[:-1]
    return word


def _masculine(word: str) -> str:
    # dalībniece, dalībnieču -> dalībniek-; the other feminine agent nouns (-tāja, -ēja,
    # -ore, -iste, -ente) already share the masculine's stem.
    return word[:-1] + "k" if word.endswith("niec") else word


class LatvianTerms(Filter):
    """Each token's text lowercased, folded and, when `stemming`, stemmed (stem()); stop
    words dropped (or marked, for snippets), positions renumbered as Whoosh's StopFilter
    does. One filter with a cache per word instead of a chain of four: analysis is most of
    what indexing a caption costs in Python."""

    def __init__(self, stemming: bool = True):
        self.stemming = stemming

    def __call__(self, tokens):
        term_of = search_term if self.stemming else folded_word
        position = None
        for token in tokens:
            term = term_of(token.text)
            if term is None:  # a stop word
                if not token.removestops:
                    token.text, token.stopped = folded_word(token.text), True
                    yield token
                continue
            if token.positions:
                position = token.pos if position is None else position + 1
                token.pos = position
            token.text, token.stopped = term, False
            yield token


@lru_cache(maxsize=500_000)
def search_term(word: str) -> str | None:
    """A word as the index keeps it (lowercase, folded, stemmed); None for a stop word."""
    folded = folded_word(word)
    return None if folded in STOP_WORDS else stem(folded)


@lru_cache(maxsize=500_000)
def folded_word(word: str) -> str:
    return fold(word.lower())


def _tokenizer() -> RegexTokenizer:
    return RegexTokenizer(r"\w+")


def latvian_analyzer():
    """Tokens, lowercase, diacritics folded, stop words dropped, light Latvian stems."""
    return _tokenizer() | LatvianTerms()


def folding_analyzer():
    """Tokens, lowercase, diacritics folded; no stemming (spelling, camera names)."""
    return _tokenizer() | LatvianTerms(stemming=False)


def analyze(text: str, analyzer=None) -> list[str]:
    """The terms that a text becomes (the Latvian analyzer unless one is given)."""
    analyzer = analyzer or _DEFAULT
    return [token.text for token in analyzer(text)]


_DEFAULT = latvian_analyzer()
