"""Rasa NLU component adding the message's language to the parse result.

`POST /model/parse` and every `user` event then carry `language` (a supported
code, or "und" when unclear), `language_confidence` and `language_ranking`.
It learns short, domain-specific messages from the NLU examples, whose
intent-level metadata names their language.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from orienta_rasa.language_id import LanguageIdentifier
from orienta.languages import supported_languages

MODEL_FILE = "language_identifier.joblib"


def example_language(message: Message) -> Optional[str]:
    """The language recorded in an NLU example's intent- or example-level metadata."""
    metadata = message.get("metadata") or {}
    for level in ("example", "intent"):
        value = (metadata.get(level) or {}).get("language")
        if value:
            return str(value)
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class LanguageDetector(GraphComponent):
    """Detects the language of each message (see module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_confidence": 0.6, "min_margin": 0.25}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        identifier: Optional[LanguageIdentifier] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._identifier = identifier or LanguageIdentifier(
            supported_languages(), config["min_confidence"], config["min_margin"]
        )

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = [], []
        for message in training_data.intent_examples:
            language = example_language(message)
            if language:
                texts.append(message.get("text"))
                labels.append(language)
        self._identifier.fit(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._identifier, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LanguageDetector":
        try:
            with model_storage.read_from(resource) as directory:
                identifier = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            identifier = None
        return cls(config, model_storage, resource, identifier)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            guess = self._identifier.identify(message.get("text") or "")
            message.set("language", guess.language, add_to_output=True)
            message.set("language_confidence", guess.confidence, add_to_output=True)
            message.set("language_ranking", guess.ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
