"""Filters over the facet table: each constraint, unknown values, relaxation order, the CLI syntax."""
from datetime import date

import pytest

from catalogue_index.filters import FacetTable, OfferFacets, SearchFilters, parse_filter_args, to_eur

OFFERS = [
    OfferFacets("a", ("ro", "en"), "online", ects=5, hours=125, eqf_level=6, country="RO", provider="p1",
                free=False, price_eur=240.0, start_date=date(2027, 3, 1)),
    OfferFacets("b", ("pl",), "onsite", ects=2, eqf_level=4, country="PL", provider="p2", free=True,
                self_paced=True),
    OfferFacets("c", ("lt",), "blended", hours=40, eqf_level=5, country="LT", provider="p3", free=None,
                start_date=date(2027, 1, 10)),
]
TABLE = FacetTable(OFFERS)


def ids(mask):
    return [TABLE.offer_ids[i] for i, keep in enumerate(mask) if keep]


@pytest.mark.parametrize("filters, expected", [
    (SearchFilters(), ["a", "b", "c"]),
    (SearchFilters(languages=("en",)), ["a"]),
    (SearchFilters(languages=("pl", "lt")), ["b", "c"]),
    (SearchFilters(mode="blended"), ["c"]),
    (SearchFilters(ects_max=3), ["b"]),  # c states no ECTS: an unknown value never matches a set filter
    (SearchFilters(ects_min=3), ["a"]),
    (SearchFilters(hours_max=60), ["b", "c"]),  # b's hours are estimated from its ECTS
    (SearchFilters(eqf_level=5), ["c"]),
    (SearchFilters(country="pl"), ["b"]),
    (SearchFilters(provider="p1"), ["a"]),
    (SearchFilters(free=True), ["b"]),
    (SearchFilters(max_price_eur=100), ["b"]),  # free counts as 0; c's price is not stated
    (SearchFilters(start_after=date(2027, 2, 1)), ["a", "b"]),  # self-paced always fits a start date
    (SearchFilters(mode="online", country="RO"), ["a"]),
])
def test_each_filter(filters, expected):
    assert ids(TABLE.mask(filters)) == expected


def test_relaxing_drops_the_least_important_filter_first_and_says_which():
    filters = SearchFilters(languages=("pl",), mode="onsite", max_price_eur=0.5, start_after=date(2030, 1, 1),
                            eqf_level=6)
    mask, applied, dropped = TABLE.relaxed_mask(filters)
    assert dropped == ["eqf_level"]  # the only one in the way; the date and budget fit the free, self-paced b
    assert ids(mask) == ["b"]
    assert applied == filters.without("eqf_level")
    _, _, dropped = TABLE.relaxed_mask(SearchFilters(languages=("pl",), mode="online", eqf_level=5))
    assert dropped == ["eqf_level", "mode"]  # no single filter is enough: least important first


def test_nothing_is_relaxed_when_something_matches():
    mask, applied, dropped = TABLE.relaxed_mask(SearchFilters(mode="online"))
    assert dropped == [] and ids(mask) == ["a"] and applied == SearchFilters(mode="online")


def test_refinement_replaces_only_what_the_follow_up_sets():
    first = SearchFilters(languages=("en",), mode="onsite", eqf_level=6)
    assert first.merged(SearchFilters(mode="online")) == SearchFilters(languages=("en",), mode="online", eqf_level=6)
    assert SearchFilters.from_dict(first.as_dict()) == first


def test_cli_filter_syntax():
    filters = parse_filter_args(["language=en,pl", "mode=online", "ects_max=5", "eqf=6", "country=pl",
                                 "free=yes", "max_price=1000RON", "start_after=2027-03-01"],
                                rates={"EUR": 1.0, "RON": 0.2})
    assert filters == SearchFilters(languages=("en", "pl"), mode="online", ects_max=5.0, eqf_level=6, country="PL",
                                    free=True, max_price_eur=200.0, start_after=date(2027, 3, 1))
    for bad in ("mode=by-post", "eqf=9", "colour=red", "max_price=10XYZ", "start_after=soon", "ects_max"):
        with pytest.raises(ValueError, match="bad filter"):
            parse_filter_args([bad])


def test_prices_compare_in_euro():
    assert to_eur(100, "PLN", {"PLN": 0.25}) == 25.0
    assert to_eur(100, "ZZZ", {"PLN": 0.25}) is None and to_eur(None, "PLN", {"PLN": 0.25}) is None
