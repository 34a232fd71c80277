"""The Latvian analyzer: folding, the light stemmer on the seed's word families, other languages."""

from __future__ import annotations

import pickle

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


@pytest.mark.parametrize("root,forms", FAMILIES.items())
def test_word_families_share_a_stem(root, forms):
    assert {term for form in forms for term in analyze(form)} == {root}


@pytest.mark.parametrize("root,forms", FAMILIES.items())
def test_words_typed_without_diacritics_stem_alike(root, forms):
    assert {term for form in forms for term in analyze(fold(form))} == {root}


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


def test_the_unstemmed_analyzer_only_folds():
    assert [t.text for t in folding_analyzer()("Konferencē Mācību")] == ["konference", "macibu"]
