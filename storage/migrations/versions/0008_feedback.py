"""Feedback surveys: per-program and per-team settings, versioned templates, surveys,
invites, responses (anonymous ones without a person), answers, shared stories, and the
admins' short-lived export links; indexes for the outcome metrics' counts (sessions,
agendas and check-ins per window).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _ref(name: str, table: str, nullable: bool = False, index: bool = True) -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey(f"{table}.id"), nullable=nullable, index=index
    )


def _at(name: str, nullable: bool = True, index: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(), nullable=nullable, index=index)


def _settings_columns() -> list[sa.Column]:
    return [
        sa.Column("min_answers", sa.Integer(), nullable=False),
        sa.Column("close_days", sa.Integer(), nullable=False),
        _at("updated_at", nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "feedback_settings",
        sa.Column("program_id", sa.Integer(), sa.ForeignKey("programs.id"), primary_key=True),
        sa.Column("moments_off", sa.JSON(), nullable=False),
        sa.Column("demographics", sa.Boolean(), nullable=False),
        *_settings_columns(),
    )
    op.create_table(
        "coffee_feedback_settings",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), primary_key=True),
        sa.Column("pulse", sa.Boolean(), nullable=False),
        *_settings_columns(),
    )
    op.create_table(
        "survey_templates",
        _id(),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        _ref("created_by_id", "users", nullable=True, index=False),
        _at("created_at", nullable=False),
        sa.UniqueConstraint("scope", "name", "version"),
    )
    op.create_table(
        "surveys",
        _id(),
        sa.Column("key", sa.String(100), nullable=False, unique=True),
        sa.Column("moment", sa.String(20), nullable=False, index=True),
        _ref("team_id", "teams"),
        _ref("program_id", "programs", nullable=True, index=False),
        _ref("mentorship_id", "mentorships", nullable=True),
        _ref("round_id", "pair_rounds", nullable=True),
        _ref("template_id", "survey_templates", index=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("focus_areas", sa.JSON(), nullable=False),
        _at("moment_at", nullable=False),
        _at("created_at", nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_surveys_program_moment_at", "surveys", ["program_id", "moment_at", "sent", "answered"]
    )
    op.create_index("ix_surveys_program_moment", "surveys", ["program_id", "moment", "moment_at"])
    op.create_table(
        "survey_invites",
        _id(),
        _ref("survey_id", "surveys", index=False),
        _ref("user_id", "users"),
        sa.Column("role", sa.String(10), nullable=False),
        _ref("partner_id", "users", nullable=True, index=False),
        _at("due_at", nullable=False, index=True),
        _at("closes_at", nullable=False),
        _at("sent_at"),
        _at("remind_at", index=True),
        _at("reminded_at"),
        sa.Column("answered", sa.Boolean(), nullable=False),
        _at("answered_at"),
        sa.UniqueConstraint("survey_id", "user_id"),
    )
    op.create_table(
        "survey_responses",
        _id(),
        _ref("survey_id", "surveys"),
        _ref("user_id", "users", nullable=True),
        sa.Column("edit_hash", sa.String(64), unique=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        _at("updated_at"),
        sa.UniqueConstraint("survey_id", "user_id"),
    )
    op.create_table(
        "survey_answers",
        _id(),
        _ref("response_id", "survey_responses"),
        _ref("survey_id", "surveys", index=False),
        sa.Column("question", sa.String(40), nullable=False),
        sa.Column("tag", sa.String(40), nullable=False),
        sa.Column("part", sa.String(60), nullable=False),
        sa.Column("number", sa.Integer()),
        sa.Column("number2", sa.Integer()),
        sa.Column("choice", sa.String(40)),
        sa.Column("text", sa.Text()),
    )
    op.create_index(
        "ix_survey_answers_values",
        "survey_answers",
        ["survey_id", "tag", "part", "number", "number2", "choice"],
    )
    op.create_table(
        "survey_stories",
        _id(),
        _ref("survey_id", "surveys"),
        _ref("response_id", "survey_responses", nullable=True),
        _ref("user_id", "users", nullable=True),
        sa.Column("author_name", sa.String(200)),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_table(
        "export_links",
        _id(),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _ref("user_id", "users"),
        _ref("team_id", "teams", index=False),
        _ref("program_id", "programs", nullable=True, index=False),
        sa.Column("what", sa.String(20), nullable=False),
        sa.Column("range_from", sa.Date(), nullable=False),
        sa.Column("range_to", sa.Date(), nullable=False),
        _at("created_at", nullable=False),
        _at("expires_at", nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
    )
    # The outcome metrics count sessions, agendas and check-ins per pair or person and
    # window, from the index alone.
    op.create_index("ix_session_notes_pair_created", "session_notes", ["pair_key", "created_at"])
    op.create_index(
        "ix_session_agendas_pair_created", "session_agendas", ["pair_key", "created_at"]
    )
    op.create_index(
        "ix_checkins_user_trigger_due", "checkins", ["user_id", "trigger", "due_at", "answered_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_checkins_user_trigger_due", "checkins")
    op.drop_index("ix_session_agendas_pair_created", "session_agendas")
    op.drop_index("ix_session_notes_pair_created", "session_notes")
    for table in (
        "export_links",
        "survey_stories",
        "survey_answers",
        "survey_responses",
        "survey_invites",
        "surveys",
        "survey_templates",
        "coffee_feedback_settings",
        "feedback_settings",
    ):
        op.drop_table(table)
