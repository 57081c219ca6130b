"""Assessments sit below integrations (README "Layout", issue 22): beyond imports, which
import-linter checks, its models and migrations name no app above it. What orders a run is the
project's ASSESSMENTS_RUN_SOURCE_MODEL, as the user is AUTH_USER_MODEL."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from assessments.models import AssessmentRun

APP_DIR = Path(__file__).resolve().parents[2] / "assessments"
# The app labels above assessments (integrations, its data sync, the audit app).
ABOVE = ("integrations", "sync", "audit")
# A string literal that is an app label or a model label of one of them: 'integrations',
# "integrations.Integration", 'integrations.integration'. Prose in docstrings and comments
# ("integrations: the write-back outbox") is not a label.
LABEL = re.compile(r"^[rbuRBU]*(['\"])(" + "|".join(ABOVE) + r")(\.\w+)?\1$")


def _labels_named(path: Path) -> list[str]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return [f"{path.name}:{t.start[0]}: {t.string}" for t in tokens
            if t.type == tokenize.STRING and LABEL.match(t.string)]  # fmt: skip


def test_no_module_or_migration_of_assessments_names_an_app_above_it():
    named = [
        f"{path.parent.name}/{hit}" for path in sorted(APP_DIR.rglob("*.py")) for hit in _labels_named(path)
    ]
    assert named == []


def test_the_label_check_sees_a_label(tmp_path):
    # The check above would see what the model and its first migration used to say.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "ForeignKey('integrations.Integration')\ndependencies = [('integrations', '0001_initial')]\n"
        '"""integrations: prose is fine."""\n'
    )
    assert [hit.split(": ", 1)[1] for hit in _labels_named(sample)] == [
        "'integrations.Integration'",
        "'integrations'",
    ]


def test_assessments_migrations_depend_only_on_lower_apps_and_the_run_source_setting():
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the files, not the database
    source_app = settings.ASSESSMENTS_RUN_SOURCE_MODEL.split(".")[0]
    for (app, name), migration in loader.disk_migrations.items():
        if app != "assessments":
            continue
        for dependency in migration.dependencies:
            if getattr(dependency, "setting", None) == settings.ASSESSMENTS_RUN_SOURCE_MODEL:
                continue  # migrations.swappable_dependency(settings.ASSESSMENTS_RUN_SOURCE_MODEL)
            assert dependency[0] in ("assessments", "workspaces", "core", "auth", "contenttypes"), (
                f"assessments.{name} depends on {dependency}"
            )
            assert dependency[0] != source_app


def test_a_runs_source_is_the_model_the_setting_names():
    field = AssessmentRun._meta.get_field("integration")
    assert field.related_model._meta.label_lower == settings.ASSESSMENTS_RUN_SOURCE_MODEL.lower()
    assert field.remote_field.on_delete.__name__ == "SET_NULL"
