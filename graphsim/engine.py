"""Answers Graph GET requests from a snapshot: path resolution, query options, paging.

The HTTP layer (`server.py`) handles authentication, faults and logging; this module turns a request
target into a status and a JSON body, or raises `GraphError`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

import orjson

from graphsim import endpoints
from graphsim.endpoints import GENERIC, GENERIC_ENTITY, EndpointSpec, Navigation
from graphsim.errors import FilterError, GraphError
from graphsim.odata import (
    FilterShape,
    OrderKey,
    Predicate,
    compile_filter,
    filter_shape,
    get_property,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_select,
)
from graphsim.snapshot import VERSIONS, Collection, ListCollection, Override, Snapshot

# Query options Graph knows but the simulator does not implement: answered 400 rather than ignored.
_UNIMPLEMENTED_OPTIONS = frozenset({"$search", "$apply", "$compute", "$levels", "$deltatoken", "$index"})
_KNOWN_OPTIONS = endpoints.ALL_OPTIONS | _UNIMPLEMENTED_OPTIONS | {"$format", "$schemaversion"}
_OPTION_NAMES = {"$select": "Select", "$orderby": "OrderBy", "$count": "Count", "$expand": "Expand"}
_BETA_DOLLARLESS = frozenset(name[1:] for name in _KNOWN_OPTIONS)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class KeyRef:
    """A key written in parentheses: `servicePrincipals(appId='...')` or `users('...')`."""

    prop: str | None
    value: str


@dataclass(frozen=True)
class Part:
    """One resolved path segment: a name (property, file name or key) or a parenthesised key."""

    name: str | None
    key: KeyRef | None = None

    @property
    def pattern(self) -> str:
        return "{id}" if self.key is not None else (self.name or "")


_KEY_SEGMENT_RE = re.compile(r"^([^()]+)\((.*)\)$", re.DOTALL)
_KEY_VALUE_RE = re.compile(r"^(?:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*)?('(?:[^']|'')*'|[^'=]+)$", re.DOTALL)


def split_path(segments: Sequence[str]) -> list[Part]:
    parts: list[Part] = []
    for segment in segments:
        match = _KEY_SEGMENT_RE.match(segment)
        if match is None:
            parts.append(Part(segment))
            continue
        name, inner = match.groups()
        key = _KEY_VALUE_RE.match(inner.strip())
        if key is None:
            raise GraphError(400, "BadRequest", f"Bad key segment '{segment}'.")
        prop, value = key.groups()
        if value.startswith("'"):
            value = value[1:-1].replace("''", "'")
        parts.append(Part(name))
        parts.append(Part(None, KeyRef(prop, value.strip())))
    return parts


def parse_query(raw_query: str, version: str) -> tuple[dict[str, str], dict[str, str]]:
    """(system query options by lower-case name with `$`, every parameter as sent but decoded).

    Names may arrive percent-encoded (`%24filter`, as kiota's URI templates send them); on beta the
    `$` is optional, as Graph allows there."""
    options: dict[str, str] = {}
    everything: dict[str, str] = {}
    for piece in raw_query.split("&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition("=")
        name = unquote_plus(raw_name).strip()
        value = unquote_plus(raw_value)
        everything[name] = value
        lowered = name.lower()
        if not lowered.startswith("$") and version == "beta" and lowered in _BETA_DOLLARLESS:
            lowered = "$" + lowered
        if not lowered.startswith("$"):
            continue
        if lowered in options:
            raise GraphError(
                400,
                "BadRequest",
                f"Query option '{name}' was specified more than once, but it must be specified at most once.",
            )
        options[lowered] = value
    return options, everything


def _not_found(key: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
    )


@dataclass
class _Target:
    """What a path resolves to: a collection or an entity, with the spec that governs it."""

    spec: EndpointSpec
    collection: Collection | None = None
    entity: dict[str, Any] | None = None
    primitive: Any = None  # a property that is neither an object nor a list of objects
    is_primitive: bool = False


class GraphEngine:
    def __init__(self, snapshot: Snapshot, cache_size: int = 32) -> None:
        self.snapshot = snapshot
        self._cache: OrderedDict[tuple[Any, ...], list[int]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self.evaluations = 0  # how many times a query was evaluated (not served from the cache)
        # Items of large (raw) collections as served under one $select, so that paging the same log
        # again costs a join, not a parse per item: keyed by (collection identity, selected names).
        self._projections: OrderedDict[tuple[Any, ...], dict[int, bytes]] = OrderedDict()

    # --- entry

    def get(self, raw_target: str, headers: Mapping[str, str], base_url: str) -> Reply:
        """Answer `GET raw_target`. `headers` have lower-case names; `base_url` is `http://host:port`."""
        raw_path, _, raw_query = raw_target.partition("?")
        segments = [unquote(segment) for segment in raw_path.split("/") if segment]
        if not segments:
            raise GraphError(400, "BadRequest", "Invalid request: the URL has no version.")
        version = segments[0].lower()
        if version not in VERSIONS:
            raise GraphError(400, "BadRequest", f"Invalid version: {segments[0]}")
        if len(segments) == 1:
            raise GraphError(400, "BadRequest", "Invalid request: the URL names no resource.")
        request_path = "/".join([version, *segments[1:]])
        for override in self.snapshot.overrides():
            if override.matches(request_path):
                return self._override_reply(override)
        options, _ = parse_query(raw_query, version)
        parts = split_path(segments[1:])
        target = self._resolve(version, parts)
        context = self._context(base_url, version, parts, target)
        if target.is_primitive:
            return _json_reply({"@odata.context": context, "value": target.primitive})
        if target.entity is not None:
            return self._entity_reply(version, target, options, context)
        assert target.collection is not None
        return self._collection_reply(
            version, parts, target, options, headers, context, base_url + raw_path, raw_query
        )

    def _override_reply(self, override: Override) -> Reply:
        """The fixed answer `_simulator.json` gives for the path."""
        headers = dict(override.headers)
        if override.body is not None:
            return Reply(override.status, orjson.dumps(override.body), headers)
        if override.status >= 400:
            raise GraphError(
                override.status,
                override.code or "BadRequest",
                override.message or "The snapshot's _simulator.json answers this request with an error.",
                headers,
            )
        return Reply(override.status, b'{"value":[]}', headers)

    # --- paths

    def _spec(self, version: str, parts: Sequence[Part]) -> EndpointSpec | None:
        return endpoints.match(version, [part.pattern for part in parts])

    def _resolve(self, version: str, parts: list[Part]) -> _Target:
        named = 0
        while named < len(parts) and parts[named].key is None:
            named += 1
        for length in range(named, 0, -1):
            names = [part.name or "" for part in parts[:length]]
            path = self.snapshot.find_file(version, names)
            if path is None:
                continue
            spec = self._spec(version, parts[:length])
            document, identity = self.snapshot.load_with_identity(path, spec.index_properties if spec else ())
            return self._navigate(version, parts, length, document, identity)
        return self._absent(version, parts)

    def _absent(self, version: str, parts: Sequence[Part]) -> _Target:
        """No snapshot data for the path: an entity is 404, a collection is empty."""
        spec = self._spec(version, parts)
        if spec is not None and spec.kind == "entity":
            last = parts[-1]
            raise _not_found(last.key.value if last.key else last.name or "")
        return _Target(spec or GENERIC, collection=ListCollection([], ("empty",)))

    def _navigate(
        self, version: str, parts: list[Part], start: int, document: Any, identity: tuple[Any, ...]
    ) -> _Target:
        current: Any = document
        for position in range(start, len(parts)):
            part = parts[position]
            if isinstance(current, list) and all(isinstance(item, dict) for item in current):
                current = ListCollection(current, (*identity, _path_key(parts[:position])))
            if isinstance(current, Collection):
                spec = self._spec(version, parts[: position + 1])
                if part.key is not None:
                    properties = (
                        [part.key.prop] if part.key.prop else list(spec.key_properties if spec else ("id",))
                    )
                    value = part.key.value
                else:
                    properties = list(spec.key_properties if spec else ("id",))
                    value = part.name or ""
                index = current.find(properties, value)
                if index is None:
                    raise _not_found(value)
                entity = current.item(index)
                actual = entity.get("id")
                rest = parts[position + 1 :]
                if rest and isinstance(actual, str) and actual.casefold() != value.casefold():
                    # addressed by an alternate key (userPrincipalName, appId): the entity's own files
                    # are stored under its id
                    retry = [*parts[:position], Part(actual), *rest]
                    if all(p.key is None for p in retry):
                        path = self.snapshot.find_file(version, [p.name or "" for p in retry])
                        if path is not None:
                            nested_spec = self._spec(version, retry)
                            loaded, loaded_identity = self.snapshot.load_with_identity(
                                path, nested_spec.index_properties if nested_spec else ()
                            )
                            return self._navigate(version, retry, len(retry), loaded, loaded_identity)
                current = entity
            elif isinstance(current, dict):
                if part.key is not None:
                    raise _not_found(part.key.value)
                value = get_property(current, part.name or "")
                if value is None:
                    return self._absent(version, parts)
                current = value
            else:
                raise _not_found(part.name or "")
        spec = self._spec(version, parts)
        if isinstance(current, Collection):
            return _Target(spec or GENERIC, collection=current)
        if isinstance(current, list):
            if all(isinstance(item, dict) for item in current):
                return _Target(
                    spec or GENERIC, collection=ListCollection(current, (*identity, _path_key(parts)))
                )
            return _Target(spec or GENERIC, primitive=current, is_primitive=True)
        if isinstance(current, dict):
            return _Target(spec or GENERIC_ENTITY, entity=current)
        return _Target(spec or GENERIC, primitive=current, is_primitive=True)

    def _context(self, base_url: str, version: str, parts: Sequence[Part], target: _Target) -> str:
        """`@odata.context`: `<root>/<version>/$metadata#<path>`, `/$entity` for a single entity."""
        rendered: list[str] = []
        for part in parts:
            if part.key is not None and rendered:
                rendered[-1] += f"('{quote(part.key.value, safe='')}')"
            else:
                rendered.append(part.name or "")
        prefix = f"{base_url}/{version}/$metadata#"
        if target.entity is None:
            return prefix + "/".join(rendered)
        if parts[-1].key is not None:
            rendered[-1] = rendered[-1].split("(", 1)[0]
        elif target.spec.segments[-1:] == ("{id}",) and len(rendered) > 1:
            rendered.pop()
        return prefix + "/".join(rendered) + "/$entity"

    # --- replies

    def _entity_reply(self, version: str, target: _Target, options: Mapping[str, str], context: str) -> Reply:
        spec = target.spec
        select, expand = self._projection(spec, options)
        assert target.entity is not None
        item = self._shape(version, spec, target.entity, select, expand)
        body = {"@odata.context": context}
        body.update((key, value) for key, value in item.items() if key != "@odata.context")
        return _json_reply(body)

    def _collection_reply(
        self,
        version: str,
        parts: Sequence[Part],
        target: _Target,
        options: Mapping[str, str],
        headers: Mapping[str, str],
        context: str,
        request_url: str,
        raw_query: str,
    ) -> Reply:
        spec = target.spec
        collection = target.collection
        assert collection is not None
        self._check_options(spec, options, version)
        advanced = headers.get("consistencylevel", "").strip().lower() == "eventual"
        count = _parse_bool(options.get("$count"), "$count")
        if count and spec.family == "directory" and not advanced:
            raise GraphError(400, "Request_BadRequest", "$count is not currently supported.")

        predicate: Predicate | None = None
        shape: FilterShape | None = None
        filter_text = options.get("$filter")
        if filter_text is not None:
            predicate, shape = self._filter(spec, filter_text, advanced and count)
        interactive_only = spec.interactive_only_by_default and not (
            shape is not None and any(usage.path == "signineventtypes" for usage in shape.usages)
        )
        order_keys = self._order(spec, options.get("$orderby"))
        select, expand = self._projection(spec, options)
        page_size = self._page_size(spec, options.get("$top"))

        query_key = orjson.dumps(
            [
                version,
                "/".join(part.pattern.lower() for part in parts),
                _path_key(parts),
                filter_text,
                [(key.path, key.descending) for key in order_keys],
                interactive_only,
            ]
        )
        digest = hashlib.sha256(query_key).hexdigest()[:16]
        offset = self._offset(options, digest, spec)
        indexes = self._evaluate(collection, query_key, predicate, shape, order_keys, interactive_only)

        page = indexes[offset : offset + page_size]
        next_link = None
        if offset + page_size < len(indexes):
            next_link = _next_link(request_url, raw_query, _skiptoken(offset + page_size, digest))
        if select is None and not spec.navigations and collection.serves_raw:
            values = b",".join(collection.raw(index) for index in page)
        elif collection.serves_raw and select is not None and not expand:
            values = b",".join(self._projected(version, spec, collection, page, select))
        else:
            values = b",".join(
                orjson.dumps(self._shape(version, spec, collection.item(index), select, expand))
                for index in page
            )
        pieces = [b'{"@odata.context":', orjson.dumps(context)]
        if count:
            pieces += [b',"@odata.count":', str(len(indexes)).encode()]
        if next_link is not None:
            pieces += [b',"@odata.nextLink":', orjson.dumps(next_link)]
        pieces += [b',"value":[', values, b"]}"]
        return Reply(200, b"".join(pieces), {})

    # --- options

    def _check_options(self, spec: EndpointSpec, options: Mapping[str, str], version: str) -> None:
        switched_on = (
            spec.switchable_options & self.snapshot.allowed_options(version, spec.pattern)
            if spec.switchable_options
            else frozenset()
        )
        for name in options:
            if name in spec.switchable_options and name not in switched_on:
                # The answer ASP.NET OData gives for an option the service does not allow, as the
                # sign-in log gave it for $select in 2022.
                option = _OPTION_NAMES.get(name, name.lstrip("$").title())
                raise GraphError(
                    400,
                    "BadRequest",
                    f"Query option '{option}' is not allowed. To allow it, set the 'AllowedQueryOptions' "
                    "property on EnableQueryAttribute or QueryValidationSettings.",
                )
            if name in switched_on:
                continue
            if name in _UNIMPLEMENTED_OPTIONS:
                raise GraphError(
                    400, "BadRequest", f"The query parameter '{name}' is not supported by the simulator."
                )
            if name not in _KNOWN_OPTIONS:
                raise GraphError(400, "BadRequest", f"The query parameter '{name}' is not supported.")
            if name in endpoints.ALL_OPTIONS and name not in spec.options:
                if spec.family == "directory":
                    raise GraphError(400, "Request_BadRequest", f"'{name}' is not supported by the service.")
                raise GraphError(400, "BadRequest", f"Query option '{name}' is not allowed on this resource.")
        if "$format" in options and options["$format"].strip().lower() not in ("json", "application/json"):
            raise GraphError(400, "BadRequest", f"Unsupported $format '{options['$format']}'.")

    def _filter(self, spec: EndpointSpec, text: str, advanced: bool) -> tuple[Predicate, FilterShape]:
        try:
            node = parse_filter(text)
        except FilterError as exc:
            message = (
                "Invalid filter clause" if spec.family == "reporting" else f"Invalid filter clause: {exc}"
            )
            raise GraphError(400, "BadRequest", message) from exc
        shape = filter_shape(node)
        if spec.filters is not None:
            for usage in shape.usages:
                allowed = spec.filters.get(usage.path)
                if allowed is None or usage.op not in allowed:
                    raise self._unsupported_filter(spec, usage.path, usage.op)
            for logic in shape.logic:
                if logic not in spec.filter_logic:
                    raise self._unsupported_filter(spec, shape.usages[0].path if shape.usages else "", logic)
        if spec.advanced_operators and not advanced:
            for usage in shape.usages:
                if usage.op in spec.advanced_operators:
                    raise self._unsupported_filter(spec, usage.path, usage.op)
            for logic in shape.logic & spec.advanced_operators:
                raise self._unsupported_filter(spec, shape.usages[0].path if shape.usages else "", logic)
        return compile_filter(node), shape

    def _unsupported_filter(self, spec: EndpointSpec, path: str, op: str) -> GraphError:
        if spec.family == "reporting":
            return GraphError(400, "BadRequest", "Invalid filter clause")
        if spec.family == "directory":
            return GraphError(
                400,
                "Request_UnsupportedQuery",
                f"Unsupported or invalid query filter clause specified for property '{path}' "
                f"of resource '{spec.resource}'.",
            )
        return GraphError(
            400,
            "BadRequest",
            f"Invalid filter clause: '{op}' on property '{path}' is not supported by this resource.",
        )

    def _order(self, spec: EndpointSpec, text: str | None) -> list[OrderKey]:
        if text is None:
            return [OrderKey((name,), descending) for name, descending in spec.default_order]
        try:
            keys = parse_orderby(text)
        except FilterError as exc:
            raise GraphError(400, "BadRequest", f"Invalid $orderby clause: {exc}") from exc
        if spec.orderby is not None:
            for key in keys:
                if key.path not in spec.orderby:
                    if spec.family == "directory":
                        raise GraphError(
                            400, "Request_UnsupportedQuery", "Sorting not supported for current query."
                        )
                    raise GraphError(
                        400, "BadRequest", f"$orderby is not supported on property '{key.path}'."
                    )
        return keys

    def _projection(
        self, spec: EndpointSpec, options: Mapping[str, str]
    ) -> tuple[list[str] | None, set[str]]:
        select: list[str] | None = None
        if "$select" in options:
            try:
                select = parse_select(options["$select"])
            except FilterError as exc:
                raise GraphError(400, "BadRequest", f"Invalid $select clause: {exc}") from exc
        expand: set[str] = set()
        if "$expand" in options:
            try:
                names = parse_expand(options["$expand"])
            except FilterError as exc:
                raise GraphError(400, "BadRequest", f"Invalid $expand clause: {exc}") from exc
            for name in names:
                if name == "*":
                    expand.update(spec.navigations)
                elif name.lower() in spec.navigations or not spec.navigations:
                    expand.add(name.lower())
                else:
                    raise GraphError(
                        400,
                        "BadRequest",
                        f"Could not find a property named '{name}' on type "
                        f"'microsoft.graph.{spec.resource}'.",
                    )
        return select, expand

    def _page_size(self, spec: EndpointSpec, text: str | None) -> int:
        if text is None:
            return spec.default_page_size
        try:
            top = int(text.strip())
        except ValueError:
            top = 0
        if top < 1 or (top > spec.max_page_size and spec.top_above_max == "error"):
            if spec.family == "directory":
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    f"Invalid page size specified: '{text}'. "
                    f"Must be between 1 and {spec.max_page_size} inclusive.",
                )
            raise GraphError(
                400,
                "BadRequest",
                f"Invalid value '{text}' for $top query option found. "
                "The $top query option requires a positive integer value.",
            )
        return min(top, spec.max_page_size)

    def _offset(self, options: Mapping[str, str], digest: str, spec: EndpointSpec) -> int:
        token = options.get("$skiptoken")
        if token is not None:
            try:
                decoded = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4)).decode()
                offset_text, token_digest = decoded.split(":", 1)
                offset = int(offset_text)
            except (ValueError, UnicodeDecodeError) as exc:
                raise GraphError(400, "BadRequest", "The $skiptoken is invalid.") from exc
            if token_digest != digest or offset < 0:
                raise GraphError(400, "BadRequest", "The $skiptoken does not belong to this query.")
            return offset
        skip = options.get("$skip")
        if skip is not None:
            try:
                value = int(skip.strip())
            except ValueError:
                value = -1
            if value < 0:
                raise GraphError(400, "BadRequest", f"Invalid value '{skip}' for $skip query option found.")
            return value
        return 0

    # --- evaluation

    def _evaluate(
        self,
        collection: Collection,
        query_key: bytes,
        predicate: Predicate | None,
        shape: FilterShape | None,
        order_keys: Sequence[OrderKey],
        interactive_only: bool,
    ) -> list[int]:
        cache_key = (collection.identity, query_key)
        with self._cache_lock:
            cached = self._cache.get(cache_key)
            if cached is not None:
                self._cache.move_to_end(cache_key)
                return cached
        order: Sequence[int] = collection.order(order_keys) if order_keys else range(len(collection))
        if predicate is None and not interactive_only:
            result = list(order)
        else:
            names = set(shape.top_level_properties) if shape is not None else set()
            if interactive_only:
                names.add("signInEventTypes")

            def keep(row: Mapping[str, Any]) -> bool:
                if interactive_only and not _interactive(get_property(row, "signInEventTypes")):
                    return False
                return predicate is None or predicate(row)

            result = _select_indexes(collection, order, sorted(names), keep)
        with self._cache_lock:
            self.evaluations += 1
            self._cache[cache_key] = result
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()
            self._projections.clear()

    def _projected(
        self, version: str, spec: EndpointSpec, collection: Collection, page: Sequence[int], select: list[str]
    ) -> list[bytes]:
        key = (collection.identity, tuple(select))
        with self._cache_lock:
            cache = self._projections.get(key)
            if cache is None:
                cache = self._projections[key] = {}
                while len(self._projections) > PROJECTION_CACHES:
                    self._projections.popitem(last=False)
            else:
                self._projections.move_to_end(key)
        served = []
        for index in page:
            item = cache.get(index)
            if item is None:
                item = orjson.dumps(self._shape(version, spec, collection.item(index), select, set()))
                cache[index] = item
            served.append(item)
        return served

    # --- items

    def _shape(
        self,
        version: str,
        spec: EndpointSpec,
        item: Mapping[str, Any],
        select: list[str] | None,
        expand: set[str],
    ) -> dict[str, Any]:
        """The item as Graph returns it: navigation properties only when expanded, `$select` applied."""
        if not spec.navigations and select is None:
            return dict(item)
        if not spec.navigations and select is not None and not expand:
            # The common case on large logs: pick the selected names directly. When every selected name
            # (and @odata.type, if any) is spelled as in the item, this is the whole projection.
            picked = {name: item[name] for name in select if name in item}
            if "@odata.type" in item:
                picked["@odata.type"] = item["@odata.type"]
            if len(picked) == len(select) + ("@odata.type" in item):
                return picked
        shaped = dict(item)
        for name, navigation in spec.navigations.items():
            present = next((key for key in shaped if key.lower() == name), None)
            if name in expand:
                if present is None:
                    shaped[navigation.name] = self._resolve_navigation(version, navigation, item)
            elif present is not None:
                del shaped[present]
        if select is not None:
            keep = _selection(tuple(select), frozenset(expand))
            shaped = {key: value for key, value in shaped.items() if keep(key)}
        return shaped

    def _resolve_navigation(self, version: str, navigation: Navigation, item: Mapping[str, Any]) -> Any:
        empty: Any = [] if navigation.collection else None
        if navigation.key_property is None:
            return empty
        key = get_property(item, navigation.key_property)
        if not isinstance(key, str):
            return empty
        for relative, odata_type in navigation.resolve_from:
            path = self.snapshot.find_file(version, relative.split("/"))
            if path is None:
                continue
            document = self.snapshot.load(path)
            if not isinstance(document, Collection):
                continue
            index = document.find(["id"], key)
            if index is not None:
                found = document.item(index)
                return {"@odata.type": odata_type, **found} if "@odata.type" not in found else dict(found)
        return empty


# --- helpers

PROJECTION_CACHES = 4  # (file, $select) pairs whose projected items are kept


@lru_cache(maxsize=256)
def _selection(select: tuple[str, ...], expand: frozenset[str]) -> Callable[[str], bool]:
    """Whether a property stays under `$select` (selected or expanded, or `@odata.type`), memoised per
    property name: a page of 1,000 sign-ins asks about the same fifty names a thousand times."""
    wanted = {name.lower() for name in select} | expand | {"@odata.type"}

    @lru_cache(maxsize=1024)
    def keep(key: str) -> bool:
        return key.lower() in wanted

    return keep


def _path_key(parts: Sequence[Part]) -> str:
    return "/".join(part.key.value if part.key else part.name or "" for part in parts).lower()


def _select_indexes(
    collection: Collection,
    order: Sequence[int],
    names: Sequence[str],
    keep: Callable[[Mapping[str, Any]], bool],
) -> list[int]:
    """The indexes, in `order`, of the items `keep` accepts. A large collection is not parsed again: one
    row dict, refilled from the columns of the properties the filter reads, stands for each item."""
    if isinstance(collection, ListCollection):
        items = collection.items
        return [index for index in order if keep(items[index])]
    columns = collection.columns(names)
    pairs = [(name, columns[name]) for name in names]
    row: dict[str, Any] = {}
    result: list[int] = []
    for index in order:
        for name, column in pairs:
            row[name] = column[index]
        if keep(row):
            result.append(index)
    return result


def _interactive(event_types: Any) -> bool:
    """Beta sign-ins without a signInEventTypes filter are the interactive ones (and those that do
    not say)."""
    if not isinstance(event_types, list) or not event_types:
        return True
    return any(isinstance(kind, str) and kind.casefold() == "interactiveuser" for kind in event_types)


def _parse_bool(text: str | None, name: str) -> bool:
    if text is None:
        return False
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise GraphError(400, "BadRequest", f"Invalid value '{text}' for {name} query option found.")


def _skiptoken(offset: int, digest: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{digest}".encode()).decode().rstrip("=")


def _next_link(request_url: str, raw_query: str, token: str) -> str:
    kept = [
        piece
        for piece in raw_query.split("&")
        if piece
        and unquote_plus(piece.partition("=")[0]).strip().lower() not in ("$skiptoken", "skiptoken", "$skip")
    ]
    kept.append(f"$skiptoken={token}")
    return f"{request_url}?{'&'.join(kept)}"


def _json_reply(value: Any) -> Reply:
    return Reply(200, orjson.dumps(value), {})
