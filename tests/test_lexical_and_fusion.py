"""BM25 ranking with folding and prefixes, and reciprocal rank fusion."""
import pytest

from catalogue_index.fusion import reciprocal_rank_fusion
from catalogue_index.lexical import LexicalCorpus, LexicalIndex, fold, tokenize

DOCS = {
    10: "Advanced Excel for financial analysis: pivot tables and Power Query",
    11: "AutoCAD 2D drafting for construction technicians",
    12: "Mikropoświadczenie: programowanie w Pythonie dla analityków danych",
    13: "Duomenų analizė ir programavimas su Python",
    14: "Zelena transformacija podjetij in trajnostno poročanje",
}


@pytest.fixture(scope="module")
def index():
    return LexicalIndex(list(DOCS), list(DOCS.values()))


def test_fold_removes_diacritics_including_polish_l():
    assert fold("Mikropoświadczenie Łódź Žalgiris") == "mikroposwiadczenie lodz zalgiris"


def test_tokens_have_prefixes_for_inflected_forms():
    assert "progra~" in tokenize("programavimas")
    assert tokenize("a 5 ECTS") == ["5", "ects"]


def test_exact_tool_names_rank_first(index):
    ids, _ = index.search("excel", 3)
    assert ids[0] == 10
    assert index.search("AUTOCAD course", 3)[0][0] == 11


def test_diacritics_and_inflection_do_not_matter(index):
    assert index.search("mikroposwiadczenia z programowania", 3)[0][0] == 12
    assert 13 in index.search("programavimo kursai", 3)[0]


def test_no_match_returns_nothing(index):
    assert len(index.search("astrophysics", 5)[0]) == 0
    assert len(index.search("", 5)[0]) == 0


def test_allowed_ids_filter(index):
    ids, _ = index.search("python", 5, allowed_ids=[13, 14])
    assert list(ids) == [13]


def test_allowed_ids_that_are_not_indexed_are_ignored(index):
    ids, _ = index.search("python", 5, allowed_ids=[13, 99, -1])
    assert list(ids) == [13]


def test_a_streamed_corpus_ranks_like_the_texts():
    corpus = LexicalCorpus()
    for text in DOCS.values():
        corpus.add(text)
    streamed, direct = LexicalIndex.from_corpus(list(DOCS), corpus), LexicalIndex(list(DOCS), list(DOCS.values()))
    for query in ("excel pivot", "programavimo kursai", "mikroposwiadczenie python"):
        assert [list(a) for a in streamed.search(query, 5)] == [list(b) for b in direct.search(query, 5)]
    assert len(corpus.vocab) < sum(len(tokenize(text)) for text in DOCS.values())  # each token once
    with pytest.raises(ValueError):
        LexicalIndex.from_corpus([1, 2], corpus)


def test_rrf_rewards_agreement():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]])
    assert [item for item, _ in fused][:2] == [1, 3]
    assert {item for item, _ in fused} == {1, 2, 3, 4}


def test_rrf_weights_and_validation():
    fused = reciprocal_rank_fusion([[1], [2]], weights=[1.0, 2.0])
    assert fused[0][0] == 2
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], weights=[1.0, 1.0])


def test_lexical_agreement_is_the_share_of_top_lexical_hits_the_dense_ranker_kept():
    from catalogue_index.fusion import lexical_agreement

    assert lexical_agreement([1, 2, 3, 4], [4, 3, 9, 8]) == 0.5
    assert lexical_agreement([], [1]) == 0.0


def test_cosine_order_with_a_bonus_only_as_large_as_the_agreement():
    from catalogue_index.fusion import cosine_with_lexical_bonus

    cosines = {1: 0.850, 2: 0.845, 3: 0.800}
    # the rankers agree fully on {1, 2}: the best BM25 match (2) gains 0.01 and overtakes 1
    fused = cosine_with_lexical_bonus([1, 2, 3], cosines, [(2, 9.0), (1, 0.9)])
    assert [i for i, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(0.845 + 0.01)
    # a word match the dense ranker did not keep comes after the dense hits, at the lowest cosine
    fused = cosine_with_lexical_bonus([1, 2], {1: 0.85, 2: 0.84}, [(7, 5.0)])
    assert [i for i, _ in fused] == [1, 2, 7] and fused[-1][1] == pytest.approx(0.84)
    assert cosine_with_lexical_bonus([1, 2], cosines, []) == [(1, 0.850), (2, 0.845)]
