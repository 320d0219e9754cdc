"""Runs the catalogue migrations against the engine handed over by `catalogue_index.db.upgrade`,
or, from the `alembic` command line, against `ORIENTA_CATALOGUE_URL` / the default SQLite file."""
from alembic import context

from catalogue_index.db import VERSION_TABLE, get_engine
from catalogue_index.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    from catalogue_index.db import catalogue_url, normalise_url

    context.configure(url=normalise_url(catalogue_url()), target_metadata=target_metadata,
                      literal_binds=True, version_table=VERSION_TABLE, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or get_engine()
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          version_table=VERSION_TABLE, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
