from django.contrib import admin

from assessments.models import Answer, Assessment, AssessmentConfig, AssessmentRun, Result


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["name", "instrument", "version", "workspace", "active"]
    list_filter = ["instrument", "active"]


class ResultInline(admin.StackedInline):
    model = Result
    extra = 0
    can_delete = False
    readonly_fields = [
        "instrument_version",
        "overall_score",
        "primary_dimension",
        "dimensions",
        "summary",
        "answered_count",
        "item_count",
        "duration_seconds",
    ]


@admin.register(AssessmentRun)
class AssessmentRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "candidate_email",
        "instrument",
        "status",
        "workspace",
        "provider",
        "due_at",
        "created_at",
    ]
    list_filter = ["status", "instrument", "provider"]
    search_fields = [
        "candidate_email",
        "external_candidate_id",
        "external_application_id",
        "external_assessment_id",
    ]
    raw_id_fields = ["workspace", "assessment", "integration"]
    # The token is the candidate's credential: not shown or editable in the admin.
    exclude = ["token"]
    inlines = [ResultInline]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["run", "item_id", "value", "answered_at"]
    raw_id_fields = ["run"]


@admin.register(AssessmentConfig)
class AssessmentConfigAdmin(admin.ModelAdmin):
    list_display = ["workspace", "email_template", "default_due_days", "reminder_days_before"]
    raw_id_fields = ["workspace"]
