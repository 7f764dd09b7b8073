"""The tenant snapshot directory: finding the file for a Graph path and loading it once.

Files are looked up with case-insensitive path segments (Graph URL segments are case-insensitive) and
loaded lazily on first use; a file is loaded again when its modification time or size changes, so tests
can edit a snapshot between passes.

A collection file holds `{"value": [...]}`. Small files are parsed into dicts. Large ones (sign-in logs
of 100,000+ items) are kept as the file's bytes plus the byte span of every item: a page is then the
items' own JSON joined, without parsing or serialising them, and properties used by a `$filter` or an
`$orderby` are read once into columns.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import threading
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from graphsim.errors import SnapshotError
from graphsim.odata import OrderKey, get_property, sort_key

VERSIONS = ("v1.0", "beta")
OVERRIDES_FILE = "_simulator.json"

# Files at least this large are split into item spans instead of being parsed whole.
LARGE_FILE_BYTES = 16 * 1024 * 1024


# --- collections


class Collection:
    """The items of one collection, in file order, with cached columns and orderings."""

    def __init__(self, identity: tuple[Any, ...]) -> None:
        self.identity = identity
        self._columns: dict[str, list[Any]] = {}
        self._orders: dict[tuple[tuple[str, bool], ...], list[int]] = {}
        self._key_index: dict[tuple[str, ...], dict[str, int]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def serves_raw(self) -> bool:
        """True when `raw` is cheaper than serialising `item`."""
        return False

    def item(self, index: int) -> dict[str, Any]:
        raise NotImplementedError

    def raw(self, index: int) -> bytes | memoryview:
        return orjson.dumps(self.item(index))

    def _extract(self, names: Sequence[str]) -> list[list[Any]]:
        columns: list[list[Any]] = [[] for _ in names]
        for index in range(len(self)):
            item = self.item(index)
            for column, name in zip(columns, names, strict=True):
                column.append(get_property(item, name))
        return columns

    def preload(self, columns: Mapping[str, list[Any]]) -> None:
        with self._lock:
            self._columns.update(columns)

    def columns(self, names: Iterable[str]) -> dict[str, list[Any]]:
        """The values of top-level properties (matched case-insensitively), one list per name."""
        wanted = list(dict.fromkeys(names))
        with self._lock:
            missing = [name for name in wanted if name.lower() not in self._columns]
            if missing:
                for name, column in zip(missing, self._extract(missing), strict=True):
                    self._columns[name.lower()] = column
            return {name: self._columns[name.lower()] for name in wanted}

    def order(self, keys: Sequence[OrderKey]) -> list[int]:
        """Item indexes sorted by the keys (stable: ties keep file order)."""
        signature = tuple((key.path, key.descending) for key in keys)
        with self._lock:
            cached = self._orders.get(signature)
        if cached is not None:
            return cached
        indexes = list(range(len(self)))
        columns = self.columns(key.segments[0] for key in keys)
        for key in reversed(keys):
            column = columns[key.segments[0]]
            rest = key.segments[1:]

            def value(index: int, column: list[Any] = column, rest: tuple[str, ...] = rest) -> Any:
                current = column[index]
                for segment in rest:
                    current = get_property(current, segment) if isinstance(current, Mapping) else None
                return sort_key(current)

            indexes.sort(key=value, reverse=key.descending)
        with self._lock:
            self._orders[signature] = indexes
        return indexes

    def find(self, properties: Sequence[str], value: str) -> int | None:
        """The index of the item whose value of one of `properties` equals `value` (case-insensitive)."""
        signature = tuple(p.lower() for p in properties)
        with self._lock:
            index = self._key_index.get(signature)
        if index is None:
            index = {}
            columns = self.columns(properties)
            for name in properties:
                for position, key in enumerate(columns[name]):
                    if isinstance(key, str):
                        index.setdefault(key.casefold(), position)
            with self._lock:
                self._key_index[signature] = index
        return index.get(value.casefold())


class ListCollection(Collection):
    """A collection held as parsed dicts."""

    def __init__(self, items: list[dict[str, Any]], identity: tuple[Any, ...]) -> None:
        super().__init__(identity)
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def item(self, index: int) -> dict[str, Any]:
        return self.items[index]


class RawCollection(Collection):
    """A collection held as the file's bytes and the byte span of each item."""

    def __init__(self, data: bytes, starts: array[int], ends: array[int], identity: tuple[Any, ...]) -> None:
        super().__init__(identity)
        self._data = memoryview(data)
        self._starts = starts
        self._ends = ends

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def serves_raw(self) -> bool:
        return True

    def raw(self, index: int) -> memoryview:
        return self._data[self._starts[index] : self._ends[index]]

    def item(self, index: int) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.raw(index))
        return value

    def _extract(self, names: Sequence[str]) -> list[list[Any]]:
        columns: list[list[Any]] = [[] for _ in names]
        loads = orjson.loads
        data, starts, ends = self._data, self._starts, self._ends
        pairs = list(zip(columns, names, strict=True))
        for index in range(len(starts)):
            item = loads(data[starts[index] : ends[index]])
            for column, name in pairs:
                value = item.get(name, _ABSENT)
                column.append(get_property(item, name) if value is _ABSENT else value)
        return columns


_ABSENT = object()

Document = Collection | dict[str, Any]


# --- large files

_WS = re.compile(r"[ \t\n\r]*")


class _Reader:
    """Reads JSON values out of a UTF-8 buffer through a window of decoded text, keeping byte offsets,
    so that a file of hundreds of megabytes is never decoded into one string."""

    WINDOW = 1 << 22

    def __init__(self, data: bytes, start: int) -> None:
        self.data = data
        self.decoder = json.JSONDecoder()
        self.size = self.WINDOW
        self._load(start)

    def _load(self, byte_position: int) -> None:
        end = byte_position + self.size
        self.at_eof = end >= len(self.data)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            self.text = decoder.decode(self.data[byte_position:end], final=self.at_eof)
        except UnicodeDecodeError as exc:
            raise ValueError(f"invalid UTF-8 at byte {byte_position + exc.start}") from exc
        self.base = byte_position
        self.index = 0
        self.byte = byte_position
        self.ascii = self.text.isascii()

    def _move(self, index: int) -> None:
        if self.ascii:
            self.byte = self.base + index
        else:
            self.byte += len(self.text[self.index : index].encode("utf-8"))
        self.index = index

    def skip_whitespace(self) -> None:
        while True:
            match = _WS.match(self.text, self.index)
            assert match is not None
            self._move(match.end())
            if self.index < len(self.text) or self.at_eof:
                return
            self._load(self.byte)

    def peek(self) -> str:
        self.skip_whitespace()
        return self.text[self.index] if self.index < len(self.text) else ""

    def take(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise ValueError(f"expected {char!r} at byte {self.byte}, found {found or 'end of file'!r}")
        self._move(self.index + 1)

    def at_end(self) -> bool:
        self.skip_whitespace()
        return self.at_eof and self.index >= len(self.text)

    def value(self) -> tuple[Any, int, int]:
        """The next JSON value and its byte span."""
        self.skip_whitespace()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.text, self.index)
            except json.JSONDecodeError as exc:
                if self.at_eof:
                    offset = self.base + len(self.text[: exc.pos].encode("utf-8"))
                    raise ValueError(f"{exc.msg} at byte {offset}") from exc
                self._refill()
                continue
            if end >= len(self.text) and not self.at_eof:
                self._refill()  # a number cut by the window edge parses short: read it whole
                continue
            start = self.byte
            self._move(end)
            return value, start, self.byte

    def _refill(self) -> None:
        if self.index == 0:
            self.size *= 2  # one value larger than the window
        self._load(self.byte)


def _split_collection(
    data: bytes, start: int, index: Sequence[str] = ()
) -> tuple[array[int], array[int], dict[str, list[Any]]] | None:
    """The byte spans of the items of `{"value": [...]}` and the columns of the top-level properties in
    `index` (read while the items are parsed anyway), or None when the file is not that shape."""
    reader = _Reader(data, start)
    columns: dict[str, list[Any]] = {name.lower(): [] for name in index}
    wanted = [(name, columns[name.lower()]) for name in dict.fromkeys(index)]
    if reader.peek() != "{":
        return None
    reader.take("{")
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    found = False
    if reader.peek() == "}":
        return None
    while True:
        key, _, _ = reader.value()
        if not isinstance(key, str):
            raise ValueError(f"expected a property name at byte {reader.byte}")
        reader.take(":")
        if key == "value" and reader.peek() == "[" and not found:
            found = True
            reader.take("[")
            if reader.peek() == "]":
                reader.take("]")
            else:
                while True:
                    item, item_start, item_end = reader.value()
                    if not isinstance(item, dict):
                        return None
                    starts.append(item_start)
                    ends.append(item_end)
                    for name, column in wanted:
                        column.append(get_property(item, name))
                    if reader.peek() == ",":
                        reader.take(",")
                        continue
                    reader.take("]")
                    break
        else:
            reader.value()
            if not key.startswith("@"):
                return None  # an entity that happens to be large
        if reader.peek() == ",":
            reader.take(",")
            continue
        reader.take("}")
        break
    if not reader.at_end():
        raise ValueError(f"unexpected data after the top-level object at byte {reader.byte}")
    return (starts, ends, columns) if found else None


# --- parsing


def _is_collection(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("value"), list)
        and all(key == "value" or key.startswith("@") for key in value)
    )


def parse_document(
    data: bytes,
    identity: tuple[Any, ...],
    large_file_bytes: int = LARGE_FILE_BYTES,
    index: Sequence[str] = (),
) -> Document:
    """A collection or an entity from the bytes of a snapshot file; ValueError says what is wrong.

    `index` names top-level properties worth reading into columns while a large file is split (the
    ones the endpoint filters and sorts on)."""
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0
    if len(data) - start >= large_file_bytes:
        split = _split_collection(data, start, index)
        if split is not None:
            starts, ends, columns = split
            collection = RawCollection(data, starts, ends, identity)
            collection.preload(columns)
            return collection
    try:
        value = orjson.loads(memoryview(data)[start:])
    except orjson.JSONDecodeError as exc:
        raise ValueError(str(exc)) from exc
    if _is_collection(value):
        items = value["value"]
        if not all(isinstance(item, dict) for item in items):
            raise ValueError('every item of "value" must be a JSON object')
        return ListCollection(items, identity)
    if isinstance(value, dict):
        return value
    raise ValueError('expected a JSON object: {"value": [...]} for a collection, or the entity itself')


# --- overrides


@dataclass(frozen=True)
class Override:
    """A fixed answer for every request under `path` (`<version>/<path>`, case-insensitive prefix)."""

    path: str
    status: int
    code: str | None
    message: str | None
    body: Any
    headers: Mapping[str, str]

    def matches(self, request_path: str) -> bool:
        target = self.path.strip("/").lower()
        candidate = request_path.strip("/").lower()
        return candidate == target or candidate.startswith(target + "/")


# What a tenant's admin can have done to the app (tenants.py).
TENANT_STATES = ("consented", "revoked", "disabled", "permissions-removed")


@dataclass(frozen=True)
class SimulatorConfig:
    """What a snapshot's `_simulator.json` says beyond its files."""

    responses: list[Override] = field(default_factory=list)
    # "<version>/<path>" (lower case) -> query options Graph's documentation leaves uncertain that
    # this snapshot's Graph accepts there (e.g. {"beta/auditLogs/signIns": ["$select"]}).
    query_options: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Model Graph's throttle (the identity and access reports limit) for this snapshot.
    throttle: bool = False
    # What this tenant's admin did to the app (tenants.py): "consented" unless said otherwise.
    consent: str = "consented"
    # The application permissions the admin granted the app (tenants.py); None: all it asks for.
    granted_permissions: frozenset[str] | None = None


def parse_config(data: bytes, name: str = OVERRIDES_FILE) -> SimulatorConfig:
    responses = parse_overrides(data, name)
    document = orjson.loads(data)
    options = document.get("queryOptions", {})
    if not isinstance(options, dict) or not all(
        isinstance(path, str)
        and isinstance(names, list)
        and all(isinstance(n, str) and n.startswith("$") for n in names)
        for path, names in options.items()
    ):
        raise SnapshotError(
            f'{name} "queryOptions" must map paths to lists of options, '
            'e.g. {"beta/auditLogs/signIns": ["$select"]}'
        )
    throttle = document.get("throttle", False)
    if not isinstance(throttle, bool):
        raise SnapshotError(f'{name} "throttle" must be true or false')
    consent = document.get("consent", "consented")
    if consent not in TENANT_STATES:
        raise SnapshotError(f'{name} "consent" must be one of {", ".join(TENANT_STATES)}')
    granted = document.get("grantedPermissions")
    if granted is not None and not (
        isinstance(granted, list) and all(isinstance(name, str) and name.strip() for name in granted)
    ):
        raise SnapshotError(f'{name} "grantedPermissions" must be a list of permission names')
    return SimulatorConfig(
        responses=responses,
        query_options={
            path.strip("/").lower(): frozenset(n.lower() for n in names) for path, names in options.items()
        },
        throttle=throttle,
        consent=consent,
        granted_permissions=None if granted is None else frozenset(n.strip() for n in granted),
    )


def parse_overrides(data: bytes, name: str = OVERRIDES_FILE) -> list[Override]:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SnapshotError(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("responses", []), list):
        raise SnapshotError(f'{name} must be an object with a "responses" list')
    overrides: list[Override] = []
    for position, entry in enumerate(document.get("responses", [])):
        where = f"{name} responses[{position}]"
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("path"), str)
            or not entry["path"].strip("/")
        ):
            raise SnapshotError(f'{where} needs a "path" such as "beta/auditLogs/signIns"')
        status = entry.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise SnapshotError(f'{where} needs an HTTP "status" between 100 and 599')
        version = entry["path"].strip("/").split("/", 1)[0].lower()
        if version not in VERSIONS:
            raise SnapshotError(f'{where} "path" must start with v1.0/ or beta/')
        headers = entry.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str | int) for k, v in headers.items()
        ):
            raise SnapshotError(f'{where} "headers" must map names to strings')
        for key in ("code", "message"):
            if key in entry and not isinstance(entry[key], str):
                raise SnapshotError(f'{where} "{key}" must be a string')
        overrides.append(
            Override(
                path=entry["path"],
                status=status,
                code=entry.get("code"),
                message=entry.get("message"),
                body=entry.get("body"),
                headers={k: str(v) for k, v in headers.items()},
            )
        )
    return overrides


# --- the directory


@dataclass
class _Loaded:
    stamp: tuple[int, int]
    document: Document


class Snapshot:
    """A snapshot directory: `<root>/<version>/<path>.json` per Graph URL, plus `_simulator.json`."""

    def __init__(self, root: str | os.PathLike[str], large_file_bytes: int = LARGE_FILE_BYTES) -> None:
        path = Path(root)
        try:
            if not path.exists():
                raise SnapshotError(f"snapshot directory {path} does not exist")
            if not path.is_dir():
                raise SnapshotError(f"snapshot path {path} is not a directory")
            os.listdir(path)
            if not any((path / version).is_dir() for version in VERSIONS):
                raise SnapshotError(f"snapshot directory {path} has no v1.0 or beta subdirectory")
        except OSError as exc:
            raise SnapshotError(f"snapshot directory {path} cannot be read: {exc.strerror}") from exc
        self.root = path.resolve()
        self.large_file_bytes = large_file_bytes
        self._listings: dict[Path, tuple[int, dict[str, list[str]]]] = {}
        self._loaded: dict[Path, _Loaded] = {}
        self._file_locks: dict[Path, threading.Lock] = {}
        self._lock = threading.Lock()
        self._config: tuple[tuple[int, int] | None, SimulatorConfig] = (None, SimulatorConfig())
        self.config()  # fail fast on a broken _simulator.json

    # lookup
    def _entries(self, directory: Path) -> dict[str, list[str]]:
        try:
            stamp = directory.stat().st_mtime_ns
        except OSError:
            return {}
        cached = self._listings.get(directory)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        entries: dict[str, list[str]] = {}
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            # Unreadable is not absent: an absent file means "none of that data", which rules would trust.
            raise SnapshotError(
                f"snapshot directory {self.relative(directory)} cannot be read: {exc.strerror}"
            ) from exc
        for name in names:
            entries.setdefault(name.lower(), []).append(name)
        self._listings[directory] = (stamp, entries)
        return entries

    def _child(self, directory: Path, name: str, want_dir: bool) -> Path | None:
        candidates = self._entries(directory).get(name.lower(), [])
        ordered = sorted(candidates, key=lambda candidate: candidate != name)  # the exact spelling first
        for candidate in ordered:
            path = directory / candidate
            if path.is_dir() if want_dir else path.is_file():
                return path
        return None

    def find_file(self, version: str, segments: Sequence[str]) -> Path | None:
        """The file for `/<version>/<segments>`, matching each segment case-insensitively."""
        if not segments or any(not _safe_segment(segment) for segment in segments):
            return None
        directory = self._child(self.root, version, want_dir=True)
        for segment in segments[:-1]:
            if directory is None:
                return None
            directory = self._child(directory, segment, want_dir=True)
        if directory is None:
            return None
        return self._child(directory, segments[-1] + ".json", want_dir=False)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # loading
    def load(self, path: Path, index: Sequence[str] = ()) -> Document:
        """The document in `path`, loaded once and again after the file changes. `index`: see
        `parse_document`."""
        return self.load_with_identity(path, index)[0]

    def load_with_identity(self, path: Path, index: Sequence[str] = ()) -> tuple[Document, tuple[Any, ...]]:
        """The document and what identifies this version of it: (path, mtime in ns, size)."""
        try:
            stat = path.stat()
        except OSError as exc:
            raise SnapshotError(
                f"snapshot file {self.relative(path)} cannot be read: {exc.strerror}"
            ) from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            lock = self._file_locks.setdefault(path, threading.Lock())
        with lock:
            identity = (str(path), *stamp)
            loaded = self._loaded.get(path)
            if loaded is not None and loaded.stamp == stamp:
                return loaded.document, identity
            self._loaded.pop(path, None)  # let the old copy go before reading the new one
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise SnapshotError(
                    f"snapshot file {self.relative(path)} cannot be read: {exc.strerror}"
                ) from exc
            try:
                document = parse_document(data, identity, self.large_file_bytes, index)
            except ValueError as exc:
                raise SnapshotError(f"snapshot file {self.relative(path)} is not valid: {exc}") from exc
            self._loaded[path] = _Loaded(stamp, document)
            return document, identity

    def config(self) -> SimulatorConfig:
        """`_simulator.json`, read again when it changes."""
        path = self.root / OVERRIDES_FILE
        try:
            stat = path.stat()
        except OSError:
            self._config = (None, SimulatorConfig())
            return self._config[1]
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached_stamp, cached = self._config
        if cached_stamp == stamp:
            return cached
        config = parse_config(path.read_bytes())
        self._config = (stamp, config)
        return config

    def overrides(self) -> list[Override]:
        return self.config().responses

    def allowed_options(self, version: str, pattern: str) -> frozenset[str]:
        """The uncertain query options this snapshot switches on for an endpoint pattern."""
        return self.config().query_options.get(f"{version}/{pattern}".lower(), frozenset())


def _safe_segment(segment: str) -> bool:
    return bool(segment) and segment not in (".", "..") and not any(c in segment for c in "/\\\0")
