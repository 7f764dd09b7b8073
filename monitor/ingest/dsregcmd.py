"""The text `dsregcmd /status` prints, read into its sections.

The output is a series of sections, each a boxed title followed by `Name : Value` lines, as Microsoft's
"Troubleshoot devices by using the dsregcmd command" page shows them:

    +----------------------------------------------------------------------+
    | User State                                                           |
    +----------------------------------------------------------------------+

                        NgcSet : YES
                      NgcKeyId : {FA0DB076-A5D7-4844-82D8-50A2FB42EC7B}
                      CanReset : DestructiveAndNonDestructive

Anything else (blank lines, notes, lines of a section this reader does not know) is ignored, so a
newer Windows build that adds fields or sections still parses. Names are kept as printed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

Sections = dict[str, dict[str, str]]

DEVICE_STATE: Final = "Device State"
DEVICE_DETAILS: Final = "Device Details"
TENANT_DETAILS: Final = "Tenant Details"
USER_STATE: Final = "User State"
SSO_STATE: Final = "SSO State"

_TITLE = re.compile(r"^\|\s*(?P<title>[^|]*?)\s*\|$")
_FIELD = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9 ()/._-]*?)\s*:\s?(?P<value>.*)$")


def parse_status(text: str) -> Sections:
    """Section title -> field name -> value. Fields before any section title go under ""."""
    sections: Sections = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("+-"):
            continue
        title = _TITLE.match(line)
        if title:
            current = title.group("title")
            sections.setdefault(current, {})
            continue
        field = _FIELD.match(line)
        if field:
            # The first value wins: a section never repeats a field, so a repeat is noise.
            sections.setdefault(current, {}).setdefault(field.group("name"), field.group("value").strip())
    return {name: fields for name, fields in sections.items() if fields}


def yes_no(sections: Mapping[str, Mapping[str, str]], section: str, name: str) -> bool | None:
    """A YES/NO field as a bool; None when absent or anything else."""
    value = sections.get(section, {}).get(name, "").upper()
    return True if value == "YES" else False if value == "NO" else None


def field(sections: Mapping[str, Mapping[str, str]], section: str, name: str) -> str:
    return sections.get(section, {}).get(name, "")
