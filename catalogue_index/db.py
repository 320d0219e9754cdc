"""Where the catalogue lives: its URL, a lazily created engine per URL, sessions, and migrations.

Nothing connects at import. The URL comes from `ORIENTA_CATALOGUE_URL`;
the default is a SQLite file `catalogue.db` in `ORIENTA_VAR_DIR` (default
`var/` in the project). `postgresql://` URLs use psycopg 3. The store is
created and upgraded by the Alembic migrations (`upgrade()`), never by
`create_all`, so a PostgreSQL catalogue and a SQLite one have the same history.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, Mapping, Optional

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"
VERSION_TABLE = "catalogue_alembic_version"  # own name: the database may be shared with Rasa's tracker store

_engines: Dict[str, Engine] = {}
_lock = threading.Lock()


def catalogue_url(env: Optional[Mapping[str, str]] = None) -> str:
    """`ORIENTA_CATALOGUE_URL`, else `sqlite:///<ORIENTA_VAR_DIR or var>/catalogue.db`."""
    env = os.environ if env is None else env
    url = env.get("ORIENTA_CATALOGUE_URL", "").strip()
    if url:
        return url
    var_dir = Path(env.get("ORIENTA_VAR_DIR", "").strip() or PROJECT_ROOT / "var")
    return f"sqlite:///{var_dir / 'catalogue.db'}"


def normalise_url(url: str) -> str:
    """Pick the installed drivers: psycopg 3 for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def get_engine(url: Optional[str] = None) -> Engine:
    """The engine for `url` (default: `catalogue_url()`), created on first use and then reused."""
    key = normalise_url(url or catalogue_url())
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            parsed = make_url(key)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(key, future=True)
            if parsed.get_backend_name() == "sqlite":
                event.listen(engine, "connect", _enable_sqlite_foreign_keys)
            _engines[key] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a forked worker starts)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def session_factory(engine: Optional[Engine] = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Optional[Engine] = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Optional[Engine] = None):
    """An Alembic configuration, bound to `engine` when given (see alembic/env.py)."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PACKAGE_DIR / "alembic"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Optional[Engine] = None, revision: str = "head") -> None:
    """Create or upgrade the catalogue schema by running the migrations."""
    from alembic import command

    command.upgrade(alembic_config(engine or get_engine()), revision)


def current_revision(engine: Optional[Engine] = None) -> Optional[str]:
    """The migration the store is at; None when it has never been migrated."""
    engine = engine or get_engine()
    if not inspect(engine).has_table(VERSION_TABLE):
        return None
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
