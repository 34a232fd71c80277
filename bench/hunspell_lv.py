"""Debian's hunspell-lv dictionary read through spylls: noun paradigms, and the lexicon they yield.

Run: `.venv/bin/python bench/hunspell_lv.py [--write | --check] [--dictionary PATH]`.
The dictionary tags every noun with its declension (`po:lietv5r`) and its affix rules
know the consonant changes and their exceptions (`mobilitāte` -> `mobilitāšu`,
`skolotājs` -> `skolotāja`). Each noun's case forms are generated from those rules and
folded, then put through the analyzer's light stemmer; what the stemmer cannot do alone
becomes gallery/search/latvian_lexicon.py:
- AJ_NOUNS: the stems of the nouns in -ājs / -āja, whose -āj- is not an adjective ending;
- STEMS: a form's stem that differs from its noun's stem -> the noun's stem, unless that
  form's stem is also the stem of another dictionary word or of two nouns' forms.
Without an option it prints what the analysis does over the whole dictionary (before issue
17, the light stemmer alone, with the lexicon): the nouns whose forms all share one search
form, and the nouns that share one with another noun.
`--check` exits 1 when the committed lexicon is not what the dictionary yields.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gallery.search.latvian import fold, is_foreign, light_stem

ROOT = Path(__file__).resolve().parent.parent

DICTIONARY = "/usr/share/hunspell/lv_LV"
LEXICON = ROOT / "gallery" / "search" / "latvian_lexicon.py"
# The dictionary's case-ending flags (its other flags make diminutives and verb forms):
# O/o 1st declension singular/plural, Q/q 2nd, S/s 3rd to 6th, x a masculine's feminine.
SINGULAR_PLURAL = {"O": "o", "Q": "q", "S": "s"}
CASE_FLAGS = frozenset("OoQqSsx")


@dataclass(frozen=True)
class Noun:
    lemma: str  # folded, lowercase
    declension: str  # "1".."6"
    forms: frozenset[str]  # folded, lowercase, the lemma included


def load(path: str = DICTIONARY):
    """The spylls dictionary; SystemExit with the install command when it is missing."""
    if not Path(path + ".dic").exists():
        raise SystemExit(f"{path}.dic is missing: apt-get install hunspell-lv (scripts/setup)")
    from spylls.hunspell import Dictionary

    return Dictionary.from_files(path)


def nouns(dictionary) -> Iterator[Noun]:
    """Every common and proper noun with its case forms (the plural's too, even where the
    dictionary lists only the singular's flag)."""
    suffixes = dictionary.aff.SFX
    for word in dictionary.dic.words:
        tag = next(iter(word.data.get("po", [])), "")
        if not tag.startswith("lietv") or tag[6:7] not in ("r", "i", "d"):
            continue
        flags = set(word.flags) & CASE_FLAGS
        flags |= {SINGULAR_PLURAL[f] for f in flags if f in SINGULAR_PLURAL}
        forms = {word.stem}
        for flag in flags:
            for form, more in _apply(suffixes.get(flag, ()), word.stem):
                forms.add(form)
                for flag2 in more & CASE_FLAGS:
                    forms.update(f for f, _ in _apply(suffixes.get(flag2, ()), form))
        yield Noun(_folded(word.stem), tag[5], frozenset(_folded(f) for f in forms if f.isalpha()))


def _apply(suffixes, stem: str) -> Iterator[tuple[str, set[str]]]:
    for suffix in suffixes:
        if not suffix.add:  # the vocative (skolotāj!, tehnikum!): no caption's word
            continue
        if suffix.cond_regexp.search(stem) and stem.endswith(suffix.strip):
            yield stem[: len(stem) - len(suffix.strip)] + suffix.add, set(suffix.flags)


def _folded(word: str) -> str:
    return fold(word.lower())


def other_words(dictionary) -> Iterator[str]:
    """The headwords that are not nouns (verbs, adjectives, ...), folded."""
    for word in dictionary.dic.words:
        tag = next(iter(word.data.get("po", [])), "")
        if not tag.startswith("lietv") and word.stem.isalpha():
            yield _folded(word.stem)


def aj_nouns(all_nouns: list[Noun]) -> frozenset[str]:
    """skolotājs, skolotāja, māja, ...: the stems whose -āj- an adjective ending must not take."""
    return frozenset(
        n.lemma[:-1] for n in all_nouns if n.lemma.endswith(("ajs", "aja")) and len(n.lemma) > 4
    )


def stems_table(all_nouns: list[Noun], others: list[str], aj: frozenset[str]) -> dict[str, str]:
    """A form's light stem -> its noun's, where they differ and nothing else claims it."""
    light: Callable[[str], str] = lambda w: w if is_foreign(w) else light_stem(w, aj)  # noqa: E731
    taken = {light(n.lemma) for n in all_nouns} | {light(w) for w in others}
    claims: dict[str, set[str]] = defaultdict(set)
    for noun in all_nouns:
        base = light(noun.lemma)
        for form in noun.forms - {f for f in noun.forms if is_foreign(f)}:
            form_stem = light(form)
            if form_stem != base:
                claims[form_stem].add(base)
    return {
        form_stem: next(iter(bases))
        for form_stem, bases in sorted(claims.items())
        if len(bases) == 1 and form_stem not in taken
    }


def render(aj: frozenset[str], stems: dict[str, str], source: str) -> str:
    """The lexicon module's text: words wrapped at 96 characters."""
    pairs = [f"{form}:{noun}" for form, noun in stems.items()]
    return (
        f'"""Generated by bench/hunspell_lv.py from {source}; do not edit by hand.\n\n'
        "AJ_NOUNS: the stems of nouns in -ājs/-āja (an adjective's -ajiem must not take their\n"
        "-āj-); STEMS: `form:noun`, the light stem of a noun's form that differs from the\n"
        'noun\'s own -> the noun\'s.\n"""\n\n'
        f"AJ_NOUNS = {_wrapped(sorted(aj))}\n\nSTEMS = {_wrapped(pairs)}\n"
    )


def _wrapped(words: list[str]) -> str:
    lines, line = [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > 96:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    lines.append(line)
    return '"""\n' + "\n".join(lines) + '\n"""'


def lexicon(path: str = DICTIONARY) -> tuple[list[Noun], str]:
    dictionary = load(path)
    all_nouns = list(nouns(dictionary))
    aj = aj_nouns(all_nouns)
    stems = stems_table(all_nouns, list(other_words(dictionary)), aj)
    return all_nouns, render(aj, stems, f"hunspell-lv ({Path(path).name}.dic)")


def family_figures(all_nouns: list[Noun], stem: Callable[[str], str]) -> dict[str, float]:
    """Nouns whose forms all meet in one search form; nouns that share it with another."""
    whole = 0
    owners: dict[str, set[str]] = defaultdict(set)
    for noun in all_nouns:
        terms = {stem(form) for form in noun.forms}
        whole += len(terms) == 1
        for term in terms:
            owners[term].add(noun.lemma)
    shared = {lemma for lemmas in owners.values() if len(lemmas) > 1 for lemma in lemmas}
    return {"nouns": len(all_nouns), "whole": whole / len(all_nouns), "shared": len(shared)}


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dictionary", default=DICTIONARY, help="hunspell files, no suffix")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"write {LEXICON.name}")
    action.add_argument("--check", action="store_true", help="exit 1 if it is out of date")
    args = parser.parse_args()
    all_nouns, text = lexicon(args.dictionary)
    if args.write:
        LEXICON.write_text(text)
        print(f"wrote {LEXICON} ({len(text):,} characters)")
    elif args.check:
        if LEXICON.read_text() != text:
            raise SystemExit(f"{LEXICON} is out of date: run bench/hunspell_lv.py --write")
        print(f"{LEXICON.name} is what {args.dictionary}.dic yields")
    else:
        from latvian_eval import BEFORE, _before_module  # bench/latvian_eval.py

        from gallery.search.latvian import stem

        before = _before_module(BEFORE).stem
        light = lambda w: w if is_foreign(w) else light_stem(w, frozenset())  # noqa: E731
        for name, stemmer in [(f"before ({BEFORE})", before), ("light", light), ("kept", stem)]:
            figures = family_figures(all_nouns, stemmer)
            print(
                f"{name}: of {figures['nouns']:,} nouns, {figures['whole']:.1%} have one search "
                f"form for all their forms; {figures['shared']:,} share one with another noun"
            )


if __name__ == "__main__":
    main()
