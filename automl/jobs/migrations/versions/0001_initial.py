"""The first job store schema: users, tokens, datasets, jobs and job events.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _user_column(name: str) -> sa.Column:
    """A reference to the owning user; the user's rows go when the user does."""
    return sa.Column(
        name, sa.Integer, sa.ForeignKey("automl_users.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "automl_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "automl_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        _user_column("user_id"),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "automl_datasets",
        sa.Column("id", sa.String(32), primary_key=True),
        _user_column("owner_id"),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "automl_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        _user_column("owner_id"),
        sa.Column("dataset_id", sa.String(32), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("study_name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("worker_id", sa.String(100)),
        sa.Column("lease_expires_at", sa.Float),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("elapsed_seconds", sa.Float, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("progress", sa.JSON, nullable=False),
        sa.Column("model_path", sa.String(255)),
    )
    op.create_index("ix_automl_jobs_state_created", "automl_jobs", ["state", "created_at"])
    op.create_index("ix_automl_jobs_owner_created", "automl_jobs", ["owner_id", "created_at"])
    op.create_table(
        "automl_job_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "job_id",
            sa.String(32),
            sa.ForeignKey("automl_jobs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("worker_id", sa.String(100)),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_automl_job_events_job_id", "automl_job_events", ["job_id"])


def downgrade() -> None:
    op.drop_table("automl_job_events")
    op.drop_table("automl_jobs")
    op.drop_table("automl_datasets")
    op.drop_table("automl_tokens")
    op.drop_table("automl_users")
