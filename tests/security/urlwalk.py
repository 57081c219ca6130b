"""Every URL the project serves, with its path parameters filled.

Walks `get_resolver().url_patterns` recursively, so a page, API or provider URL added anywhere
is covered without touching this file. Parameters are filled from a victim workspace's objects
by name (`pk`, `integration_pk`, `run_pk`, `public_id`, ...); unknown integer parameters get
every victim id, unknown strings a harmless token. Regex groups that list alternatives
(`(?P<action>test|disconnect|...)`) are tried with each alternative."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
MAX_VARIANTS = 12


@dataclass(frozen=True)
class Route:
    parts: tuple[Any, ...]
    pattern: URLPattern
    namespaces: tuple[str, ...]

    @property
    def display(self) -> str:
        return "".join(str(p) for p in self.parts)

    @property
    def view(self) -> str:
        callback = self.pattern.callback
        cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        target = cls or callback
        return f"{target.__module__}.{getattr(target, '__qualname__', getattr(target, '__name__', '?'))}"

    @property
    def namespace(self) -> str:
        return ":".join(self.namespaces)

    def params(self) -> list[tuple[str, str]]:
        """(name, converter) of every parameter, regex groups with converter "re"."""
        found: list[tuple[str, str]] = []
        for part in self.parts:
            if isinstance(part, RoutePattern):
                found += [(m["parameter"], m["converter"] or "str") for m in ROUTE_PARAM.finditer(str(part))]
            elif isinstance(part, RegexPattern):
                found += [(name, "re") for name in re.compile(part._regex).groupindex]
        return found


def iter_routes(
    patterns: list[Any] | None = None, parts: tuple = (), namespaces: tuple = ()
) -> Iterator[Route]:
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from iter_routes(
                p.url_patterns, (*parts, p.pattern), (*namespaces, *([p.namespace] if p.namespace else []))
            )
        else:
            yield Route((*parts, p.pattern), p, namespaces)


def _group_alternatives(regex: str, name: str) -> list[str] | None:
    """`(?P<name>a|b|c)` → ["a", "b", "c"] when the group is a plain list of words."""
    start = regex.find(f"(?P<{name}>")
    if start < 0:
        return None
    i, depth = start + len(f"(?P<{name}>"), 1
    body_start = i
    while i < len(regex) and depth:
        depth += {"(": 1, ")": -1}.get(regex[i], 0)
        i += 1
    body = regex[body_start : i - 1]
    if re.fullmatch(r"[\w.\-|]+", body):
        return body.split("|")
    return None


def _render_part(part: Any, values: dict[str, str]) -> str:
    if isinstance(part, RoutePattern):
        route = str(part)

        def sub(m: re.Match) -> str:
            return str(values[m["parameter"]])

        return ROUTE_PARAM.sub(sub, route)
    if isinstance(part, RegexPattern):
        fmt, _ = normalize(part._regex)[0]
        return fmt % {k: values[k] for k in re.compile(part._regex).groupindex}
    return str(part)


def build_paths(route: Route, filler: Callable[[str, str, Route], list[Any]]) -> list[str]:
    """Concrete paths for a route: one per combination of candidate parameter values."""
    params = route.params()
    choices: list[list[Any]] = []
    for name, converter in params:
        alternatives = None
        if converter == "re":
            for part in route.parts:
                if isinstance(part, RegexPattern) and name in re.compile(part._regex).groupindex:
                    alternatives = _group_alternatives(part._regex, name)
        choices.append(alternatives or filler(name, converter, route))
    paths: list[str] = []
    for combo in itertools.islice(itertools.product(*choices), MAX_VARIANTS):
        values = {name: value for (name, _), value in zip(params, combo, strict=True)}
        path = "/" + "".join(_render_part(part, values) for part in route.parts)
        if path not in paths:
            paths.append(path)
    return paths


def random_uuid() -> str:
    return str(uuid.uuid4())
