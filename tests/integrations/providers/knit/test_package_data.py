"""What the code reads at runtime ships with the code: Knit's published Candidate Assessment model is
package data of the Knit provider, and no application module builds a path into tests/ (an installed
build has no tests/ folder, and import-linter cannot see file reads)."""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from pathlib import Path

from integrations.providers.knit import simulator
from integrations.providers.knit.reference import candidate_assessment_model

ROOT = Path(__file__).resolve().parents[4]
APPLICATION_PACKAGES = ("integrations", "assessments", "jobcannon")
KNIT = ROOT / "integrations" / "providers" / "knit"


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (prose may name tests/ files)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _names_a_tests_path(value: str) -> bool:
    # "tests" as a path segment (Path(BASE_DIR) / "tests" / ...) or a path string into it.
    return value.strip("/") == "tests" or value.startswith(("tests/", "./tests/")) or "/tests/" in value


def test_no_application_module_builds_a_path_under_tests():
    offenders = []
    for package in APPLICATION_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"), filename=str(path))
            docstrings = _docstring_nodes(tree)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and _names_a_tests_path(node.value)
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert offenders == [], "application code must not read files under tests/:\n" + "\n".join(offenders)


def test_knits_published_model_loads_as_package_data_with_its_source():
    model = candidate_assessment_model()
    assert model["_source"] == "https://developers.getknit.dev/reference/assessments-apis"
    assert model["model_id"] == "ats_candidate_assessment"
    assert set(model["fields"]) == {
        "id",
        "assessmentPackage",
        "candidate",
        "applicationId",
        "jobId",
        "status",
        "callbackUrl",
        "originData",
        "metaData",
    }
    # The simulator validates the unified update against this same copy.
    assert simulator.published_candidate_assessment_model() is model


def test_every_vendor_file_is_declared_as_package_data_in_pyproject():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["integrations.providers.knit"]
    vendor_files = sorted(p.relative_to(KNIT).as_posix() for p in (KNIT / "vendor").iterdir() if p.is_file())
    assert vendor_files, "the Knit provider ships its vendor reference data"
    undeclared = [f for f in vendor_files if not any(fnmatch.fnmatch(f, pattern) for pattern in declared)]
    assert undeclared == []
