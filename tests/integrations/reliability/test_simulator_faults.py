"""Fault injection for the built-in simulators: faults are answered in order, once each, by any
simulator view that opts in; timeouts look like timeouts to the HTTP client."""

import pytest
import requests
from django.http import JsonResponse
from django.test import RequestFactory

from integrations.simulator_faults import sim_fault_clear, sim_fault_inject, sim_faults

pytestmark = pytest.mark.django_db

applied: list[str] = []


@sim_faults("fake")
def results_view(request):
    applied.append(request.path)
    return JsonResponse({"id": "res_1"}, status=201)


@pytest.fixture(autouse=True)
def _reset():
    applied.clear()
    yield
    sim_fault_clear(provider="fake")


def call(path="/sim/fake/results"):
    return results_view(RequestFactory().post(path))


def test_status_faults_are_answered_in_order_then_the_view_runs():
    sim_fault_inject(provider="fake", faults=["429", "429:30", "503", "401"])
    first, second, third, fourth, fifth = (call() for _ in range(5))
    assert (first.status_code, "Retry-After" in first) == (429, False)
    assert (second.status_code, second["Retry-After"]) == (429, "30")
    assert third.status_code == 503 and fourth.status_code == 401
    assert fifth.status_code == 201 and applied == ["/sim/fake/results"], "faults apply nothing"


def test_faults_can_target_one_path():
    sim_fault_inject(provider="fake", faults=["500"], path_prefix="/sim/fake/token")
    assert call("/sim/fake/results").status_code == 201
    assert call("/sim/fake/token").status_code == 500


def test_timeout_before_and_after_applying_look_like_timeouts_to_the_client():
    sim_fault_inject(provider="fake", faults=["timeout", "timeout_after"])
    with pytest.raises(requests.ReadTimeout):
        call()
    assert applied == []
    with pytest.raises(requests.ReadTimeout):
        call()
    assert applied == ["/sim/fake/results"], "applied, then the answer was lost"
