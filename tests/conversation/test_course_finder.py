"""The search conversation on a real store and engine: cards, refinement, more results, details."""
import json

from catalogue_index.filters import SearchFilters
from orienta.course_finder import SearchState
from orienta.search_request import SearchRequest, parse_request

from .conftest import PYTHON, SOLAR


def payloads(message):
    return [b["payload"] for b in message.get("buttons", [])]


def test_a_search_answers_with_cards_and_next_steps_in_the_learners_language(finder):
    reply = finder.search(parse_request("analiza danych w Pythonie", [], "pl"), "pl")
    header, *cards, footer = reply.messages
    assert cards[0]["text"].startswith("1. Analiza datelor cu Python (")  # no Polish title: the original, marked
    assert "rumuński" in cards[0]["text"] and "1200,00RON" in "".join(cards[0]["text"].split())
    assert f'/explain_offer{{"offer_id": "{PYTHON}"}}' in payloads(cards[0])
    assert "/refine_search" in payloads(footer)
    assert footer["json_message"]["cards"][0]["id"] == PYTHON
    assert reply.state.page[0] == PYTHON and reply.state.query


def test_the_title_in_the_learners_language_is_not_marked(finder):
    reply = finder.search(SearchRequest(query="solar power plant monitoring"), "en")
    assert reply.messages[1]["text"].splitlines()[0] == "1. Monitoring and fault diagnosis of solar power plants"


def test_a_vague_request_gets_the_question_then_examples(finder):
    assert finder.search(SearchRequest(), "en").messages[0]["text"].startswith("What would you like to learn?")
    hint = finder.search(SearchRequest(), "en", asked=True).messages[0]
    assert all(p.startswith("/find_course{") for p in payloads(hint))


def test_refinement_keeps_the_subject_and_relaxes_what_cannot_be_met(finder):
    first = finder.search(SearchRequest(query="python"), "en")
    refined = finder.refine(first.state, parse_request("only online", [], "en"), "en")
    assert refined.state.query == "python"
    assert "left out: the form of participation" in refined.messages[0]["text"]
    assert refined.state.filters == SearchFilters()  # the filter that emptied the list is gone


def test_cheaper_ones_sets_a_budget_below_the_cheapest_priced_offer_shown(finder):
    first = finder.search(SearchRequest(query="python"), "en")
    assert first.state.page[0] == PYTHON  # 1200 RON, about 240 EUR
    cheaper = finder.refine(first.state, parse_request("cheaper ones", [], "en"), "en")
    assert cheaper.state.filters.max_price_eur == 239.99
    assert PYTHON not in cheaper.state.page and "up to €239.99" in cheaper.messages[0]["text"]


def test_refine_without_a_search_starts_one(finder):
    reply = finder.refine(SearchState(), parse_request("solar panels, free", [], "en"), "en")
    assert reply.state.page == [SOLAR] and reply.state.filters.free


def test_more_results_continues_and_ends_clearly(finder):
    first = finder.search(SearchRequest(query="python"), "en")
    assert first.state.page[0] == PYTHON and len(first.state.page) <= 2
    more = finder.more(first.state, "en")
    assert more.messages[0]["text"] == "That is all I found for this search."
    assert more.state.page == first.state.page  # "the first one" still means the same offer


def test_explain_offer_lists_every_annex_i_element_and_what_it_leads_to(finder):
    first = finder.search(SearchRequest(query="saulės elektrinių stebėsena"), "lt")
    reply = finder.explain(first.state, None, 1, "en")
    text = reply.messages[0]["text"]
    for label in ("Title", "Awarding body", "Country of the awarding body", "Learning outcomes", "Notional workload",
                  "Level", "Type of assessment", "Form of participation", "Type of quality assurance",
                  "Prerequisites", "Supervision and identity verification during assessment",
                  "Integration and stackability", "Further information", "Counts towards", "Recognised by"):
        assert f"\n{label}:" in f"\n{text}", label
    assert "Solar energy technician" in text and "Lithuania" in text
    assert "Annex II, principles 5 and 6" in text
    assert reply.state.offer == SOLAR
    intent, entities = payloads(reply.messages[0])[0].split("{", 1)
    assert intent == "/similar_offers" and json.loads("{" + entities) == {"offer_id": SOLAR}


def test_explain_offer_asks_which_one_when_unclear(finder):
    state = SearchState(query="x", page=[PYTHON, SOLAR], active=True)
    reply = finder.explain(state, None, 7, "ro")
    assert len(payloads(reply.messages[0])) == 2
    assert finder.explain(state, None, -1, "en").state.offer == SOLAR


def test_similar_offers_leave_the_offer_itself_out(finder):
    reply = finder.similar(SearchState(), PYTHON, "en")
    assert PYTHON not in reply.state.page


def test_state_round_trips_through_slots():
    state = SearchState(query="welding", filters=SearchFilters(mode="online", ects_max=5), shown=["a", "b"],
                        page=["b"], offer="b", active=True)
    assert SearchState.from_slots(state.to_slots()) == state
    assert SearchState.from_slots({"search_filters": "{broken"}) == SearchState()
