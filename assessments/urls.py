from django.urls import path

from assessments import apis, views

app_name = "assessments"

urlpatterns = [
    # Candidate pages: no login, the signed token in the URL is the key.
    path("a/<str:key>/", views.CandidateRunTakeView.as_view(), name="take"),
    path("a/<str:key>/answers", apis.CandidateAnswerSaveApi.as_view(), name="answer-save"),
    # Recruiter report opened from an ATS through a signed link.
    path("assessments/reports/<str:key>/", views.ReportSharedView.as_view(), name="report-shared"),
    path(
        "assessments/reports/<str:key>/report.pdf",
        views.ReportSharedPdfView.as_view(),
        name="report-shared-pdf",
    ),
]
