"""Headless Debian chromium as every browser test starts it.

The flags keep it off the network (this machine has none beyond loopback, and chromium's background
connections would be refused many at a time) and out of any profile but the test's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_command(profile: Path, *extra: str) -> list[str]:
    """The command line of a headless chromium with its own profile folder, then `extra`."""
    return [CHROMIUM, *HEADLESS, f"--user-data-dir={profile}", *extra]
