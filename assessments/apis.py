from rest_framework.response import Response
from rest_framework.views import APIView


class CandidateAnswerSaveApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request, key):
        return Response({}, status=501)
