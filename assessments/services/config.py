"""Per-workspace assessment settings."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from assessments.catalog import INSTRUMENT_KEYS
from assessments.models import AssessmentConfig, EmailTemplate
from jobcannon.core.exceptions import ValidationFailed


@transaction.atomic
def assessment_config_update(
    *,
    workspace,
    offered_instruments: list[str],
    email_template: str,
    default_due_days: int,
    reminder_days_before: int,
    brand_name: str = "",
    brand_color: str = "#1f4e8c",
) -> AssessmentConfig:
    unknown = sorted(set(offered_instruments) - set(INSTRUMENT_KEYS))
    if unknown:
        raise ValidationFailed(f"Unknown instruments: {', '.join(unknown)}.")
    if email_template not in EmailTemplate.values:
        raise ValidationFailed(f"Unknown email template {email_template!r}.")
    config, _ = AssessmentConfig.objects.select_for_update().get_or_create(workspace=workspace)
    # Keep catalog order so lists and ATS catalogs are stable.
    config.offered_instruments = [k for k in INSTRUMENT_KEYS if k in offered_instruments]
    config.email_template = email_template
    config.default_due_days = default_due_days
    config.reminder_days_before = reminder_days_before
    config.brand_name = brand_name.strip()
    config.brand_color = brand_color
    try:
        config.full_clean()
    except DjangoValidationError as exc:
        raise ValidationFailed("The settings are not valid.", details=exc.message_dict)
    config.save()
    return config
