"""What a learner's message asks the search for: subject words and filters, in five languages."""
import pytest

from catalogue_index.filters import SearchFilters
from orienta.search_request import (SearchRequest, cheaper_filters, parse_number, parse_position, parse_request)
from orienta.search_vocabulary import all_vocabularies, country_names, language_names, match_name


def marked(text, *entities):
    """NLU-style entities: (name, words in `text`, normalised value or None for the words themselves)."""
    found = []
    for name, words, value in entities:
        start = text.index(words)
        found.append({"entity": name, "value": value or words, "start": start, "end": start + len(words)})
    return found


def test_subject_and_filters_from_an_english_request():
    text = "I need an AutoCAD course, online, max five ECTS"
    request = parse_request(text, marked(text, ("subject", "AutoCAD", None), ("mode", "online", "online"),
                                         ("ects", "five", None)), "en")
    assert request.query == "AutoCAD"
    assert request.filters == SearchFilters(mode="online", ects_max=5.0)


def test_words_the_nlu_did_not_mark_still_count():
    request = parse_request("courses on EU law, no fees, face to face", [], "en")
    assert request.query == "EU law"
    assert request.filters == SearchFilters(mode="onsite", free=True)


@pytest.mark.parametrize("text, language", [
    ("find me a course", "en"), ("what courses do you have?", "en"), ("caut un curs", "ro"),
    ("szukam kursu", "pl"), ("iščem tečaj", "sl"), ("ieškau kursų", "lt")])
def test_a_request_without_subject_or_filter_is_vague(text, language):
    assert parse_request(text, [], language).vague


@pytest.mark.parametrize("text, words, language, code", [
    ("Excel po angielsku", "po angielsku", "pl", "en"),
    ("curs de Python în engleză", "în engleză", "ro", "en"),
    ("tečaj v angleščini", "v angleščini", "sl", "en"),
    ("kursas anglų kalba", "anglų kalba", "lt", "en"),
    ("kurs w języku litewskim", "w języku litewskim", "pl", "lt"),
    ("a course in Slovenian", "in Slovenian", "en", "sl"),
])
def test_language_of_instruction_in_the_learners_own_words(text, words, language, code):
    request = parse_request(text, marked(text, ("course_language", words, None)), language)
    assert request.filters.languages == (code,)


@pytest.mark.parametrize("words, language, code", [
    ("in Slovenia", "en", "SI"), ("v Sloveniji", "sl", "SI"), ("Lietuvoje", "lt", "LT"), ("în România", "ro", "RO"),
    ("in Vilnius", "en", "LT"), ("na Poljskem", "sl", "PL"), ("Litwa", "pl", "LT")])
def test_countries_and_cities(words, language, code):
    assert parse_request(words, marked(words, ("country", words, None)), language).filters.country == code


def test_numbers_written_as_words_and_comparators():
    assert parse_number("twenty five", "en") == 25
    assert parse_number("2,5", "pl") == 2.5
    text = "web design course under 200 lei"
    assert parse_request(text, marked(text, ("price", "200", None)), "en").filters.max_price_eur == pytest.approx(40)
    text = "with at least four ECTS"
    assert parse_request(text, marked(text, ("ects", "four", None)), "en").filters == SearchFilters(ects_min=4)
    text = "a sixty-hour course in bookkeeping"
    request = parse_request(text, marked(text, ("hours", "sixty", None)), "en")
    assert request.query == "bookkeeping" and request.filters.hours_max == 75  # about 60 hours


def test_eqf_level_by_number_or_name():
    text = "courses on EU law at bachelor level"
    assert parse_request(text, marked(text, ("eqf_level", "bachelor level", None)), "en").filters.eqf_level == 6
    text = "EQF level 9"
    assert parse_request(text, marked(text, ("eqf_level", "9", None)), "en").filters.eqf_level is None


def test_positions():
    assert parse_position("the second", "en") == 2
    assert parse_position("last", "en") == -1
    assert parse_position("3", "lt") == 3


def test_cheaper_and_free():
    assert parse_request("cheaper ones", [], "en").cheaper
    assert parse_request("any free ones?", [], "en").filters.free
    assert cheaper_filters(SearchFilters(mode="online"), [120.0, None, 80.0]) == \
        SearchFilters(mode="online", max_price_eur=79.99)
    assert cheaper_filters(SearchFilters(), [None]).free


def test_a_button_payload_counts_only_its_entities():
    request = parse_request('/find_course{"subject": "data analysis"}', [{"entity": "subject", "value": "data analysis"}],
                            "en")
    assert request == SearchRequest(query="data analysis")


def test_every_language_has_a_vocabulary_with_the_same_parts():
    for vocabulary in all_vocabularies():
        assert vocabulary.generic and vocabulary.numbers and vocabulary.ordinals, vocabulary.language
        assert set(vocabulary.mode.values()) == {"online", "onsite", "blended"}, vocabulary.language


def test_cldr_names_cover_every_supported_language():
    assert match_name("lietuvių", language_names()) == "lt"
    assert match_name("Słowenia", country_names()) == "SI"
