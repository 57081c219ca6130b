from collections import Counter

import pytest

from assessments.catalog import INSTRUMENT_KEYS, UnknownInstrument, instrument_get, versions


def test_big5_is_the_ipip_50_item_markers_with_ten_items_per_domain():
    big5 = instrument_get("big5", "1")

    assert len(big5.items) == 50
    assert Counter(i.dimension for i in big5.items) == {"E": 10, "A": 10, "C": 10, "ES": 10, "O": 10}
    # Goldberg's key: 24 reverse-keyed items (E 5, A 4, C 4, ES 8, O 3).
    assert Counter(i.dimension for i in big5.items if i.reverse) == {"E": 5, "A": 4, "C": 4, "ES": 8, "O": 3}
    assert big5.items[0].text == "Am the life of the party."
    assert big5.items[-1].text == "Am full of ideas."


@pytest.mark.parametrize("key", INSTRUMENT_KEYS)
def test_every_instrument_has_balanced_dimensions_and_a_five_point_scale(key):
    instrument = instrument_get(key)

    counts = Counter(i.dimension for i in instrument.items)
    assert set(counts) == {d.key for d in instrument.dimensions}
    assert len(set(counts.values())) == 1
    assert (instrument.scale.min, instrument.scale.max) == (1, 5)
    assert len(instrument.scale.labels) == 5
    assert instrument.page_count >= 2  # the candidate page is always paged
    assert versions(key) == ["1"]


def test_unknown_instrument_or_version_raises():
    with pytest.raises(UnknownInstrument):
        instrument_get("mbti")
    with pytest.raises(UnknownInstrument):
        instrument_get("big5", "99")
