from django.urls import path

from assessments import apis, recruiter_views, views

app_name = "assessments"

urlpatterns = [
    # Candidate pages: no login, the signed token in the URL is the key.
    path("a/<str:key>/", views.CandidateRunTakeView.as_view(), name="take"),
    path("a/<str:key>/start", views.CandidateRunStartView.as_view(), name="start"),
    path("a/<str:key>/instructions", views.CandidateRunInstructionsView.as_view(), name="instructions"),
    path("a/<str:key>/page/<int:page>", views.CandidateRunPageView.as_view(), name="page"),
    path("a/<str:key>/review", views.CandidateRunReviewView.as_view(), name="review"),
    path("a/<str:key>/answers", apis.CandidateAnswerSaveApi.as_view(), name="answer-save"),
    # Recruiter pages (workspace members).
    path("assessments/", recruiter_views.RunListView.as_view(), name="list"),
    path("assessments/new/", recruiter_views.RunCreateView.as_view(), name="create"),
    path("assessments/settings/", recruiter_views.AssessmentConfigView.as_view(), name="config"),
    path("assessments/runs/<int:pk>/", recruiter_views.RunReportView.as_view(), name="report"),
    path(
        "assessments/runs/<int:pk>/report.pdf", recruiter_views.RunReportPdfView.as_view(), name="report-pdf"
    ),
    path("assessments/runs/<int:pk>/cancel", recruiter_views.RunCancelView.as_view(), name="cancel"),
    path("assessments/runs/<int:pk>/resend", recruiter_views.RunResendView.as_view(), name="resend"),
    # The report opened from an ATS through the signed link in RunResult.report_url.
    path("assessments/reports/<str:key>/", recruiter_views.ReportSharedView.as_view(), name="report-shared"),
    path(
        "assessments/reports/<str:key>/report.pdf",
        recruiter_views.ReportSharedPdfView.as_view(),
        name="report-shared-pdf",
    ),
]
