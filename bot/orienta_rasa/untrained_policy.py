"""The common part of our policies that learn nothing from the stories: they decide from the tracker alone."""
from __future__ import annotations

from typing import Any, List

from rasa.core.policies.policy import Policy
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates


class UntrainedPolicy(Policy):
    """A policy with nothing to train; subclasses register themselves with `is_trainable=False`."""

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource
