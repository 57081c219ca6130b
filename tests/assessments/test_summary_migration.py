"""Migration 0005: results scored before issue 19's fix said each dimension's 0–100 position in
their summary ("Dominance (83/100)"); they are rewritten to the raw scores the write-backs send."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from assessments.catalog import instrument_get
from assessments.models import Result
from assessments.scoring import score_answers
from tests.factories import AssessmentFactory, AssessmentRunFactory

from .scale_checks import contradicting_figures

pytestmark = pytest.mark.django_db
migration = importlib.import_module("assessments.migrations.0005_result_summary_raw_scales")


def stored_result(instrument_key: str, answer: int, summary: str) -> tuple[Result, object]:
    instrument = instrument_get(instrument_key, "1")
    score = score_answers(instrument, {i.id: answer for i in instrument.items})
    run = AssessmentRunFactory(assessment=AssessmentFactory(instrument=instrument_key, version="1"))
    result = Result.objects.create(
        run=run,
        instrument_version="1",
        overall_score=score.overall,
        primary_dimension=score.primary,
        dimensions=score.dimension_records(),
        summary=summary,
    )
    return result, score


def test_an_old_summary_is_rewritten_on_the_instruments_ranges_and_an_unreadable_one_is_kept():
    disc, disc_score = stored_result("disc", 5, "Primary style: Dominance (83/100), direct. Dominance 83.")
    big5, big5_score = stored_result("big5", 4, "Extraversion: moderate (50) — balanced.")
    odd, _ = stored_result("eq", 3, "kept as it is")
    Result.objects.filter(pk=odd.pk).update(dimensions=[{"unexpected": 1}])

    migration.summaries_on_raw_scales(apps, None)

    for result, score in ((disc, disc_score), (big5, big5_score)):
        result.refresh_from_db()
        assert result.summary == score.summary
        assert contradicting_figures(result.summary, score.dimensions) == []
    odd.refresh_from_db()
    assert odd.summary == "kept as it is"
