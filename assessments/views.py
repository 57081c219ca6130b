from django.http import HttpResponse
from django.views import View


class CandidateRunTakeView(View):
    def get(self, request, key):
        return HttpResponse("Assessment page coming soon.")


class ReportSharedView(View):
    def get(self, request, key):
        return HttpResponse("Report coming soon.")


class ReportSharedPdfView(ReportSharedView):
    pass
