"""The Ashby README cites a vendor source for every call the code makes or serves: each call in
constants.ENDPOINT_PERMISSIONS (us → Ashby) and each partner operation in apis.VIEWS (Ashby → us)
has a row in "Every call, one row each" with Ashby's page, the spec operation it was built from
(api-evangelist/ashby-hq @ d26d10dd, named once above the table) and, for our calls, the
permission the code expects; and the assumptions the code rests on are listed in "Not verifiable / our assumptions"."""

import re
from pathlib import Path

import pytest

from integrations.providers.ashby import apis, constants

README = Path(constants.__file__).with_name("README.md")
ROW = re.compile(r"^\| `(?P<call>[A-Za-z]+\.[A-Za-z.]+)` \|(?P<rest>.*)\|\s*$")


def section(title: str) -> str:
    """The README text under the heading `title`, up to the next heading of the same or a higher level."""
    text = README.read_text()
    match = re.search(rf"^(#+) {re.escape(title)}\n", text, re.M)
    assert match, f"README has no section {title!r}"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, match.end())
    return text[match.end() : end.start() if end else len(text)]


def source_rows() -> dict[str, str]:
    rows = {}
    for line in section("Every call, one row each").splitlines():
        if m := ROW.match(line):
            rows[m["call"]] = m["rest"]
    return rows


def calls_in_code() -> set[str]:
    return set(constants.ENDPOINT_PERMISSIONS) | {view.operation for _, view in apis.VIEWS}


def test_every_call_the_code_makes_or_serves_has_a_source_row_and_no_row_is_stale():
    rows, calls = source_rows(), calls_in_code()
    assert calls - set(rows) == set(), "calls in the code with no source row in the README"
    assert set(rows) - calls == set(), "README rows for calls the code no longer makes"


@pytest.mark.parametrize("call", sorted(calls_in_code()))
def test_each_source_row_names_ashbys_page_and_the_spec_operation(call):
    row = source_rows().get(call, "")
    assert "https://developers.ashbyhq.com/" in row, f"{call}: no Ashby page"
    assert f"`paths./{call}`" in row, f"{call}: no spec operation"
    if call in constants.ENDPOINT_PERMISSIONS:
        # The permission the code expects the call to need is the one the row cites.
        assert f"`{constants.ENDPOINT_PERMISSIONS[call]}`" in row, f"{call}: permission"


def test_the_assumptions_section_names_what_the_code_assumes():
    text = section("Not verifiable / our assumptions")
    # The OAuth hosts are guesses: the README must show the ones the code uses.
    for url in (*constants.OAUTH_HOSTS.values(), constants.TOKEN_URL):
        assert url in text, url
    for item in ("API_KEY_SCOPE_PERMISSIONS", "additional_fields", "409", "Basic"):
        assert item in text, item
