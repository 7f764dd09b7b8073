"""The alert channels, found by convention: every module of this package but `base` is one channel,
named by its module (teams, email, webhook). A channel reads its destinations' own settings, renders
each kind of message (a notice, a digest of notices, the weekly report) and sends it; `base.Channel`
says what a module must define.

The alert step (monitor.alerts.process) and the weekly send (monitor.weekly.send) both dispatch through
`get`, and the settings accept a destination only on a known channel, so a channel is added in one
place (its module) and an unknown one is refused with its name and the known ones, never skipped.
Importing this package is cheap: a channel's module is imported when it is first used.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from monitor.alerts.channels.base import Channel

# Modules of this package that are not channels.
_NOT_CHANNELS = frozenset({"base"})
# The order the settings' error message has always listed the first channels in; others follow by name.
_FIRST = ("teams", "email", "webhook")
# A required member of a channel module, and what it is for.
REQUIRED = {
    "BUNDLES": "whether every notice due to one target goes in one message",
    "configure": "reads a destination's own settings",
    "targets": "the outbox targets of a destination",
    "render_notices": "renders a notice or a digest",
    "render_weekly": "renders the weekly report",
    "send_notices": "sends a notice or a digest",
    "send_weekly": "sends the weekly report",
}
_registered: dict[str, Channel] = {}


class UnknownChannel(ValueError):
    """A destination names a channel no module provides."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown alert channel {name!r}: the known channels are {', '.join(known())}")
        self.channel = name


class ChannelError(TypeError):
    """A channel module lacks what every channel must define."""


@cache
def _discovered() -> tuple[str, ...]:
    return tuple(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_CHANNELS)


def known() -> tuple[str, ...]:
    """Every channel's name: the package's modules and any registered ones."""
    names = set(_discovered()) | set(_registered)
    return tuple(sorted(names, key=lambda n: (_FIRST.index(n) if n in _FIRST else len(_FIRST), n)))


def check(name: str) -> None:
    """Raise UnknownChannel unless `name` is a channel."""
    if name not in known():
        raise UnknownChannel(name)


def get(name: str) -> Channel:
    """The channel called `name`; UnknownChannel if there is none."""
    if name in _registered:
        return _registered[name]
    check(name)
    return _load(name)


@cache
def _load(name: str) -> Channel:
    module = importlib.import_module(f"{__name__}.{name}")
    missing = [member for member in REQUIRED if not hasattr(module, member)]
    if missing:
        raise ChannelError(f"alert channel module {name} must define {', '.join(missing)}")
    return cast("Channel", module)


def bundles(name: str) -> bool:
    """Whether the channel sends every notice due to one target in one message; False for a channel
    no longer known (its rows are then refused when they are sent)."""
    return name in known() and get(name).BUNDLES


def register(name: str, channel: Channel) -> None:
    """Add a channel that is not a module of this package (tests: a throw-away channel)."""
    missing = [member for member in REQUIRED if not hasattr(channel, member)]
    if missing:
        raise ChannelError(f"alert channel {name} must define {', '.join(missing)}")
    _registered[name] = channel


def unregister(name: str) -> None:
    _registered.pop(name, None)
