"""Rasa-side tests: the project's domain, our policies as Rasa creates them, and one Sanic setting."""
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from sanic import Sanic

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain"

# Sanic 21.12 rewrites its HTTP protocol methods ("touch-up") when an app starts, and cannot do it again
# for a second app in the same process unless test mode keeps the originals. Set before any test starts a server.
Sanic.test_mode = True


@pytest.fixture(scope="session")
def domain():
    return Domain.load(str(DOMAIN_DIR))


@pytest.fixture
def new_policy(tmp_path):
    """A policy of the given class with its default configuration, created the way Rasa's graph creates it."""
    def create(policy_class):
        return policy_class.create(policy_class.get_default_config(), LocalModelStorage(tmp_path),
                                   Resource(policy_class.__name__), ExecutionContext(GraphSchema({}), "test"))
    return create
