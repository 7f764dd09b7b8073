"""Facts about Windows that PIN reset depends on: releases, editions, and the PassportForWork CSP.

Pure functions over strings and numbers, no I/O. Sources:

- Microsoft's "PIN reset" page: non-destructive PIN reset works on Enterprise from Windows 10
  1709 to 1809, on Enterprise and Pro from 1903, and on Windows 11. The current version of that page
  lists "Windows Enterprise, Education and Pro editions".
- Windows 10 builds: 1703 = 15063, 1709 = 16299, 1803 = 17134, 1809 = 17763, 1903 = 18362,
  1909 = 18363, 2004-22H2 = 19041-19045; Windows 11 starts at 22000 (Windows 10 and 11 release information).
- Intune's managedDevice.skuNumber is the GetProductInfo product type
  (learn.microsoft.com/windows/win32/api/sysinfoapi/nf-sysinfoapi-getproductinfo); skuFamily is an
  undocumented string ("Device sku family"), so it is read loosely and skuNumber backs it up.
- PassportForWork CSP: `TenantId` is the tenant's GUID without curly braces;
  `{TenantId}/Policies/EnablePinRecovery` is a Boolean, under ./Device/Vendor/MSFT and ./User/Vendor/MSFT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Edition(StrEnum):
    ENTERPRISE = "Enterprise"  # also Enterprise N, LTSC, G, IoT Enterprise, Enterprise multi-session
    EDUCATION = "Education"
    PRO = "Pro"
    PRO_EDUCATION = "Pro Education"
    PRO_WORKSTATION = "Pro for Workstations"
    HOME = "Home"
    UNKNOWN = "unknown"  # not reported, or an edition this module does not judge (Server, SE, Team, ...)


# How each edition fares with non-destructive PIN reset. Education is built on Enterprise and the
# current PIN reset page lists it beside Enterprise, so it follows Enterprise (1709 and later); Pro
# Education and Pro for Workstations are Pro editions and follow Pro (1903 and later). Home is not on
# Microsoft's list at all, on any release.
ENTERPRISE_TIER: Final = frozenset({Edition.ENTERPRISE, Edition.EDUCATION})
PRO_TIER: Final = frozenset({Edition.PRO, Edition.PRO_EDUCATION, Edition.PRO_WORKSTATION})

WINDOWS_10_FIRST_BUILD: Final = 10240
ENTERPRISE_MIN_BUILD: Final = 16299  # Windows 10 1709
PRO_MIN_BUILD: Final = 18362  # Windows 10 1903
WINDOWS_11_FIRST_BUILD: Final = 22000

RELEASES: Final[dict[int, str]] = {
    10240: "1507",
    10586: "1511",
    14393: "1607",
    15063: "1703",
    16299: "1709",
    17134: "1803",
    17763: "1809",
    18362: "1903",
    18363: "1909",
    19041: "2004",
    19042: "20H2",
    19043: "21H1",
    19044: "21H2",
    19045: "22H2",
    22000: "21H2",
    22621: "22H2",
    22631: "23H2",
    26100: "24H2",
    26200: "25H2",
}

# GetProductInfo product types (managedDevice.skuNumber) of the editions judged here.
SKU_NUMBERS: Final[dict[int, Edition]] = {
    4: Edition.ENTERPRISE,
    27: Edition.ENTERPRISE,  # Enterprise N
    72: Edition.ENTERPRISE,  # Enterprise evaluation
    84: Edition.ENTERPRISE,  # Enterprise N evaluation
    125: Edition.ENTERPRISE,  # Enterprise LTSC (Enterprise S)
    126: Edition.ENTERPRISE,  # Enterprise LTSC N
    129: Edition.ENTERPRISE,  # Enterprise LTSC evaluation
    130: Edition.ENTERPRISE,  # Enterprise LTSC N evaluation
    171: Edition.ENTERPRISE,  # Enterprise G
    172: Edition.ENTERPRISE,  # Enterprise G N
    175: Edition.ENTERPRISE,  # Enterprise multi-session (ServerRdsh)
    188: Edition.ENTERPRISE,  # IoT Enterprise
    191: Edition.ENTERPRISE,  # IoT Enterprise LTSC
    121: Edition.EDUCATION,
    122: Edition.EDUCATION,  # Education N
    48: Edition.PRO,
    49: Edition.PRO,  # Pro N
    164: Edition.PRO_EDUCATION,
    165: Edition.PRO_EDUCATION,  # Pro Education N
    161: Edition.PRO_WORKSTATION,
    162: Edition.PRO_WORKSTATION,  # Pro for Workstations N
    98: Edition.HOME,  # Home N
    99: Edition.HOME,  # Home China
    100: Edition.HOME,  # Home single language
    101: Edition.HOME,  # Home (Core)
}


_BEFORE_WINDOWS_10: Final[dict[tuple[int, int], str]] = {
    (6, 1): "Windows 7",
    (6, 2): "Windows 8",
    (6, 3): "Windows 8.1",
}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def edition_from_family(sku_family: str) -> Edition:
    """The edition a skuFamily string names ("Enterprise", "Professional", "ProfessionalEducation", "Core").

    Intune does not document the strings, so this reads them loosely: product-type names as
    GetProductInfo and slmgr spell them, and the marketing names, with or without "Windows", N, S or
    G suffixes. Anything it does not recognise (servers, Team, Holographic, SE) is UNKNOWN.
    """
    name = _squash(sku_family).removeprefix("microsoft").removeprefix("windows")
    name = name.removeprefix("10").removeprefix("11")
    if not name or ("server" in name and name != "serverrdsh"):
        return Edition.UNKNOWN
    if "workstation" in name:
        return Edition.PRO_WORKSTATION
    if name.startswith("pro") and "edu" in name:
        return Edition.PRO_EDUCATION
    if name.startswith("education"):
        return Edition.EDUCATION
    if "enterprise" in name or name == "serverrdsh":
        return Edition.ENTERPRISE
    if name.startswith("pro"):
        return Edition.PRO
    if name.startswith(("core", "home")):
        return Edition.HOME
    return Edition.UNKNOWN


def device_edition(sku_family: str, sku_number: int | None) -> Edition:
    """skuFamily when it names an edition; else skuNumber (0 is GetProductInfo's "undefined")."""
    edition = edition_from_family(sku_family)
    if edition is Edition.UNKNOWN and sku_number is not None:
        return SKU_NUMBERS.get(sku_number, Edition.UNKNOWN)
    return edition


@dataclass(frozen=True, slots=True)
class WindowsVersion:
    major: int
    minor: int
    build: int
    revision: int | None

    @property
    def windows_11(self) -> bool:
        return self.major == 10 and self.build >= WINDOWS_11_FIRST_BUILD

    @property
    def windows_10_or_later(self) -> bool:
        return self.major > 10 or (self.major == 10 and self.build >= WINDOWS_10_FIRST_BUILD)

    @property
    def release(self) -> str:
        """ "Windows 10 1809", "Windows 11 24H2"; a build without a release name reads "(build n)"."""
        if not self.windows_10_or_later:
            older = _BEFORE_WINDOWS_10.get((self.major, self.minor))
            return older or f"Windows {self.major}.{self.minor}.{self.build} (before Windows 10)"
        product = "Windows 11" if self.windows_11 else "Windows 10"
        name = RELEASES.get(self.build)
        return f"{product} {name}" if name else f"{product} (build {self.build})"


def parse_os_version(os_version: str) -> WindowsVersion | None:
    """Intune's osVersion ("10.0.19045.3693"); None when it is not a Windows version number."""
    match = re.fullmatch(r"\s*(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?\s*", os_version)
    if match is None:
        return None
    major, minor, build, revision = match.groups()
    return WindowsVersion(int(major), int(minor), int(build), int(revision) if revision else None)


@dataclass(frozen=True, slots=True)
class ResetSupport:
    """Whether a device can do a non-destructive PIN reset, by edition and build.

    `supported` is None when the edition or the build is unknown: the monitor does not guess.
    """

    supported: bool | None
    edition: Edition
    version: WindowsVersion | None
    requirement: str  # what non-destructive reset needs, said for this device's edition

    @property
    def release(self) -> str:
        return self.version.release if self.version else "an unknown release"


def non_destructive_reset(os_version: str, sku_family: str, sku_number: int | None) -> ResetSupport:
    edition = device_edition(sku_family, sku_number)
    version = parse_os_version(os_version)
    if edition in ENTERPRISE_TIER:
        requirement = f"Windows 10 1709 (build {ENTERPRISE_MIN_BUILD}) or later, or Windows 11, on {edition}"
        minimum = ENTERPRISE_MIN_BUILD
    elif edition in PRO_TIER:
        requirement = f"Windows 10 1903 (build {PRO_MIN_BUILD}) or later, or Windows 11, on {edition}"
        minimum = PRO_MIN_BUILD
    elif edition is Edition.HOME:
        requirement = "Windows Pro, Enterprise or Education: Home editions have no non-destructive PIN reset"
        return ResetSupport(False, edition, version, requirement)
    else:
        requirement = "a known edition: Enterprise or Education from Windows 10 1709, Pro from 1903"
        return ResetSupport(None, edition, version, requirement)
    if version is None:
        return ResetSupport(None, edition, version, requirement)
    supported = version.windows_10_or_later and (version.major > 10 or version.build >= minimum)
    return ResetSupport(supported, edition, version, requirement)


# --- PassportForWork CSP: the EnablePinRecovery OMA-URI --------------------------------------------

BOOLEAN_OMA_TYPE: Final = "#microsoft.graph.omaSettingBoolean"

# ./Device/Vendor/MSFT/Policy/PassportForWork/<TenantId>/Policies/EnablePinRecovery, as Microsoft's PIN reset
# page writes it; the CSP reference writes it without "Policy/"
# (./Device/Vendor/MSFT/PassportForWork/...). Both forms, with ./Device, ./User or neither, any case.
_ENABLE_PIN_RECOVERY = re.compile(
    r"\./(?:(?:device|user)/)?vendor/msft/(?:policy/)?passportforwork/(?P<tenant>[^/]*)"
    r"/policies/enablepinrecovery/?",
    re.IGNORECASE,
)
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
# What people paste from the docs instead of their tenant ID (the PIN reset page's
# "TenantId" placeholder, also seen in the article 'Enable PIN reset').
_PLACEHOLDERS: Final = frozenset({"tenantid", "{tenantid}", "<tenantid>", "tenant-id", "tenant_id"})


class OmaMistake(StrEnum):
    TENANT_ID_MISSING = "tenant-id-missing"
    TENANT_ID_PLACEHOLDER = "tenant-id-placeholder"
    TENANT_ID_IN_BRACES = "tenant-id-in-braces"
    OTHER_TENANT = "other-tenant"
    NOT_A_TENANT_ID = "not-a-tenant-id"
    NOT_BOOLEAN = "not-boolean"
    NOT_TRUE = "not-true"


def enable_pin_recovery_tenant(oma_uri: str) -> str | None:
    """The tenant segment of an EnablePinRecovery OMA-URI ("" when left out); None for other URIs."""
    match = _ENABLE_PIN_RECOVERY.fullmatch(oma_uri.strip())
    return match.group("tenant") if match else None


def _means_true(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in ("true", "1")


def enable_pin_recovery_mistakes(
    oma_uri: str, odata_type: str, value: object, tenant_id: str
) -> tuple[OmaMistake, ...]:
    """Everything wrong with an EnablePinRecovery OMA setting for `tenant_id` (empty: it is valid).

    Call only for URIs that `enable_pin_recovery_tenant` recognises.
    """
    segment = (enable_pin_recovery_tenant(oma_uri) or "").strip()
    mistakes: list[OmaMistake] = []
    if not segment:
        mistakes.append(OmaMistake.TENANT_ID_MISSING)
    elif segment.lower() in _PLACEHOLDERS:
        mistakes.append(OmaMistake.TENANT_ID_PLACEHOLDER)
    elif segment.lower() == tenant_id.lower():
        pass
    elif segment.startswith("{") and segment.endswith("}") and segment[1:-1].lower() == tenant_id.lower():
        mistakes.append(OmaMistake.TENANT_ID_IN_BRACES)
    elif _GUID.fullmatch(segment.strip("{}")):
        mistakes.append(OmaMistake.OTHER_TENANT)
    else:
        mistakes.append(OmaMistake.NOT_A_TENANT_ID)
    boolean = odata_type.strip().lower() == BOOLEAN_OMA_TYPE.lower()
    if not boolean:
        mistakes.append(OmaMistake.NOT_BOOLEAN)
    # A Boolean must be true; a String "true" is already wrong by type, and also says "not true" only
    # when its text does not mean true either.
    if (boolean and value is not True) or (not boolean and not _means_true(value)):
        mistakes.append(OmaMistake.NOT_TRUE)
    return tuple(mistakes)


MISTAKE_TEXT: Final[dict[OmaMistake, str]] = {
    OmaMistake.TENANT_ID_MISSING: "the tenant ID segment is empty (PassportForWork//Policies)",
    OmaMistake.TENANT_ID_PLACEHOLDER: "the tenant ID segment is the documentation's placeholder, not the ID",
    OmaMistake.TENANT_ID_IN_BRACES: "the tenant ID is in curly braces; the CSP expects the bare GUID",
    OmaMistake.OTHER_TENANT: "the tenant ID segment names another tenant",
    OmaMistake.NOT_A_TENANT_ID: "the tenant ID segment is not a tenant ID (a GUID)",
    OmaMistake.NOT_BOOLEAN: "the data type is not Boolean",
    OmaMistake.NOT_TRUE: "the value is not true",
}


# --- Policy CSP: ConfigureWebSignInAllowedUrls ------------------------------------------------------

_WEB_SIGNIN_URLS = re.compile(
    r"\./(?:device/)?vendor/msft/policy/config/authentication/configurewebsigninallowedurls/?",
    re.IGNORECASE,
)


def is_web_signin_urls_uri(oma_uri: str) -> bool:
    return _WEB_SIGNIN_URLS.fullmatch(oma_uri.strip()) is not None
