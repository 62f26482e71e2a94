"""Alembic environment of the job store: runs on the connection that `automl.jobs.migrate` passes."""

from alembic import context

from automl.jobs._schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table="automl_alembic_version",  # Optuna keeps its own `alembic_version`
)
with context.begin_transaction():
    context.run_migrations()
