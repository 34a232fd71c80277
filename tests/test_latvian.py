"""The Latvian analyzer: folding, stemming and the lexicon on word families, other languages."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from gallery.search.latvian import analyze, fold, folding_analyzer, latvian_analyzer, stem

FAMILIES = {
    "tehnikum": ["tehnikums", "tehnikumā", "tehnikuma", "tehnikumu", "tehnikumam"],
    "konferenc": ["konference", "konferencē", "konferenci", "konferences", "konferencēm"],
    "macib": ["mācības", "mācību", "mācībām"],
    "vid": ["vide", "vidē", "vidi", "vides"],
    "audzekn": ["audzēkņi", "audzēkņu", "audzēknis", "audzēkņiem"],
    "valst": ["valsts", "valstis", "valstīm", "valstīs", "valstu"],
    "daugavpil": ["Daugavpils", "Daugavpilī", "Daugavpili", "Daugavpilij"],
    "darb": ["darbs", "darba", "darbā", "darbu"],
    "vies": ["viesis", "viesi", "viesus", "viesiem", "viesu"],
}


# Issue 17's families: each failed on the analyzer before it (noted where one did not).
AGENT_NOUNS = {  # masculine and feminine, singular and plural, every case
    "skolotaj": "skolotājs skolotāja skolotājas skolotājai skolotāju skolotājā skolotājam "
    "skolotāji skolotājiem skolotājus skolotājos skolotājām skolotājās",
    "uzvaretaj": "uzvarētājs uzvarētāja uzvarētājas uzvarētājiem uzvarētājām uzvarētāju",
    "audzinataj": "audzinātāja audzinātājai audzinātājs audzinātājiem audzinātājām",
    "dalibniek": "dalībnieks dalībnieki dalībniekiem dalībniece dalībnieces dalībniecei "
    "dalībniecēm dalībnieču",
    "zinatniek": "zinātnieks zinātniece zinātnieces zinātnieku zinātniecēm",
    "pardevej": "pārdevējs pārdevēja pārdevējas pārdevējiem pārdevējām",  # passed before
    "direktor": "direktors direktore direktorei direktoram direktoriem direktorēm",  # passed
}
LONG_PLURALS = {  # the plural's long endings meet the singular
    "skolotaj": "skolotājs skolotājiem skolotājām",
    "vaditaj": "vadītājs vadītājiem vadītājām vadītāja",
    "uzvaretaj": "uzvarētāja uzvarētājiem uzvarētājām",
}
ALTERNATIONS = {  # a consonant changed by the ending (folded: š is s, ž is z, ļ is l, ...)
    "mobilitat": "mobilitāte mobilitātes mobilitātē mobilitāšu",  # 5th: t -> š
    "universitat": "universitāte universitātēm universitāšu",  # 5th: t -> š
    "olimpiad": "olimpiāde olimpiādēs olimpiāžu",  # 5th: d -> ž
    "latviet": "latvietis latvieši latviešu latviešiem latviete",  # 2nd: t -> š
    "nakt": "nakts naktī naktis nakšu",  # 6th: t -> š
    "sird": "sirds sirdis siržu",  # 6th: d -> ž
}
ALTERNATIONS_BEFORE = {  # undone by folding or by the stemmer already
    "klas": "klase klašu",  # s -> š
    "vez": "vēze vēžu",  # z -> ž
    "audzekn": "audzēknis audzēkņu",  # n -> ņ
    "bral": "brālis brāļu",  # l -> ļ
    "lac": "lācis lāču",  # c -> č
    "ziv": "zivs zivju",  # v -> vj
    "skap": "skapis skapja",  # p -> pj
    "gulb": "gulbis gulbju",  # b -> bj
    "zem": "zeme zemju",  # m -> mj
}
ISSUE_FAMILIES = [*AGENT_NOUNS.items(), *LONG_PLURALS.items(), *ALTERNATIONS.items()]


@pytest.mark.parametrize("root,forms", FAMILIES.items())
def test_word_families_share_a_stem(root, forms):
    assert {term for form in forms for term in analyze(form)} == {root}


@pytest.mark.parametrize("root,forms", FAMILIES.items())
def test_words_typed_without_diacritics_stem_alike(root, forms):
    assert {term for form in forms for term in analyze(fold(form))} == {root}


@pytest.mark.parametrize("typed", [str, fold], ids=["diacritics", "folded"])
@pytest.mark.parametrize("root,forms", ISSUE_FAMILIES)
def test_masculine_feminine_plural_and_changed_forms_share_a_search_form(root, forms, typed):
    assert {term for form in forms.split() for term in analyze(typed(form))} == {root}


@pytest.mark.parametrize("root,forms", ALTERNATIONS_BEFORE.items())
def test_the_other_consonant_changes_still_meet(root, forms):
    assert {term for form in forms.split() for term in analyze(form)} == {root}


@pytest.mark.parametrize(
    "one,other",
    [
        ("uzvarēja", "uzvarētājs"),  # a verb (won) is not the winner
        ("uzvarēja", "uzvarētāja"),
        ("uzvara", "uzvarētāja"),
        ("koledža", "kolektīvs"),
        ("pavasaris", "pavārs"),
        ("pavasarī", "pavāri"),
        ("skola", "skolotāja"),
        ("skolēns", "skolotājs"),
        ("viesis", "vieta"),  # s is not a changed t where the word is viesis
        ("gads", "gāze"),
        ("vide", "vīze"),
        ("audzinātāja", "audzētāja"),
    ],
)
def test_words_that_only_look_alike_stay_apart(one, other):
    assert analyze(one) != analyze(other)
    assert analyze(fold(one)) != analyze(fold(other))


def test_ordinals_and_adjectives_keep_their_definite_endings():
    # -ajā, -ajiem are an adjective's, except after the -āj- of a noun (skolotājiem)
    assert {stem(fold(w)) for w in ("piektais", "piektajā", "piektā", "piektajiem")} == {"piekt"}
    assert {stem(fold(w)) for w in ("labākais", "labākajiem", "labākā")} == {"labak"}


def test_folding_covers_the_latvian_alphabet():
    assert fold("ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž") == "ACEGIKLNSUZ acegiklnsuz"
    assert fold("Jānis Šķēle ģimenē") == "Janis Skele gimene"


def test_consonant_changes_are_undone():
    assert stem("zivju") == stem("zivs") == "ziv"  # vj -> v before the genitive plural
    assert analyze("brāļa") == analyze("brālis") == ["bral"]  # ļ -> l by folding


def test_short_words_keep_their_endings():
    assert analyze("uz") == []  # a stop word
    assert analyze("ola") == ["ola"]  # three letters: nothing to strip safely
    assert stem("sis") == "sis"


def test_russian_passes_whole_except_lowercase():
    assert analyze("Конференция студентов Даугавпилса") == [
        "конференция",
        "студентов",
        "даугавпилса",
    ]
    assert analyze("ёлка й") == ["ёлка", "й"]  # no folding outside Latin script


def test_english_passes_whole_except_lowercase():
    words = "Conference photos of the school open day with teachers and guests"
    assert analyze(words) == [
        "conference",
        "photos",
        "school",
        "open",
        "day",
        "teachers",
        "guests",
    ]


def test_numbers_and_codes_are_kept():
    assert analyze("2019. gada 3. decembrī Nr. 2019-1-LV01-KA116") == [
        "2019",
        "gad",
        "3",
        "decembr",
        "nr",
        "2019",
        "1",
        "lv01",
        "ka116",
    ]


def test_positions_and_characters_point_into_the_original_text():
    text = "Daugavpils tehnikumā"
    tokens = [(t.text, t.startchar, t.endchar) for t in latvian_analyzer()(text, chars=True)]
    assert tokens == [("daugavpil", 0, 10), ("tehnikum", 11, 20)]


def test_analyzers_pickle_for_the_index():
    for analyzer in (latvian_analyzer(), folding_analyzer()):
        copy = pickle.loads(pickle.dumps(analyzer))
        assert [t.text for t in copy("Mācību")] == [t.text for t in analyzer("Mācību")]


@pytest.mark.slow  # reads the whole dictionary: about 4 s
def test_the_lexicon_is_what_the_hunspell_dictionary_yields():
    """latvian_lexicon.py is bench/hunspell_lv.py's output for Debian's hunspell-lv."""
    script = Path(__file__).resolve().parent.parent / "bench" / "hunspell_lv.py"
    done = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + " (scripts/setup test installs hunspell-lv)"


def test_the_unstemmed_analyzer_only_folds():
    assert [t.text for t in folding_analyzer()("Konferencē Mācību")] == ["konference", "macibu"]
