"""SmartRecruiters' published Assessment API excerpt ships with the code: package data of the
provider (pyproject [tool.setuptools.package-data]), read through importlib.resources, with its
source named in the file."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from integrations.providers.smartrecruiters import reference

ROOT = Path(__file__).resolve().parents[4]
SR = ROOT / "integrations" / "providers" / "smartrecruiters"


def test_srs_openapi_excerpt_loads_as_package_data_with_its_source():
    document = reference.assessment_api()
    assert document["_source"].startswith(
        "https://github.com/konfig-sdks/openapi-examples/blob/2d2b1f35dea9f56a07e6fa1f70697171b2676bb5/"
        "smartrecruiters/openapi.yaml"
    )
    assert {"PartnerConfigurationRequest", "Score", "AssessmentType"} <= set(
        document["components"]["schemas"]
    )
    assert reference.operation_scopes("/partner/configuration", "put") == ("partner_configuration_manage",)


def test_every_vendor_file_is_declared_as_package_data_in_pyproject():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["integrations.providers.smartrecruiters"]
    vendor_files = sorted(p.relative_to(SR).as_posix() for p in (SR / "vendor").iterdir() if p.is_file())
    assert vendor_files, "the SmartRecruiters provider ships its vendor reference data"
    undeclared = [f for f in vendor_files if not any(fnmatch.fnmatch(f, pattern) for pattern in declared)]
    assert undeclared == []
