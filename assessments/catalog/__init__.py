"""The instrument catalog: item banks are versioned JSON data files, `<key>/v<version>.json`.

A run always scores with the version it was started on, so a published version file is never
edited in a way that changes meaning; a changed instrument is a new `v<n+1>.json`.
See README.md in this folder for the instruments, their sources and scoring rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOG_DIR = Path(__file__).resolve().parent
INSTRUMENT_KEYS: tuple[str, ...] = ("big5", "disc", "eq")


class UnknownInstrument(LookupError):
    pass


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    low: str
    high: str


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    dimension: str
    keyed: str  # "+" or "-" (reverse keyed)

    @property
    def reverse(self) -> bool:
        return self.keyed == "-"


@dataclass(frozen=True)
class Scale:
    min: int
    max: int
    labels: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Instrument:
    key: str
    version: str
    name: str
    description: str
    source: str
    license: str
    estimated_minutes: int
    page_size: int
    instructions: tuple[str, ...]
    stem: str
    scale: Scale
    dimensions: tuple[Dimension, ...]
    items: tuple[Item, ...]
    overall: str  # "mean" of dimension scores or "max" (strength of the primary style)
    max_missing_per_dimension: float

    @property
    def page_count(self) -> int:
        return -(-len(self.items) // self.page_size)

    def page_items(self, page: int) -> tuple[Item, ...]:
        start = (page - 1) * self.page_size
        return self.items[start : start + self.page_size]

    def item_ids(self) -> frozenset[str]:
        return frozenset(item.id for item in self.items)


def _parse(data: dict[str, Any]) -> Instrument:
    scale = data["scale"]
    scoring = data["scoring"]
    instrument = Instrument(
        key=data["key"],
        version=str(data["version"]),
        name=data["name"],
        description=data["description"],
        source=data["source"],
        license=data["license"],
        estimated_minutes=int(data["estimated_minutes"]),
        page_size=int(data["page_size"]),
        instructions=tuple(data["instructions"]),
        stem=data.get("stem", ""),
        scale=Scale(
            min=int(scale["min"]),
            max=int(scale["max"]),
            labels=tuple(sorted((int(k), v) for k, v in scale["labels"].items())),
        ),
        dimensions=tuple(Dimension(**d) for d in data["dimensions"]),
        items=tuple(Item(**i) for i in data["items"]),
        overall=scoring["overall"],
        max_missing_per_dimension=float(scoring["max_missing_per_dimension"]),
    )
    _check(instrument)
    return instrument


def _check(instrument: Instrument) -> None:
    """A broken data file must fail loudly at load time, not produce a wrong score later."""
    dims = {d.key for d in instrument.dimensions}
    ids = [i.id for i in instrument.items]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{instrument.key} v{instrument.version}: duplicate item ids")
    for item in instrument.items:
        if item.dimension not in dims or item.keyed not in ("+", "-"):
            raise ValueError(f"{instrument.key} v{instrument.version}: bad item {item.id}")
    if instrument.overall not in ("mean", "max"):
        raise ValueError(f"{instrument.key} v{instrument.version}: unknown overall rule")


def versions(key: str) -> list[str]:
    if key not in INSTRUMENT_KEYS:
        raise UnknownInstrument(key)
    found = [p.stem[1:] for p in (CATALOG_DIR / key).glob("v*.json")]
    return sorted(found, key=lambda v: int(v) if v.isdigit() else 0)


def latest_version(key: str) -> str:
    available = versions(key)
    if not available:
        raise UnknownInstrument(key)
    return available[-1]


@lru_cache(maxsize=32)
def instrument_get(key: str, version: str | None = None) -> Instrument:
    """Load an instrument (latest version when `version` is None). Raises UnknownInstrument."""
    if key not in INSTRUMENT_KEYS:
        raise UnknownInstrument(key)
    version = version or latest_version(key)
    path = CATALOG_DIR / key / f"v{version}.json"
    if not path.is_file():
        raise UnknownInstrument(f"{key} v{version}")
    return _parse(json.loads(path.read_text(encoding="utf-8")))


def instruments_latest() -> list[Instrument]:
    return [instrument_get(key) for key in INSTRUMENT_KEYS]
