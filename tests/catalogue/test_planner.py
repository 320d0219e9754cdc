"""The stacking planner's arithmetic and rules, on hand-made pathways, then on the shipped sample catalogue."""
from pathlib import Path

import pytest

from catalogue_index.importers import load
from catalogue_index.planner import (ExternalCredential, OfferFacts, PathwayFacts, RuleFacts, load_planning_facts,
                                     plan, plan_pathway, recognitions_for)
from catalogue_index.store import CatalogueStore

OFFERS = {o.offer_id: o for o in [
    OfferFacts("core-a", ects=4, eqf_level=6, price_eur=300),
    OfferFacts("core-b", ects=4, eqf_level=6, price_eur=0, prerequisites=("core-a",)),
    OfferFacts("el-1", ects=2, eqf_level=6, price_eur=100),
    OfferFacts("el-2", ects=3, eqf_level=6, price_eur=120),
    OfferFacts("el-3", ects=4, eqf_level=6, price_eur=500),
    OfferFacts("el-4", ects=1, eqf_level=5, price_eur=None),
]}
CERTIFICATE = PathwayFacts("cert", (RuleFacts("all_of", ("core-a", "core-b")),
                                    RuleFacts("min_ects_from_set", ("el-1", "el-2", "el-3", "el-4"), min_ects=4)),
                           ects=12, eqf_level=6)


def test_ects_collected_and_rules_met_or_not():
    result = plan_pathway(CERTIFICATE, ["core-a", "el-1"], OFFERS)
    assert result.counted == ["core-a", "el-1"] and result.ects_collected == 6 and result.ects_required == 12
    core, electives = result.rules
    assert not core.met and core.still_needed == 1
    assert not electives.met and electives.ects_collected == 2 and electives.ects_needed == 2
    assert not result.complete and result.progress == 0.5


def test_cheapest_and_shortest_completions_differ_and_add_up():
    result = plan_pathway(CERTIFICATE, ["core-a", "el-1"], OFFERS)
    # 2 more elective credits: el-2 (3 ECTS, 120 EUR) is the cheapest priced way; el-4 (1 ECTS) alone is too little
    assert result.cheapest.offers == ["core-b", "el-2"] and result.cheapest.price_eur == 120
    assert result.cheapest.ects == 7
    # shortest by workload: el-2 (3 ECTS) beats el-3 (4) and el-4 + el-? combinations
    assert result.shortest.offers == ["core-b", "el-2"]


def test_an_unknown_price_makes_the_total_unknown_not_zero():
    result = plan_pathway(CERTIFICATE, ["core-a", "core-b", "el-2"], OFFERS)
    assert result.rules[1].ects_needed == 1
    assert result.shortest.offers == ["el-4"] and result.shortest.price_eur is None
    assert result.cheapest.offers == ["el-1"] and result.cheapest.price_eur == 100


def test_prerequisites_are_added_before_the_offer_that_needs_them():
    result = plan_pathway(CERTIFICATE, ["el-3"], OFFERS)
    assert result.cheapest.offers[:2] == ["core-a", "core-b"]
    pathway = PathwayFacts("p", (RuleFacts("any_n_of", ("el-1", "el-2"), n=1),), prerequisites=(("el-1", "el-3"),))
    assert plan_pathway(pathway, [], OFFERS).cheapest.offers == ["el-3", "el-1"]  # required by the pathway


def test_any_n_of_counts_and_picks_the_cheapest_remaining():
    pathway = PathwayFacts("p", (RuleFacts("any_n_of", ("el-1", "el-2", "el-3"), n=2),))
    result = plan_pathway(pathway, ["el-3"], OFFERS)
    assert result.rules[0].still_needed == 1 and result.cheapest.offers == ["el-1"]
    assert plan_pathway(pathway, ["el-3", "el-2"], OFFERS).complete


def test_an_impossible_ects_rule_has_no_completion():
    pathway = PathwayFacts("p", (RuleFacts("min_ects_from_set", ("el-1", "el-4"), min_ects=10),))
    assert plan_pathway(pathway, [], OFFERS).cheapest is None


def test_external_credentials_are_candidates_only_at_the_same_level_and_size():
    external = [ExternalCredential("Excel at a private academy", ects=4, eqf_level=6),
                ExternalCredential("A weekend workshop", ects=1, eqf_level=4)]
    result = plan_pathway(CERTIFICATE, ["core-a"], OFFERS, external)
    stands_in_for = {offer for credential, offer in result.external_candidates if credential is external[0]}
    assert stands_in_for == {"core-b", "el-1", "el-2", "el-3", "el-4"}  # EQF 6 >= each level, 4 ECTS >= each
    assert not [c for c, _ in result.external_candidates if c is external[1]]
    assert result.ects_collected == 4  # candidates are never counted: the host organisation decides


def test_plan_lists_only_pathways_the_credentials_count_towards_or_the_goal_names():
    other = PathwayFacts("other", (RuleFacts("all_of", ("el-3",)),), eqf_level=7)
    assert [p.pathway.pathway_id for p in plan(["core-a"], [CERTIFICATE, other], OFFERS)] == ["cert"]
    assert [p.pathway.pathway_id for p in plan([], [CERTIFICATE, other], OFFERS, goal_pathways=["other"])] == ["other"]
    assert plan(["el-3"], [CERTIFICATE, other], OFFERS, goal_level=7)[0].pathway.pathway_id == "other"
    done = plan(["el-3"], [CERTIFICATE, other], OFFERS)
    assert done[0].pathway.pathway_id == "other" and done[0].complete  # complete plans first


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    store = CatalogueStore.from_url(f"sqlite:///{tmp_path_factory.mktemp('plan') / 'catalogue.db'}")
    loaded = load(str(Path(__file__).resolve().parents[2] / "catalogue_index" / "sample"))
    store.import_records(loaded.records, source=loaded.source, format=loaded.format, issues=loaded.issues)
    return store


def test_every_sample_pathway_can_be_planned_and_completed(sample_store):
    with sample_store.session() as session:
        pathways, offers = load_planning_facts(session)
    assert len(pathways) >= 20
    for pathway in pathways:
        result = plan_pathway(pathway, [], offers)
        assert result.cheapest is not None, pathway.pathway_id
        finished = plan_pathway(pathway, result.cheapest.offers, offers)
        assert finished.complete, pathway.pathway_id  # taking the suggested offers meets every rule


def test_two_sample_offers_and_an_external_credential(sample_store):
    with sample_store.session() as session:
        pathways, offers = load_planning_facts(session)
        port = next(p for p in pathways if p.pathway_id == "pth-smiltynes-universitetas-uosto-logistika-juru-transportas")
        held = ["ofr-smiltynes-universitetas-uosto-terminalu-operacijos", "ofr-smiltynes-universitetas-juru-teise"]
        external = [ExternalCredential("Maritime English B2 course", ects=4, eqf_level=6)]
        result = plan(held, pathways, offers, external)[0]
        assert result.pathway is port
        assert result.ects_collected == 8 and result.ects_required == 12
        assert result.rules[0].met and not result.rules[1].met and result.rules[1].ects_needed == 4
        assert sum(offers[o].ects for o in result.cheapest.offers) >= 4
        assert result.external_candidates  # may stand in for an elective, if the university recognises it
        statements = recognitions_for(session, held, [port.pathway_id])
        assert all(s.offer_id in held or s.pathway_id == port.pathway_id for s in statements)
