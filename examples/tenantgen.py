"""Deterministic generator of realistic Entra ID / Intune tenant snapshots (SPEC §1).

A tenant snapshot is a directory that mirrors Microsoft Graph's URL space: the answer to
`GET https://graph.microsoft.com/<version>/<path>` is stored in `<dir>/<version>/<path>.json`, exactly as
Graph returns it without query options. This module builds every Graph object the monitor reads, in the
shape and key order of Microsoft's reference pages and example responses, and writes the bundled example
tenants of `examples/tenants/` (see its README for the story of each) and large load tenants for
benchmarks.

Everything is deterministic: IDs are uuid5 of (tenant, kind, index), randomness comes from one
`random.Random` per tenant seeded with the tenant's name, and time is measured back from `NOW` (the
scan is run with `--now 2026-11-20T12:00:00Z`). Generating twice gives identical bytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import json
import random
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, NamedTuple

try:  # orjson only speeds up the load generator; the bundled tenants are written with json.
    import orjson
except ImportError:  # pragma: no cover - orjson is in requirements.txt
    orjson = None  # type: ignore[assignment]

Json = dict[str, Any]

NOW: Final = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW_DAYS: Final = 30  # P1/P2 sign-in and audit retention
FREE_AUDIT_DAYS: Final = 7  # retention without a premium licence

# ---------------------------------------------------------------------------------------------------
# Well-known identifiers (DOMAIN.md)
# ---------------------------------------------------------------------------------------------------

PIN_RESET_SERVICE: Final = "b8456c59-1230-44c7-a4a2-99b085333e84"
PIN_RESET_CLIENT: Final = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"
PIN_RESET_SERVICE_NAME: Final = "Microsoft Pin Reset Service Production"
PIN_RESET_CLIENT_NAME: Final = "Microsoft Pin Reset Client Production"
MICROSOFT_TENANT: Final = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # appOwnerOrganizationId of Microsoft apps

AAD_GRAPH: Final = "00000002-0000-0000-c000-000000000000"  # Windows Azure Active Directory
MS_GRAPH: Final = "00000003-0000-0000-c000-000000000000"
MY_SIGNINS: Final = "19db86c3-b2b9-44cc-b339-36da233a3be2"
AZURE_PORTAL: Final = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
AZURE_MGMT_API: Final = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

GLOBAL_ADMIN: Final = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_AUTH_ADMIN: Final = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
AUTH_ADMIN: Final = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
SECURITY_ADMIN: Final = "194ae4cb-b126-40b2-bd5b-6091b380977d"
CLOUD_APP_ADMIN: Final = "158c047a-c907-4556-b7ef-446551a6b5f7"
INTUNE_ADMIN: Final = "3a2c62db-5318-420d-8d74-23affee5d9d5"
EXCHANGE_ADMIN: Final = "29232cdf-9323-42fd-ade2-1d097af3e4de"
USER_ADMIN: Final = "fe930be7-5e62-47db-91af-98c3a49a38b1"

# Intune's virtual groups: the targets behind allLicensedUsersAssignmentTarget and allDevicesAssignmentTarget.
ALL_USERS_GROUP: Final = "acacacac-9df4-4c7d-9d50-4ef0226f57a9"
ALL_DEVICES_GROUP: Final = "adadadad-808e-44e2-905a-0b7873a8a531"

PASSPORT: Final = "device_vendor_msft_passportforwork_{tenantid}"
ENABLE_PIN_RECOVERY: Final = f"{PASSPORT}_policies_enablepinrecovery"
WEB_SIGNIN_URLS_URI: Final = "./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls"

RULES: Final = (
    "consent.pin-reset-service.missing",
    "consent.pin-reset-client.missing",
    "consent.pin-reset-app.disabled",
    "signin.pin-reset.consent-errors",
    "signin.pin-reset.failure-spike",
    "policy.pin-recovery.not-configured",
    "policy.pin-recovery.oma-uri-invalid",
    "policy.web-signin-urls.missing",
    "device.pin-reset.unsupported-os",
    "tap.policy.disabled",
    "tap.policy.multi-use",
    "tap.policy.lifetime-too-long",
    "tap.issued.privileged-user",
    "tap.signin.risky",
    "tap.signin.failure-burst",
)

TAP_POLICY_ID: Final = "TemporaryAccessPass"
SIGNINS_PATH: Final = "beta/auditLogs/signIns.json"
AUDITS_PATH: Final = "v1.0/auditLogs/directoryAudits.json"
TAP_POLICY_PATH: Final = (
    "v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass.json"
)

# ---------------------------------------------------------------------------------------------------
# IDs and time
# ---------------------------------------------------------------------------------------------------

_NAMESPACE: Final = uuid.UUID("3b0e8a55-2f7c-5d1e-9c64-7a1f0d2b6e11")
_NAMESPACE_BYTES: Final = _NAMESPACE.bytes


def guid(*parts: object) -> str:
    """A deterministic GUID: uuid5 of the parts (tenant name, kind, index...).

    Computed as uuid.uuid5 does (SHA-1 of namespace and name, version 5, RFC 4122 variant) without building
    UUID objects: the load generator makes several per sign-in.
    """
    name = "/".join(str(part) for part in parts).encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def iso(moment: datetime) -> str:
    """Graph's whole-second UTC form, as sign-ins and most entities carry it: 2026-11-20T11:42:13Z."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def iso7(moment: datetime) -> str:
    """The 7-fractional-digit form of directory audits and Intune: 2026-11-20T11:42:13.1234567Z."""
    moment = moment.astimezone(UTC)
    tick = (moment.microsecond * 7 + moment.second) % 10  # a stable 7th digit (.NET ticks)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}{tick}Z"


def role_assignment_id(role_definition_id: str, principal_id: str) -> str:
    """Directory role assignment IDs: base64url of the role's and the principal's GUID bytes, then '-1'."""
    raw = uuid.UUID(role_definition_id).bytes_le + uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "-1"


def _token_id(value: str) -> str:
    """uniqueTokenIdentifier: 22 characters of base64url, as Entra writes it."""
    return base64.urlsafe_b64encode(bytes.fromhex(value.replace("-", ""))).decode().rstrip("=")


# ---------------------------------------------------------------------------------------------------
# Reference data: places, names, apps, hardware
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    country: str
    latitude: float
    longitude: float
    utc_offset: int  # hours, standard time (November)


PLACES: Final[dict[str, tuple[Place, ...]]] = {
    "US": (
        Place("Redmond", "Washington", "US", 47.674, -122.1215, -8),
        Place("Seattle", "Washington", "US", 47.6062, -122.3321, -8),
        Place("New York", "New York", "US", 40.7128, -74.006, -5),
        Place("Chicago", "Illinois", "US", 41.8781, -87.6298, -6),
        Place("Austin", "Texas", "US", 30.2672, -97.7431, -6),
    ),
    "DE": (
        Place("Berlin", "Berlin", "DE", 52.52, 13.405, 1),
        Place("Munich", "Bayern", "DE", 48.1351, 11.582, 1),
        Place("Hamburg", "Hamburg", "DE", 53.5511, 9.9937, 1),
        Place("Frankfurt am Main", "Hessen", "DE", 50.1109, 8.6821, 1),
    ),
    "GB": (
        Place("London", "England", "GB", 51.5074, -0.1278, 0),
        Place("Manchester", "England", "GB", 53.4808, -2.2426, 0),
        Place("Leeds", "England", "GB", 53.8008, -1.5491, 0),
    ),
    "NL": (
        Place("Amsterdam", "Noord-Holland", "NL", 52.3676, 4.9041, 1),
        Place("Rotterdam", "Zuid-Holland", "NL", 51.9244, 4.4777, 1),
        Place("Utrecht", "Utrecht", "NL", 52.0907, 5.1214, 1),
    ),
    "FR": (
        Place("Paris", "Ile-de-France", "FR", 48.8566, 2.3522, 1),
        Place("Lyon", "Auvergne-Rhone-Alpes", "FR", 45.764, 4.8357, 1),
        Place("Nantes", "Pays de la Loire", "FR", 47.2184, -1.5536, 1),
    ),
    "CA": (
        Place("Toronto", "Ontario", "CA", 43.6532, -79.3832, -5),
        Place("Vancouver", "British Columbia", "CA", 49.2827, -123.1207, -8),
        Place("Ottawa", "Ontario", "CA", 45.4215, -75.6972, -5),
    ),
    "AT": (
        Place("Vienna", "Wien", "AT", 48.2082, 16.3738, 1),
        Place("Innsbruck", "Tirol", "AT", 47.2692, 11.4041, 1),
        Place("Salzburg", "Salzburg", "AT", 47.8095, 13.055, 1),
    ),
    "NG": (Place("Lagos", "Lagos", "NG", 6.5244, 3.3792, 1),),
}

LANGUAGE: Final = {
    "US": "en-US",
    "GB": "en-GB",
    "CA": "en-CA",
    "DE": "de-DE",
    "AT": "de-AT",
    "NL": "nl-NL",
    "FR": "fr-FR",
}

PHONES: Final = {
    "US": "+1 425 555 0100",
    "GB": "+44 20 7946 0000",
    "CA": "+1 416 555 0100",
    "DE": "+49 30 901820",
    "AT": "+43 1 5357000",
    "NL": "+31 20 794 0000",
    "FR": "+33 1 40 00 00 00",
}

_EN_GIVEN = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Sandra",
    "Anthony",
    "Ashley",
    "Mark",
    "Emily",
    "Steven",
    "Megan",
    "Andrew",
    "Olivia",
    "Joshua",
    "Hannah",
    "Kevin",
    "Rachel",
    "Brian",
    "Laura",
    "Ryan",
    "Amanda",
    "Jacob",
    "Grace",
    "Nathan",
    "Chloe",
    "Ethan",
    "Sophie",
    "Liam",
    "Isabel",
)
_EN_SURNAME = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Morgan",
    "Cooper",
    "Peterson",
    "Reed",
)
_DE_GIVEN = (
    "Anna",
    "Lukas",
    "Lena",
    "Leon",
    "Marie",
    "Felix",
    "Sophie",
    "Jonas",
    "Laura",
    "Paul",
    "Julia",
    "Maximilian",
    "Lea",
    "Elias",
    "Hannah",
    "Tim",
    "Sarah",
    "Jan",
    "Katharina",
    "Niklas",
    "Johanna",
    "Moritz",
    "Lisa",
    "Tobias",
    "Clara",
    "Florian",
    "Miriam",
    "Sebastian",
    "Nina",
    "Matthias",
    "Eva",
    "Stefan",
    "Sabine",
    "Thomas",
    "Andrea",
    "Michael",
    "Petra",
    "Markus",
    "Birgit",
    "Jürgen",
)
_DE_SURNAME = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Huber",
    "Gruber",
    "Wimmer",
    "Steiner",
    "Moser",
)
_NL_GIVEN = (
    "Daan",
    "Emma",
    "Sem",
    "Julia",
    "Lucas",
    "Mila",
    "Levi",
    "Tess",
    "Finn",
    "Sophie",
    "Milan",
    "Zoë",
    "Jesse",
    "Sara",
    "Bram",
    "Anna",
    "Thijs",
    "Eva",
    "Ruben",
    "Lotte",
    "Lars",
    "Fleur",
    "Joris",
    "Sanne",
    "Koen",
    "Iris",
    "Wouter",
    "Femke",
    "Pieter",
    "Anouk",
)
_NL_SURNAME = (
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
)
_FR_GIVEN = (
    "Lucas",
    "Emma",
    "Gabriel",
    "Louise",
    "Léo",
    "Jade",
    "Raphaël",
    "Alice",
    "Arthur",
    "Chloé",
    "Hugo",
    "Léa",
    "Jules",
    "Manon",
    "Louis",
    "Camille",
    "Adam",
    "Inès",
    "Nathan",
    "Sarah",
    "Thomas",
    "Julie",
    "Nicolas",
    "Claire",
    "Antoine",
    "Élodie",
    "Mathieu",
    "Aurélie",
    "Julien",
    "Céline",
)
_FR_SURNAME = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
)

NAMES: Final = {
    "US": (_EN_GIVEN, _EN_SURNAME),
    "GB": (_EN_GIVEN, _EN_SURNAME),
    "CA": (_EN_GIVEN, _EN_SURNAME),
    "DE": (_DE_GIVEN, _DE_SURNAME),
    "AT": (_DE_GIVEN, _DE_SURNAME),
    "NL": (_NL_GIVEN, _NL_SURNAME),
    "FR": (_FR_GIVEN, _FR_SURNAME),
}

_ASCII = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "é": "e",
        "è": "e",
        "ë": "e",
        "ï": "i",
        "ç": "c",
        "à": "a",
        "â": "a",
        "ô": "o",
        "É": "e",
        "Ä": "ae",
        "Ö": "oe",
        "Ü": "ue",
    }
)


def mail_nickname(given: str, surname: str) -> str:
    """anna.mueller, daan.dejong: the local part of a UPN, ASCII only."""
    return f"{given}.{surname}".lower().translate(_ASCII).replace(" ", "").replace("'", "")


JOBS: Final = (
    ("Finance", "Accountant"),
    ("Finance", "Financial Analyst"),
    ("Sales", "Account Manager"),
    ("Sales", "Sales Representative"),
    ("Sales", "Inside Sales Specialist"),
    ("Marketing", "Marketing Specialist"),
    ("Marketing", "Content Manager"),
    ("Human Resources", "HR Generalist"),
    ("Engineering", "Software Engineer"),
    ("Engineering", "QA Engineer"),
    ("Engineering", "Product Manager"),
    ("Operations", "Operations Manager"),
    ("Operations", "Logistics Coordinator"),
    ("Legal", "Legal Counsel"),
    ("Customer Success", "Support Engineer"),
    ("Customer Success", "Customer Success Manager"),
    ("Procurement", "Buyer"),
    ("Facilities", "Office Manager"),
)


@dataclass(frozen=True)
class App:
    """A first-party application: a client that signs in, a resource it signs in to, or both."""

    app_id: str
    name: str


FIRST_PARTY_APPS: Final = (
    App(MS_GRAPH, "Microsoft Graph"),
    App("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    App("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
    App(AAD_GRAPH, "Windows Azure Active Directory"),
    App("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    App("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services"),
    App("0000000a-0000-0000-c000-000000000000", "Microsoft Intune"),
    App("d4ebce55-015a-49b5-a083-c84d1797ae8c", "Microsoft Intune Enrollment"),
    App(AZURE_PORTAL, "Azure Portal"),
    App(AZURE_MGMT_API, "Windows Azure Service Management API"),
    App("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
    App("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"),
    App(MY_SIGNINS, "My Signins"),
    App("8c59ead7-d703-4a27-9e55-c96a0054c8d2", "My Profile"),
    App("0000000c-0000-0000-c000-000000000000", "Microsoft App Access Panel"),
    App("01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9", "Device Registration Service"),
    App("c5393580-f805-4401-95e8-94b7a6ef2fc2", "Office 365 Management APIs"),
)
INTUNE_APPS: Final = frozenset(
    {"0000000a-0000-0000-c000-000000000000", "d4ebce55-015a-49b5-a083-c84d1797ae8c"}
)
APP_NAMES: Final = {app.app_id: app.name for app in FIRST_PARTY_APPS} | {
    PIN_RESET_SERVICE: PIN_RESET_SERVICE_NAME,
    PIN_RESET_CLIENT: PIN_RESET_CLIENT_NAME,
}


@dataclass(frozen=True)
class NoiseApp:
    """An everyday sign-in: which client, to which resource, from what kind of device."""

    client: App
    resource: App
    platform: str  # "windows", "mobile" or "browser"
    interactive_share: float
    weight: int
    admin_only: bool = False


_EXO = App("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online")
_SPO = App("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online")
_TEAMS_SVC = App("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services")
_GRAPH = App(MS_GRAPH, "Microsoft Graph")
_AAD = App(AAD_GRAPH, "Windows Azure Active Directory")

NOISE_APPS: Final = (
    NoiseApp(App("38aa3b87-a06d-4817-b275-7a316988d93b", "Windows Sign In"), _AAD, "windows", 1.0, 14),
    NoiseApp(App("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"), _EXO, "windows", 0.1, 12),
    NoiseApp(App("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"), _SPO, "windows", 0.05, 6),
    NoiseApp(App("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"), _TEAMS_SVC, "windows", 0.1, 14),
    NoiseApp(App("ab9b8c07-8f02-4f72-87fa-80105867a763", "OneDrive SyncEngine"), _SPO, "windows", 0.0, 6),
    NoiseApp(
        App("29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Authentication Broker"),
        _GRAPH,
        "windows",
        0.0,
        5,
    ),
    NoiseApp(App("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"), _GRAPH, "browser", 0.7, 8),
    NoiseApp(
        App("89bee1f7-5e6e-4d8a-9f3d-ecd601259da7", "Office365 Shell WCSS-Client"), _GRAPH, "browser", 0.0, 5
    ),
    NoiseApp(
        App("0000000c-0000-0000-c000-000000000000", "Microsoft App Access Panel"), _GRAPH, "browser", 0.8, 2
    ),
    NoiseApp(App("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile"), _EXO, "mobile", 0.05, 8),
    NoiseApp(App("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"), _TEAMS_SVC, "mobile", 0.05, 5),
    NoiseApp(
        App(AZURE_PORTAL, "Azure Portal"),
        App(AZURE_MGMT_API, "Windows Azure Service Management API"),
        "browser",
        0.8,
        6,
        admin_only=True,
    ),
)

# Windows builds as Intune reports them (osVersion) and the editions (skuFamily, skuNumber).
WIN11_23H2: Final = "10.0.22631.4460"
WIN11_24H2: Final = "10.0.26100.2314"
WIN10_22H2: Final = "10.0.19045.5131"
SKU_NUMBERS: Final = {"Enterprise": 4, "Pro": 48, "Education": 121, "Core": 101}

HARDWARE: Final = (
    ("Microsoft Corporation", "Surface Laptop 5", "laptop"),
    ("Microsoft Corporation", "Surface Pro 9", "laptop"),
    ("Dell Inc.", "Latitude 5440", "laptop"),
    ("Dell Inc.", "Latitude 7450", "laptop"),
    ("Dell Inc.", "OptiPlex 7010", "desktop"),
    ("LENOVO", "21HD003SGE", "laptop"),
    ("LENOVO", "20XW0026UK", "laptop"),
    ("HP", "HP EliteBook 840 G10 Notebook PC", "laptop"),
    ("HP", "HP ProBook 450 G9 Notebook PC", "laptop"),
)
MOBILE_HARDWARE: Final = (
    ("iOS", "Apple", "iPhone 15", "18.1.1"),
    ("iOS", "Apple", "iPhone 14", "18.1.1"),
    ("iOS", "Apple", "iPhone 13", "17.6.1"),
    ("Android", "samsung", "SM-S921B", "14"),
    ("Android", "Google", "Pixel 8", "15"),
)

EDGE_UA: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
WEBVIEW_UA: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; WebView/3.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/70.0.3538.102 Safari/537.36 Edge/18.{build}"
)
BROKER_UA: Final = "Windows-AzureAD-Authentication-Provider/1.0"
IOS_UA: Final = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148"
)
ANDROID_UA: Final = "Dalvik/2.1.0 (Linux; U; Android 14; SM-S921B Build/UP1A.231005.007)"

# ---------------------------------------------------------------------------------------------------
# Sign-in status texts (Microsoft's AADSTS reference; DOMAIN.md)
# ---------------------------------------------------------------------------------------------------

_USER_MISTAKE = (
    "The user didn't enter the right credentials. \u00a0It's expected to see some number of these errors in "
    "your logs due to users making mistakes."
)


def status_for(code: int, *, app_id: str, resource_id: str, tenant_name: str) -> Json:
    """The signInStatus Graph writes for an AADSTS code, with the names filled in."""
    return dict(_status(code, app_id, resource_id, tenant_name))


@functools.lru_cache(maxsize=4096)
def _status(code: int, app_id: str, resource_id: str, tenant_name: str) -> tuple[tuple[str, Any], ...]:
    app = APP_NAMES.get(app_id, app_id)
    resource = APP_NAMES.get(resource_id, resource_id)
    reasons: dict[int, tuple[str, str | None]] = {
        0: ("Other.", None),
        50126: ("Error validating credentials due to invalid username or password.", _USER_MISTAKE),
        50076: (
            "Due to a configuration change made by your administrator, or because you moved to a new "
            f"location, you must use multi-factor authentication to access '{resource_id}'.",
            "MFA required in Azure AD",
        ),
        50079: (
            "Due to a configuration change made by your administrator, or because you moved to a new "
            f"location, you must enroll in multi-factor authentication to access '{resource_id}'.",
            "User needs to enroll for second factor authentication.",
        ),
        50074: ("Strong Authentication is required.", "MFA required in Azure AD"),
        50140: (
            "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
            None,
        ),
        50089: (
            "Flow token expired - Authentication Failed. Have the user try signing-in again with "
            "username -password.",
            None,
        ),
        50173: (
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The "
            "user might have changed or reset their password.",
            None,
        ),
        53000: (
            "Device is not in required device state: compliant. Conditional Access policy requires a "
            "compliant device, and the device is not compliant. The user must enroll their device with an "
            "approved MDM provider like Intune.",
            "Device is not in required device state: compliant.",
        ),
        53003: (
            "Access has been blocked by Conditional Access policies. The access policy does not allow token "
            "issuance.",
            "Access has been blocked by Conditional Access policies.",
        ),
        65001: (
            f"The user or administrator has not consented to use the application with ID '{app_id}' named "
            f"'{app}'. Send an interactive authorization request for this user and resource.",
            "An admin has not consented to the PIN reset application.",
        ),
        650052: (
            f'The app needs access to a service ("{resource}") that your organization "{tenant_name}" has '
            "not subscribed to or enabled. Contact your IT Admin to review the configuration of your service "
            "subscriptions.",
            None,
        ),
        500011: (
            f"The resource principal named {resource_id} was not found in the tenant named {tenant_name}. "
            "This can happen if the application has not been installed by the administrator of the tenant or "
            "consented to by any user in the tenant. You might have sent your authentication request to the "
            "wrong tenant.",
            None,
        ),
        700016: (
            f"Application with identifier '{app_id}' was not found in the directory '{tenant_name}'. This "
            "can "
            "happen if the application has not been installed by the administrator of the tenant or "
            "consented "
            "to by any user in the tenant. You may have sent your authentication request to the wrong "
            "tenant.",
            None,
        ),
        7000112: (f"Application '{app_id}'({app}) is disabled.", None),
        70001: (f"Application with identifier '{app_id}' is disabled.", None),
    }
    reason, details = reasons[code]
    return (("errorCode", code), ("failureReason", reason), ("additionalDetails", details))


# ---------------------------------------------------------------------------------------------------
# Graph object builders (pure): the shapes of Microsoft's reference pages, in their key order
# ---------------------------------------------------------------------------------------------------


def organization_object(
    *,
    tenant_id: str,
    display_name: str,
    created: datetime,
    place: Place,
    street: str,
    postal_code: str,
    domains: Sequence[Json],
    plans: Sequence[tuple[str, str]],
    tech_contact: str,
) -> Json:
    """organization (v1.0): GET /organization is a collection of exactly one."""
    assigned = [
        {
            "assignedDateTime": iso(created + timedelta(days=1)),
            "capabilityStatus": "Enabled",
            "service": service,
            "servicePlanId": plan_id,
        }
        for service, plan_id in plans
    ]
    return {
        "id": tenant_id,
        "deletedDateTime": None,
        "businessPhones": [PHONES.get(place.country, "+1 425 555 0100")],
        "city": place.city,
        "country": None,
        "countryLetterCode": place.country,
        "createdDateTime": iso(created),
        "defaultUsageLocation": None,
        "displayName": display_name,
        "isMultipleDataLocationsForServicesEnabled": None,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": None,
        "onPremisesSyncEnabled": None,
        "partnerTenantType": None,
        "postalCode": postal_code,
        "preferredLanguage": "en",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": place.state,
        "street": street,
        "technicalNotificationMails": [tech_contact],
        "tenantType": "AAD",
        "directorySizeQuota": {"used": 0, "total": 300000},
        "privacyProfile": None,
        "assignedPlans": assigned,
        "onPremisesSyncStatus": [],
        "provisionedPlans": [
            {"capabilityStatus": "Enabled", "provisioningStatus": "Success", "service": service}
            for service, _ in plans
        ],
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": domain["isDefault"],
                "isInitial": domain["isInitial"],
                "name": domain["id"],
                "type": domain["authenticationType"],
            }
            for domain in domains
        ],
    }


def domain_object(
    name: str, *, default: bool = False, initial: bool = False, federated: bool = False
) -> Json:
    """domain (v1.0). A federated domain has authenticationType 'Federated'."""
    services = (
        ["Email", "OfficeCommunicationsOnline"]
        if initial
        else ["Email", "OfficeCommunicationsOnline", "Intune"]
    )
    if federated:
        services.append("OrgIdAuthentication")
    return {
        "authenticationType": "Federated" if federated else "Managed",
        "availabilityStatus": None,
        "id": name,
        "isAdminManaged": True,
        "isDefault": default,
        "isInitial": initial,
        "isRoot": True,
        "isVerified": True,
        "supportedServices": services,
        "passwordValidityPeriodInDays": None if federated else 2147483647,
        "passwordNotificationWindowInDays": None if federated else 14,
        "state": None,
    }


def service_principal_object(
    *, object_id: str, app: App, created: datetime, enabled: bool = True, description: str | None = None
) -> Json:
    """servicePrincipal (v1.0) of a Microsoft first-party app."""
    return {
        "id": object_id,
        "deletedDateTime": None,
        "accountEnabled": enabled,
        "alternativeNames": [],
        "appDisplayName": app.name,
        "appDescription": None,
        "appId": app.app_id,
        "applicationTemplateId": None,
        "appOwnerOrganizationId": MICROSOFT_TENANT,
        "appRoleAssignmentRequired": False,
        "createdDateTime": iso(created),
        "description": description,
        "disabledByMicrosoftStatus": None,
        "displayName": app.name,
        "homepage": None,
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "servicePrincipalNames": [app.app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs",
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        "tokenEncryptionKeyId": None,
        "samlSingleSignOnSettings": None,
        "addIns": [],
        "appRoles": [],
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    }


def tap_policy_object(
    *,
    state: str = "enabled",
    default_lifetime: int = 60,
    default_length: int = 8,
    minimum_lifetime: int = 60,
    maximum_lifetime: int = 480,
    usable_once: bool = True,
) -> Json:
    """temporaryAccessPassAuthenticationMethodConfiguration (v1.0)."""
    return {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
        "id": TAP_POLICY_ID,
        "state": state,
        "defaultLifetimeInMinutes": default_lifetime,
        "defaultLength": default_length,
        "minimumLifetimeInMinutes": minimum_lifetime,
        "maximumLifetimeInMinutes": maximum_lifetime,
        "isUsableOnce": usable_once,
        "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": False}],
        "excludeTargets": [],
    }


def tap_method_object(
    *, method_id: str, created: datetime, lifetime: int, usable_once: bool, usable: bool, reason: str
) -> Json:
    """temporaryAccessPassAuthenticationMethod (v1.0). Graph never returns the pass itself."""
    return {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": method_id,
        "temporaryAccessPass": None,
        "createdDateTime": iso7(created),
        "startDateTime": iso(created),
        "lifetimeInMinutes": lifetime,
        "isUsableOnce": usable_once,
        "isUsable": usable,
        "methodUsabilityReason": reason,
    }


def role_assignment_object(role_definition_id: str, principal_id: str) -> Json:
    """unifiedRoleAssignment (v1.0) of a directory role at tenant scope."""
    return {
        "id": role_assignment_id(role_definition_id, principal_id),
        "principalId": principal_id,
        "resourceScope": "/",
        "directoryScopeId": "/",
        "roleDefinitionId": role_definition_id,
    }


def audit_user(person_id: str, display_name: str | None, upn: str | None, ip: str | None) -> Json:
    return {
        "id": person_id,
        "displayName": display_name,
        "userPrincipalName": upn,
        "ipAddress": ip,
        "userType": None,
        "homeTenantId": None,
        "homeTenantName": None,
    }


def audit_app(app_id: str | None, display_name: str, sp_id: str | None) -> Json:
    return {
        "appId": app_id,
        "displayName": display_name,
        "servicePrincipalId": sp_id,
        "servicePrincipalName": None,
    }


def audit_target(
    target_id: str,
    *,
    type_: str,
    display_name: str | None = None,
    upn: str | None = None,
    modified: Sequence[tuple[str, str | None, str | None]] = (),
    group_type: str | None = None,
) -> Json:
    return {
        "id": target_id,
        "displayName": display_name,
        "type": type_,
        "userPrincipalName": upn,
        "groupType": group_type,
        "modifiedProperties": [
            {"displayName": name, "oldValue": old, "newValue": new} for name, old, new in modified
        ],
    }


def directory_audit_object(
    *,
    audit_id: str,
    when: datetime,
    category: str,
    correlation_id: str,
    activity: str,
    service: str,
    operation: str,
    result_reason: str,
    initiated_by_user: Json | None = None,
    initiated_by_app: Json | None = None,
    targets: Sequence[Json] = (),
    details: Sequence[tuple[str, str]] = (),
    result: str = "success",
) -> Json:
    """directoryAudit (v1.0), in the key order of the docs' example response."""
    return {
        "id": audit_id,
        "category": category,
        "correlationId": correlation_id,
        "result": result,
        "resultReason": result_reason,
        "activityDisplayName": activity,
        "activityDateTime": iso7(when),
        "loggedByService": service,
        "operationType": operation,
        "initiatedBy": {"app": initiated_by_app, "user": initiated_by_user},
        "targetResources": list(targets),
        "additionalDetails": [{"key": key, "value": value} for key, value in details],
    }


# --- Intune ------------------------------------------------------------------------------------------


def group_target(group_id: str, *, exclude: bool = False) -> Json:
    kind = "exclusionGroupAssignmentTarget" if exclude else "groupAssignmentTarget"
    return {
        "@odata.type": f"#microsoft.graph.{kind}",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
        "groupId": group_id,
    }


def all_devices_target() -> Json:
    return {
        "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
    }


def all_users_target() -> Json:
    return {
        "@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
    }


def _target_group_id(target: Json) -> str:
    kind = target["@odata.type"]
    if kind.endswith("allDevicesAssignmentTarget"):
        return ALL_DEVICES_GROUP
    if kind.endswith("allLicensedUsersAssignmentTarget"):
        return ALL_USERS_GROUP
    return str(target["groupId"])


def device_configuration_assignment(config_id: str, target: Json) -> Json:
    """deviceConfigurationAssignment (beta), as $expand=assignments returns it."""
    return {
        "id": f"{config_id}_{_target_group_id(target)}",
        "source": "direct",
        "sourceId": config_id,
        "intent": "apply",
        "target": target,
    }


def configuration_policy_assignment(policy_id: str, target: Json) -> Json:
    """deviceManagementConfigurationPolicyAssignment (beta)."""
    return {
        "id": f"{policy_id}_{_target_group_id(target)}",
        "source": "direct",
        "sourceId": policy_id,
        "target": target,
    }


def _device_configuration_base(
    odata_type: str,
    *,
    config_id: str,
    name: str,
    description: str,
    created: datetime,
    modified: datetime,
    version: int,
) -> Json:
    return {
        "@odata.type": f"#microsoft.graph.{odata_type}",
        "id": config_id,
        "lastModifiedDateTime": iso7(modified),
        "roleScopeTagIds": ["0"],
        "supportsScopeTags": True,
        "deviceManagementApplicabilityRuleOsEdition": None,
        "deviceManagementApplicabilityRuleOsVersion": None,
        "deviceManagementApplicabilityRuleDeviceMode": None,
        "createdDateTime": iso7(created),
        "description": description,
        "displayName": name,
        "version": version,
    }


def identity_protection_configuration(
    *,
    config_id: str,
    name: str,
    created: datetime,
    modified: datetime,
    pin_recovery: bool,
    targets: Sequence[Json],
    description: str = "",
    pin_minimum_length: int = 6,
) -> Json:
    """windowsIdentityProtectionConfiguration: the Identity protection template (Windows Hello)."""
    item = _device_configuration_base(
        "windowsIdentityProtectionConfiguration",
        config_id=config_id,
        name=name,
        description=description,
        created=created,
        modified=modified,
        version=2,
    )
    item |= {
        "useSecurityKeyForSignin": True,
        "enhancedAntiSpoofingForFacialFeaturesEnabled": True,
        "pinMinimumLength": pin_minimum_length,
        "pinMaximumLength": 127,
        "pinUppercaseCharactersUsage": "allowed",
        "pinLowercaseCharactersUsage": "allowed",
        "pinSpecialCharactersUsage": "allowed",
        "pinExpirationInDays": 0,
        "pinPreviousBlockCount": 0,
        "pinRecoveryEnabled": pin_recovery,
        "securityDeviceRequired": True,
        "unlockWithBiometricsEnabled": True,
        "useCertificatesForOnPremisesAuthEnabled": False,
        "windowsHelloForBusinessBlocked": False,
    }
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


def oma_setting(
    kind: str,
    *,
    name: str,
    oma_uri: str,
    value: Any,
    description: str | None = None,
    encrypted: bool = False,
    secret_id: str | None = None,
) -> Json:
    """omaSettingBoolean / omaSettingString / omaSettingInteger of a custom profile.

    Graph returns string values that Intune keeps encrypted as '****' with isEncrypted true and a
    secretReferenceValueId (the plain text needs getOmaSettingPlainTextValue).
    """
    return {
        "@odata.type": f"#microsoft.graph.omaSetting{kind}",
        "displayName": name,
        "description": description,
        "omaUri": oma_uri,
        "secretReferenceValueId": secret_id,
        "isEncrypted": encrypted,
        "value": "****" if encrypted else value,
    }


def custom_configuration(
    *,
    config_id: str,
    name: str,
    created: datetime,
    modified: datetime,
    settings: Sequence[Json],
    targets: Sequence[Json],
    description: str = "",
) -> Json:
    """windows10CustomConfiguration: a custom OMA-URI profile."""
    item = _device_configuration_base(
        "windows10CustomConfiguration",
        config_id=config_id,
        name=name,
        description=description,
        created=created,
        modified=modified,
        version=1,
    )
    item["omaSettings"] = list(settings)
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


def endpoint_protection_configuration(
    *, config_id: str, name: str, created: datetime, modified: datetime, targets: Sequence[Json]
) -> Json:
    """windows10EndpointProtectionConfiguration (BitLocker): trimmed to its BitLocker properties."""
    item = _device_configuration_base(
        "windows10EndpointProtectionConfiguration",
        config_id=config_id,
        name=name,
        description="BitLocker for OS and fixed drives, recovery keys escrowed to Entra ID",
        created=created,
        modified=modified,
        version=3,
    )
    item |= {
        "bitLockerAllowStandardUserEncryption": True,
        "bitLockerDisableWarningForOtherDiskEncryption": True,
        "bitLockerEnableStorageCardEncryptionOnMobile": False,
        "bitLockerEncryptDevice": True,
        "bitLockerRecoveryPasswordRotation": "enabledForAzureAd",
        "bitLockerSystemDrive": {
            "startupAuthenticationRequired": True,
            "startupAuthenticationBlockWithoutTpmChip": True,
            "startupAuthenticationTpmUsage": "allowed",
            "startupAuthenticationTpmPinUsage": "blocked",
            "startupAuthenticationTpmKeyUsage": "blocked",
            "startupAuthenticationTpmPinAndKeyUsage": "blocked",
            "minimumPinLength": None,
            "recoveryOptions": {
                "blockDataRecoveryAgent": True,
                "recoveryPasswordUsage": "required",
                "recoveryKeyUsage": "allowed",
                "hideRecoveryOptions": True,
                "enableRecoveryInformationSaveToStore": True,
                "recoveryInformationToStore": "passwordAndKey",
                "enableBitLockerAfterRecoveryInformationToStore": True,
            },
            "prebootRecoveryEnableMessageAndUrl": False,
            "prebootRecoveryMessage": None,
            "prebootRecoveryUrl": None,
            "encryptionMethod": "xtsAes256",
        },
    }
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


def wifi_configuration(
    *, config_id: str, name: str, ssid: str, created: datetime, modified: datetime, targets: Sequence[Json]
) -> Json:
    """windowsWifiConfiguration: the office Wi-Fi."""
    item = _device_configuration_base(
        "windowsWifiConfiguration",
        config_id=config_id,
        name=name,
        description="",
        created=created,
        modified=modified,
        version=1,
    )
    item |= {
        "meteredConnectionLimit": "unrestricted",
        "ssid": ssid,
        "networkName": ssid,
        "connectAutomatically": True,
        "connectToPreferredNetwork": True,
        "connectWhenNetworkNameIsHidden": False,
        "wifiSecurityType": "wpa2Personal",
        "preSharedKey": None,
        "proxySetting": "none",
        "proxyManualAddress": None,
        "proxyManualPort": None,
        "proxyAutomaticConfigurationUrl": None,
        "forceFIPSCompliance": False,
    }
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


def update_ring_configuration(
    *, config_id: str, name: str, created: datetime, modified: datetime, targets: Sequence[Json]
) -> Json:
    """windowsUpdateForBusinessConfiguration: an update ring (trimmed)."""
    item = _device_configuration_base(
        "windowsUpdateForBusinessConfiguration",
        config_id=config_id,
        name=name,
        description="",
        created=created,
        modified=modified,
        version=4,
    )
    item |= {
        "deliveryOptimizationMode": "httpWithPeeringNat",
        "prereleaseFeatures": "notAllowed",
        "automaticUpdateMode": "autoInstallAtMaintenanceTime",
        "microsoftUpdateServiceAllowed": True,
        "driversExcluded": False,
        "qualityUpdatesDeferralPeriodInDays": 3,
        "featureUpdatesDeferralPeriodInDays": 0,
        "qualityUpdatesPaused": False,
        "featureUpdatesPaused": False,
        "businessReadyUpdatesOnly": "userDefined",
        "skipChecksBeforeRestart": False,
        "deadlineForFeatureUpdatesInDays": 7,
        "deadlineForQualityUpdatesInDays": 3,
        "deadlineGracePeriodInDays": 2,
        "postponeRebootUntilAfterDeadline": False,
        "userPauseAccess": "enabled",
        "userWindowsUpdateScanAccess": "enabled",
        "updateNotificationLevel": "defaultNotifications",
    }
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


# Settings catalog instances (deviceManagementConfigurationSetting).


def choice_instance(
    definition_id: str, value: str, *, children: Sequence[Json] = (), template: tuple[str, str] | None = None
) -> Json:
    """deviceManagementConfigurationChoiceSettingInstance; `template` = (instance, value) template IDs."""
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": (
            {"settingInstanceTemplateId": template[0]} if template else None
        ),
        "choiceSettingValue": {
            "settingValueTemplateReference": (
                {"settingValueTemplateId": template[1], "useTemplateDefault": False} if template else None
            ),
            "value": value,
            "children": list(children),
        },
    }


def integer_instance(definition_id: str, value: int) -> Json:
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": None,
        "simpleSettingValue": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue",
            "settingValueTemplateReference": None,
            "value": value,
        },
    }


def group_collection_instance(
    definition_id: str, children: Sequence[Json], template: str | None = None
) -> Json:
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": {"settingInstanceTemplateId": template} if template else None,
        "groupSettingCollectionValue": [{"settingValueTemplateReference": None, "children": list(children)}],
    }


def passport_choice(policy: str, enabled: bool, *, template: tuple[str, str] | None = None) -> Json:
    """A PassportForWork (Windows Hello for Business) choice: `policy` like 'enablepinrecovery'."""
    definition = f"{PASSPORT}_policies_{policy}"
    return choice_instance(definition, f"{definition}_{'true' if enabled else 'false'}", template=template)


def configuration_policy(
    *,
    policy_id: str,
    name: str,
    created: datetime,
    modified: datetime,
    settings: Sequence[Json],
    targets: Sequence[Json],
    description: str = "",
    template: Json | None = None,
) -> Json:
    """deviceManagementConfigurationPolicy (beta) with settings and assignments inline."""
    return {
        "id": policy_id,
        "name": name,
        "description": description,
        "platforms": "windows10",
        "technologies": "mdm",
        "createdDateTime": iso7(created),
        "lastModifiedDateTime": iso7(modified),
        "settingCount": len(settings),
        "creationSource": None,
        "roleScopeTagIds": ["0"],
        "isAssigned": bool(targets),
        "templateReference": template
        or {
            "templateId": "",
            "templateFamily": "none",
            "templateDisplayName": None,
            "templateDisplayVersion": None,
        },
        "priorityMetaData": None,
        "settings": [
            {"id": str(index), "settingInstance": instance} for index, instance in enumerate(settings)
        ],
        "assignments": [configuration_policy_assignment(policy_id, t) for t in targets],
    }


def managed_device_object(device: Device, tenant_domain: str) -> Json:
    """managedDevice (beta), in the key order of the reference page."""
    owner = device.owner
    windows = device.platform == "Windows"
    storage = 255_060_000_000 if windows else 128_000_000_000
    enrolled_local = device.enrolled
    managed_name = (
        f"{owner.upn.split('@')[0]}_{device.platform}_{enrolled_local.month}/{enrolled_local.day}/"
        f"{enrolled_local.year}_{enrolled_local.strftime('%I:%M %p').lstrip('0')}"
    )
    return {
        "id": device.intune_id,
        "userId": owner.id,
        "deviceName": device.name,
        "ownerType": "company",
        "managedDeviceOwnerType": "company",
        "managementState": "managed",
        "enrolledDateTime": iso(device.enrolled),
        "lastSyncDateTime": iso(device.last_sync),
        "chassisType": device.chassis,
        "operatingSystem": device.platform,
        "deviceType": {"Windows": "windowsRT", "iOS": "iPhone", "Android": "androidEnterprise"}[
            device.platform
        ],
        "complianceState": device.compliance,
        "jailBroken": "Unknown" if windows else "False",
        "managementAgent": device.management_agent,
        "osVersion": device.os_version,
        "easActivated": not windows,
        "easDeviceId": device.eas_id,
        "easActivationDateTime": "0001-01-01T00:00:00Z",
        "aadRegistered": True,
        "azureADRegistered": True,
        "deviceEnrollmentType": device.enrollment_type,
        "lostModeState": "disabled",
        "activationLockBypassCode": None,
        "emailAddress": owner.mail or owner.upn,
        "azureActiveDirectoryDeviceId": device.aad_id,
        "azureADDeviceId": device.aad_id,
        "deviceRegistrationState": "registered",
        "deviceCategoryDisplayName": "Unknown Category",
        "isSupervised": device.platform == "iOS",
        "exchangeLastSuccessfulSyncDateTime": "0001-01-01T00:00:00Z",
        "exchangeAccessState": "none",
        "exchangeAccessStateReason": "none",
        "remoteAssistanceSessionUrl": None,
        "remoteAssistanceSessionErrorDetails": None,
        "isEncrypted": True,
        "userPrincipalName": owner.upn,
        "model": device.model,
        "manufacturer": device.manufacturer,
        "imei": "" if windows else device.imei,
        "complianceGracePeriodExpirationDateTime": "9999-12-31T23:59:59Z",
        "serialNumber": device.serial,
        "phoneNumber": "",
        "androidSecurityPatchLevel": "2024-10-01" if device.platform == "Android" else "",
        "userDisplayName": owner.display_name,
        "configurationManagerClientEnabledFeatures": None,
        "wiFiMacAddress": device.mac,
        "deviceHealthAttestationState": None,
        "subscriberCarrier": "",
        "meid": "",
        "totalStorageSpaceInBytes": storage,
        "freeStorageSpaceInBytes": storage // 3,
        "managedDeviceName": managed_name,
        "partnerReportedThreatState": "unknown",
        "retireAfterDateTime": "0001-01-01T00:00:00Z",
        "usersLoggedOn": [{"userId": owner.id, "lastLogOnDateTime": iso(device.last_sync)}]
        if windows
        else [],
        "preferMdmOverGroupPolicyAppliedDateTime": "0001-01-01T00:00:00Z",
        "autopilotEnrolled": windows and device.join_type == "azureADJoined",
        "requireUserEnrollmentApproval": None,
        "managementCertificateExpirationDate": iso(device.enrolled + timedelta(days=365)),
        "iccid": None,
        "udid": None,
        "roleScopeTagIds": [],
        "windowsActiveMalwareCount": 0,
        "windowsRemediatedMalwareCount": 0,
        "notes": None,
        "configurationManagerClientHealthState": None,
        "configurationManagerClientInformation": None,
        "ethernetMacAddress": None,
        "physicalMemoryInBytes": 0,
        "processorArchitecture": "x64" if windows else "unknown",
        "specificationVersion": None,
        "joinType": device.join_type,
        "skuFamily": device.sku_family,
        "skuNumber": SKU_NUMBERS.get(device.sku_family, 0),
        "managementFeatures": "none",
        "chromeOSDeviceInfo": [],
        "enrollmentProfileName": None,
        "bootstrapTokenEscrowed": False,
        "deviceFirmwareConfigurationInterfaceManaged": False,
        "hardwareInformation": {
            "serialNumber": device.serial,
            "totalStorageSpace": storage,
            "freeStorageSpace": storage // 3,
            "imei": None,
            "meid": None,
            "manufacturer": device.manufacturer,
            "model": device.model,
            "phoneNumber": None,
            "subscriberCarrier": None,
            "cellularTechnology": None,
            "wifiMac": device.mac,
            "operatingSystemLanguage": None,
            "isSupervised": False,
            "isEncrypted": True,
            "batterySerialNumber": None,
            "batteryHealthPercentage": 0,
            "batteryChargeCycles": 0,
            "isSharedDevice": False,
            "sharedDeviceCachedUsers": [],
            "tpmSpecificationVersion": "2.0, 0, 1.59" if windows else None,
            "operatingSystemEdition": None,
            "deviceFullQualifiedDomainName": (
                f"{device.name}.corp.{tenant_domain}" if device.join_type == "hybridAzureADJoined" else None
            ),
            "deviceGuardVirtualizationBasedSecurityHardwareRequirementState": "meetHardwareRequirements",
            "deviceGuardVirtualizationBasedSecurityState": "running" if windows else "notLicensed",
            "deviceGuardLocalSystemAuthorityCredentialGuardState": "running" if windows else "notLicensed",
            "osBuildNumber": None,
            "operatingSystemProductType": SKU_NUMBERS.get(device.sku_family, 0),
            "ipAddressV4": None,
            "subnetAddress": None,
            "esimIdentifier": None,
            "systemManagementBIOSVersion": None,
            "tpmManufacturer": None,
            "tpmVersion": None,
            "wiredIPv4Addresses": [],
            "batteryLevelPercentage": None,
            "residentUsersCount": None,
            "productName": None,
            "deviceLicensingStatus": "unknown",
            "deviceLicensingLastErrorCode": 0,
            "deviceLicensingLastErrorDescription": None,
        },
        "deviceActionResults": [],
    }


# ---------------------------------------------------------------------------------------------------
# The tenant model
# ---------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Person:
    index: int
    id: str
    given: str | None
    surname: str | None
    display_name: str
    upn: str
    mail: str | None
    job_title: str | None
    department: str | None
    place: Place
    home_ip: str
    created: datetime
    language: str
    roles: list[str] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    federated: bool = False
    signs_in: bool = True
    activity: float = 1.0

    @property
    def windows_device(self) -> Device | None:
        return next((d for d in self.devices if d.platform == "Windows"), None)

    @property
    def mobile_device(self) -> Device | None:
        return next((d for d in self.devices if d.platform != "Windows"), None)


@dataclass(eq=False)
class Device:
    intune_id: str
    aad_id: str
    name: str
    owner: Person
    platform: str  # "Windows", "iOS", "Android"
    os_version: str
    sku_family: str
    join_type: str  # azureADJoined, hybridAzureADJoined, azureADRegistered
    compliance: str
    manufacturer: str
    model: str
    chassis: str
    serial: str
    mac: str
    imei: str
    eas_id: str
    enrolled: datetime
    last_sync: datetime
    management_agent: str
    enrollment_type: str
    label: str = ""

    @property
    def trust_type(self) -> str:
        return {
            "azureADJoined": "Azure AD joined",
            "hybridAzureADJoined": "Hybrid Azure AD joined",
            "azureADRegistered": "Azure AD registered",
        }[self.join_type]

    @property
    def is_compliant(self) -> bool:
        return self.compliance == "compliant"


@dataclass(eq=False)
class TapIssuance:
    user: Person
    issuer: Person
    issued: datetime
    lifetime: int
    usable_once: bool
    method_id: str
    deleted: datetime | None = None
    uses: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class Risk:
    during: str
    aggregated: str
    state: str = "none"
    detail: str = "none"
    events: tuple[str, ...] = ()


@dataclass
class Expectations:
    """What the monitor must report for a tenant: rule -> subjects that fire, rules skipped (and why),
    and rules whose outcome depends on configurable thresholds. Every other rule must pass."""

    fires: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    unasserted: dict[str, str] = field(default_factory=dict)

    def passes(self) -> list[str]:
        return [
            r for r in RULES if r not in self.fires and r not in self.skipped and r not in self.unasserted
        ]


@dataclass
class TenantDescription:
    """What the tests and the README need to know about a generated tenant."""

    name: str
    tenant_id: str
    display_name: str
    story: str
    domains: list[str]
    users: int
    signins: int
    pin_reset_signins: int
    tap_signins: int
    devices: int
    tap_user_ids: list[str]
    expectations: Expectations
    notes: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # subject ID -> what it is, for the README


class SerializedSignIn(NamedTuple):
    """A sign-in already rendered as its JSON line (load tenants), with what sorts it newest first."""

    created: str
    id: str
    line: bytes


class SerializedSignIns(list[SerializedSignIn]):
    """The sign-in log of a load tenant, newest first, as rendered lines."""


@dataclass
class GeneratedTenant:
    description: TenantDescription
    documents: dict[str, Any]  # snapshot-relative path -> JSON document


@dataclass(frozen=True)
class TenantSpec:
    name: str
    display_name: str
    story: str
    domain: str
    initial_domain: str
    country: str
    users: int
    devices: int  # Intune-managed devices; 0 with no Intune licence
    created: datetime
    street: str
    postal_code: str
    licence: str = "P2"  # "P2", "P1" or "Free"
    federation_host: str | None = None  # the users' domain is federated to this identity provider
    extra_domain: str | None = None  # a second verified domain, federated to extra_federation_host if set
    extra_federation_host: str | None = None
    pin_resets_per_day: float = 5.0
    noise_signins: int = 500
    noise_audits: int = 60
    windows_share: float = 0.8
    hybrid_share: float = 0.25
    days: int = WINDOW_DAYS
    # A twin (the same tenant at another moment) shares the IDs and the random history of this tenant.
    twin_of: str = ""

    @property
    def key(self) -> str:
        """What IDs and randomness derive from: the tenant's own name, or its twin's."""
        return self.twin_of or self.name


PLANS: Final = {
    "P2": (
        ("exchange", "efb87545-963c-4e0d-99df-69c6916d9eb0"),
        ("SharePoint", "5dbe027f-2339-4123-9542-606e4d348a72"),
        ("TeamspaceAPI", "57ff2da0-773e-42df-b2af-ffb7a2317929"),
        ("AADPremiumService", "41781fb2-bc02-4b7c-bd55-b576c07bb09d"),
        ("AADPremiumService", "eec0eb4f-6444-4f95-aba0-50c24d67f998"),
        ("SCO", "c1ec4a95-1f05-45b3-a911-aa3fa01094f5"),
        ("MultiFactorService", "8a256a2b-b617-496d-b51b-e76466e88db0"),
    ),
    "P1": (
        ("exchange", "efb87545-963c-4e0d-99df-69c6916d9eb0"),
        ("SharePoint", "5dbe027f-2339-4123-9542-606e4d348a72"),
        ("TeamspaceAPI", "57ff2da0-773e-42df-b2af-ffb7a2317929"),
        ("AADPremiumService", "41781fb2-bc02-4b7c-bd55-b576c07bb09d"),
        ("SCO", "c1ec4a95-1f05-45b3-a911-aa3fa01094f5"),
        ("MultiFactorService", "8a256a2b-b617-496d-b51b-e76466e88db0"),
    ),
    "Free": (
        ("exchange", "9aaf7827-d63c-4b61-89c3-182f06f82e5c"),
        ("SharePoint", "c7699d2e-19aa-44de-8edf-1736da088ca1"),
        ("TeamspaceAPI", "57ff2da0-773e-42df-b2af-ffb7a2317929"),
    ),
}

# Working hours weights (local time, 6:00 to 21:00): sign-ins peak when people start their day.
_HOURS: Final = tuple(range(6, 22))
_HOUR_WEIGHTS: Final = (1, 4, 10, 12, 10, 8, 6, 8, 8, 7, 6, 5, 3, 2, 1, 1)
_APP_LEVEL_ERRORS: Final = frozenset({65001, 650052, 500011, 700016, 700011, 7000112, 70001})
_NOISE_INTERACTIVE_FAILURES: Final = (50126, 50126, 50140, 50074)
_NOISE_BACKGROUND_FAILURES: Final = (50173, 50089)
_USER_SIDE_FAILURES: Final = (50126, 50126, 50076, 50079)


class TenantBuilder:
    """Builds one tenant: people, devices, apps, then the logs and policies a story asks for."""

    def __init__(
        self, spec: TenantSpec, *, now: datetime = NOW, seed: int = 0, compact_signins: bool = False
    ) -> None:
        self.spec = spec
        self.compact_signins = compact_signins
        self.now = now
        self.rng = random.Random(f"tenantgen/{spec.key}/{seed}")
        self.tenant_id = guid(spec.key, "tenant")
        self.earliest = now - timedelta(days=spec.days)
        self.latest = now - timedelta(minutes=2)
        self._counters: dict[str, int] = {}
        self._sessions: dict[tuple[str, Any], str] = {}
        self.signins: list[Any] = []  # sign-in dicts, or SerializedSignIn with compact_signins
        self.audits: list[Json] = []
        self.device_configurations: list[Json] = []
        self.configuration_policies: list[Json] = []
        self.taps: list[TapIssuance] = []
        self.pin_reset_signins = 0
        self.tap_signins = 0
        self.notes: dict[str, Any] = {}
        self.expectations = Expectations()
        self.tap_policy = tap_policy_object()
        self.simulator_responses: list[Json] = []
        # PIN reset apps: "enabled", "disabled" or "missing" (no service principal).
        self.pin_apps: dict[str, str] = {PIN_RESET_SERVICE: "enabled", PIN_RESET_CLIENT: "enabled"}
        self.sp_ids = {app.app_id: guid(spec.key, "servicePrincipal", app.app_id) for app in FIRST_PARTY_APPS}
        self.sp_ids[PIN_RESET_SERVICE] = guid(spec.key, "servicePrincipal", PIN_RESET_SERVICE)
        self.sp_ids[PIN_RESET_CLIENT] = guid(spec.key, "servicePrincipal", PIN_RESET_CLIENT)
        octet = 10 + (uuid.UUID(self.tenant_id).int % 200)
        self.office_ips = (f"203.0.113.{octet}", f"203.0.113.{octet + 1}")
        self.ca_mfa = guid(spec.key, "ca", "mfa")
        self.ca_block: tuple[str, str, datetime] | None = None  # (id, name, created)
        self.prefix = "".join(ch for ch in spec.display_name.upper() if ch.isalpha())[:3]
        self.people: list[Person] = []
        self.devices: list[Device] = []
        self._make_people()
        if spec.devices:
            self._make_devices()

    # --- small helpers ------------------------------------------------------------------------------

    def next_id(self, kind: str) -> str:
        n = self._counters.get(kind, 0) + 1
        self._counters[kind] = n
        return guid(self.spec.key, kind, n)

    def person(self, index: int) -> Person:
        return self.people[index]

    @property
    def tenant_name(self) -> str:
        return self.spec.display_name

    @property
    def ordinary(self) -> list[Person]:
        """People without a directory role who sign in and have a Windows device."""
        return [p for p in self.people if not p.roles and p.signs_in and p.windows_device is not None]

    @property
    def helpdesk(self) -> Person:
        return self.people[2]

    def work_time(
        self,
        place: Place,
        *,
        earliest: datetime | None = None,
        latest: datetime | None = None,
        weekends: float = 0.2,
        office: bool = False,
    ) -> datetime:
        """A moment in local working hours between earliest and latest (default: the whole window).

        `office`: within office hours (8:00 to 18:00), as for what admins do.
        """
        earliest = earliest or self.earliest
        latest = min(latest or self.latest, self.latest)
        span_days = max(1, (latest - earliest).days + 2)
        rng = self.rng
        for attempt in range(120):
            day = (latest - timedelta(days=rng.randrange(span_days))).date()
            if day.weekday() >= 5 and rng.random() > weekends and attempt < 60:
                continue
            hour = rng.randrange(8, 18) if office else rng.choices(_HOURS, _HOUR_WEIGHTS)[0]
            moment = datetime(
                day.year,
                day.month,
                day.day,
                hour,
                rng.randrange(60),
                rng.randrange(60),
                rng.randrange(1_000_000),
                tzinfo=UTC,
            ) - timedelta(hours=place.utc_offset)
            if earliest <= moment <= latest:
                return moment
        seconds = max(1, int((latest - earliest).total_seconds()))
        return earliest + timedelta(seconds=rng.randrange(seconds), microseconds=rng.randrange(1_000_000))

    def any_time(self, earliest: datetime, latest: datetime) -> datetime:
        seconds = max(1, int((latest - earliest).total_seconds()))
        return earliest + timedelta(
            seconds=self.rng.randrange(seconds), microseconds=self.rng.randrange(1_000_000)
        )

    def session_id(self, person: Person, when: datetime) -> str:
        key = (person.id, when.date())
        session = self._sessions.get(key)
        if session is None:
            session = self._sessions[key] = guid(person.id, "session", when.date().isoformat())
        return session

    def ip_for(self, person: Person, when: datetime) -> str:
        local = when + timedelta(hours=person.place.utc_offset)
        at_office = local.weekday() < 5 and 8 <= local.hour < 18 and (self.rng.random() < 0.7)
        return self.rng.choice(self.office_ips) if at_office else person.home_ip

    # --- people and devices -------------------------------------------------------------------------

    def _make_people(self) -> None:
        spec, rng = self.spec, self.rng
        given_pool, surname_pool = NAMES[spec.country]
        places = PLACES[spec.country]
        seen: set[str] = set()
        admin_jobs = {
            0: ("IT", "IT Manager"),
            2: ("IT", "Service Desk Analyst"),
            3: ("IT", "Service Desk Analyst"),
            4: ("IT", "Endpoint Engineer"),
            5: ("IT", "Messaging Engineer"),
            6: ("IT", "Security Engineer"),
        }
        roles = {
            0: [GLOBAL_ADMIN],
            1: [GLOBAL_ADMIN],
            2: [AUTH_ADMIN],
            3: [AUTH_ADMIN, USER_ADMIN],
            4: [INTUNE_ADMIN],
            5: [EXCHANGE_ADMIN],
            6: [PRIVILEGED_AUTH_ADMIN, SECURITY_ADMIN] if spec.licence == "P2" else [PRIVILEGED_AUTH_ADMIN],
        }
        for index in range(spec.users):
            person_id = guid(spec.key, "user", index)
            created = spec.created + timedelta(days=rng.randrange(30, 1500), seconds=rng.randrange(86400))
            created = min(created, self.now - timedelta(days=60))
            place = places[0] if index < 7 else rng.choice(places)
            if index == 1:  # the break-glass account: cloud-only, never used
                self.people.append(
                    Person(
                        index=index,
                        id=person_id,
                        given=None,
                        surname=None,
                        display_name="Break Glass Admin 01",
                        upn=f"bg-admin01@{spec.initial_domain}",
                        mail=None,
                        job_title=None,
                        department=None,
                        place=place,
                        home_ip=self.office_ips[0],
                        created=spec.created + timedelta(days=1),
                        language=LANGUAGE[spec.country],
                        roles=list(roles[1]),
                        signs_in=False,
                    )
                )
                continue
            for attempt in itertools.count():
                given, surname = rng.choice(given_pool), rng.choice(surname_pool)
                nickname = mail_nickname(given, surname)
                if attempt >= 20:  # the name pools are exhausted in large tenants: number the namesakes
                    nickname = f"{nickname}{attempt - 18}"
                if nickname not in seen:
                    break
            seen.add(nickname)
            on_extra = spec.extra_domain is not None and index >= 7 and index % 3 == 0
            domain = spec.extra_domain if on_extra and spec.extra_domain else spec.domain
            federated = bool(spec.extra_federation_host) if on_extra else bool(spec.federation_host)
            department, job = admin_jobs.get(index) or rng.choice(JOBS)
            if rng.random() < 0.3:
                home_ip = (
                    f"2001:db8:{rng.randrange(0x1000, 0xFFFF):x}:{rng.randrange(0x1000, 0xFFFF):x}::"
                    f"{rng.randrange(1, 0xFFF):x}"
                )
            else:
                home_ip = f"{rng.choice(('198.51.100', '192.0.2'))}.{rng.randrange(2, 254)}"
            self.people.append(
                Person(
                    index=index,
                    id=person_id,
                    given=given,
                    surname=surname,
                    display_name=f"{given} {surname}",
                    upn=f"{nickname}@{domain}",
                    mail=f"{nickname}@{domain}",
                    job_title=job,
                    department=department,
                    place=place,
                    home_ip=home_ip,
                    created=created,
                    language=LANGUAGE[spec.country],
                    roles=list(roles.get(index, [])),
                    federated=federated,
                    activity=rng.choice((0.4, 0.8, 1.0, 1.2, 1.6)),
                )
            )

    def _make_devices(self) -> None:
        spec, rng = self.spec, self.rng
        holders = [p for p in self.people if p.signs_in]
        rng.shuffle(holders)
        holders.sort(key=lambda p: 0 if p.index < 7 else 1)  # admins always have a device
        windows_count = round(spec.devices * spec.windows_share)
        for n in range(spec.devices):
            if n < windows_count:
                owner = holders[n % len(holders)]
                self.add_windows_device(owner, n)
            else:
                owner = rng.choice(holders)
                self.add_mobile_device(owner, n)

    def _windows_build(self) -> tuple[str, str]:
        rng = self.rng
        build = rng.choices((WIN11_23H2, WIN11_24H2, WIN10_22H2), (45, 25, 30))[0]
        sku = rng.choices(("Enterprise", "Pro"), (75, 25))[0]
        return build, sku

    def add_windows_device(
        self,
        owner: Person,
        n: int,
        *,
        build: str | None = None,
        sku: str | None = None,
        join_type: str | None = None,
        label: str = "",
    ) -> Device:
        rng = self.rng
        default_build, default_sku = self._windows_build()
        build, sku = build or default_build, sku or default_sku
        join_type = join_type or (
            "hybridAzureADJoined" if rng.random() < self.spec.hybrid_share else "azureADJoined"
        )
        manufacturer, model, chassis = rng.choice(HARDWARE)
        co_managed = join_type == "hybridAzureADJoined" and rng.random() < 0.5
        enrolled = self.now - timedelta(days=rng.randrange(40, 900), seconds=rng.randrange(86400))
        device = Device(
            intune_id=guid(self.spec.key, "managedDevice", n),
            aad_id=guid(self.spec.key, "aadDevice", n),
            name=f"{self.prefix}-{'LT' if chassis == 'laptop' else 'WS'}-{1000 + n:04d}",
            owner=owner,
            platform="Windows",
            os_version=build,
            sku_family=sku,
            join_type=join_type,
            compliance=rng.choices(("compliant", "noncompliant", "inGracePeriod"), (93, 4, 3))[0],
            manufacturer=manufacturer,
            model=model,
            chassis=chassis,
            serial=f"{rng.choice('PFHCDJ')}{rng.randrange(10**7, 10**8)}",
            mac="".join(f"{rng.randrange(256):02X}" for _ in range(6)),
            imei="",
            eas_id="".join(f"{rng.randrange(256):02X}" for _ in range(16)),
            enrolled=enrolled,
            last_sync=self.now - timedelta(minutes=rng.randrange(20, 60 * 72), seconds=rng.randrange(60)),
            management_agent="configurationManagerClientMdm" if co_managed else "mdm",
            enrollment_type="windowsCoManagement"
            if co_managed
            else ("windowsAzureADJoin" if join_type == "azureADJoined" else "windowsAutoEnrollment"),
            label=label or windows_label(build, sku),
        )
        owner.devices.append(device)
        self.devices.append(device)
        return device

    def add_mobile_device(self, owner: Person, n: int) -> Device:
        rng = self.rng
        platform, manufacturer, model, version = rng.choice(MOBILE_HARDWARE)
        device = Device(
            intune_id=guid(self.spec.key, "managedDevice", n),
            aad_id=guid(self.spec.key, "aadDevice", n),
            name=f"{owner.given}'s iPhone" if platform == "iOS" else model,
            owner=owner,
            platform=platform,
            os_version=version,
            sku_family="",
            join_type="azureADRegistered",
            compliance=rng.choices(("compliant", "noncompliant"), (95, 5))[0],
            manufacturer=manufacturer,
            model=model,
            chassis="phone",
            serial=f"{rng.choice('FGHKLMN')}{rng.randrange(10**9, 10**10)}",
            mac="".join(f"{rng.randrange(256):02X}" for _ in range(6)),
            imei=f"35{rng.randrange(10**12, 10**13)}",
            eas_id="".join(f"{rng.randrange(256):02X}" for _ in range(16)),
            enrolled=self.now - timedelta(days=rng.randrange(30, 700), seconds=rng.randrange(86400)),
            last_sync=self.now - timedelta(minutes=rng.randrange(20, 60 * 48), seconds=rng.randrange(60)),
            management_agent="mdm",
            enrollment_type="appleUserEnrollment"
            if platform == "iOS"
            else "androidEnterpriseCorporateWorkProfile",
            label=f"{platform} {version}",
        )
        owner.devices.append(device)
        self.devices.append(device)
        return device

    # --- sign-ins -----------------------------------------------------------------------------------

    def _risk(self) -> Risk:
        if self.spec.licence == "P2":
            return Risk("none", "none")
        return Risk("hidden", "hidden", "none", "hidden")

    def _ca_item(self, policy_id: str, name: str, result: str, grants: list[str]) -> Json:
        return {
            "id": policy_id,
            "displayName": name,
            "enforcedGrantControls": grants,
            "enforcedSessionControls": [],
            "sessionControlsNotSatisfied": [],
            "result": result,
            "conditionsSatisfied": "application,users" if result in ("success", "failure") else "none",
            "conditionsNotSatisfied": "none",
            "includeRulesSatisfied": [],
            "excludeRulesSatisfied": [],
        }

    def _conditional_access(self, outcome: str, when: datetime, *, blockable: bool) -> tuple[str, list[Json]]:
        """outcome: 'success' (grant controls met), 'notApplied' (failed before CA) or 'failure' (blocked)."""
        if self.spec.licence == "Free":
            return "notApplied", []
        mfa = "notApplied" if outcome == "notApplied" else "success"
        items = [
            self._ca_item(
                self.ca_mfa,
                "CA001: Require multifactor authentication for all users",
                mfa,
                ["Mfa"] if mfa == "success" else [],
            )
        ]
        if self.ca_block and when >= self.ca_block[2]:
            blocked = outcome == "failure" and blockable
            items.append(
                self._ca_item(
                    self.ca_block[0],
                    self.ca_block[1],
                    "failure" if blocked else "notApplied",
                    ["Block"] if blocked else [],
                )
            )
        status = "failure" if outcome == "failure" else mfa
        return status, items

    @staticmethod
    def _step(
        when: datetime, method: str, detail: str | None, ok: bool, result: str, requirement: str
    ) -> Json:
        return {
            "authenticationStepDateTime": iso(when),
            "authenticationMethod": method,
            "authenticationMethodDetail": detail,
            "succeeded": ok,
            "authenticationStepResultDetail": result,
            "authenticationStepRequirement": requirement,
        }

    def auth_password_mfa(
        self, person: Person, when: datetime, *, password_ok: bool = True, mfa: bool = True
    ) -> list[Json]:
        detail = (
            "Password Hash Sync"
            if person.federated is False and self.spec.hybrid_share > 0.3
            else ("Federated" if person.federated else "Password in the cloud")
        )
        if not password_ok:
            return [
                self._step(
                    when,
                    "Password",
                    detail,
                    False,
                    "Invalid username or password or Invalid on-premise username or password.",
                    "Primary authentication",
                )
            ]
        steps = [self._step(when, "Password", detail, True, "Correct password", "Primary authentication")]
        if mfa:
            steps.append(
                self._step(
                    when + timedelta(seconds=self.rng.randrange(6, 25)),
                    "Mobile app notification",
                    None,
                    True,
                    "MFA successfully completed",
                    "MFA",
                )
            )
        return steps

    def auth_previously_satisfied(self, when: datetime) -> list[Json]:
        return [
            self._step(
                when,
                "Previously satisfied",
                None,
                True,
                "First factor requirement satisfied by claim in the token",
                "Primary authentication",
            ),
            self._step(
                when,
                "Previously satisfied",
                None,
                True,
                "MFA requirement satisfied by claim in the token",
                "MFA",
            ),
        ]

    def auth_windows_hello(self, when: datetime) -> list[Json]:
        return [
            self._step(
                when,
                "Windows Hello for Business",
                None,
                True,
                "First factor requirement satisfied by Windows Hello for Business",
                "Primary authentication",
            )
        ]

    def auth_tap(self, when: datetime, *, ok: bool = True) -> list[Json]:
        return [
            self._step(
                when,
                "Temporary Access Pass",
                None,
                ok,
                "Correct Temporary Access Pass" if ok else "Invalid Temporary Access Pass",
                "Primary authentication",
            )
        ]

    def device_detail(self, device: Device | None, *, browser: str) -> Json:
        if device is None:
            return {
                "deviceId": "",
                "displayName": "",
                "operatingSystem": "Windows10",
                "browser": browser,
                "isCompliant": False,
                "isManaged": False,
                "trustType": "",
            }
        if device.platform == "Windows":
            operating_system = "Windows10"
        else:
            operating_system = f"{'Ios' if device.platform == 'iOS' else 'Android'} {device.os_version}"
        return {
            "deviceId": device.aad_id,
            "displayName": device.name,
            "operatingSystem": operating_system,
            "browser": browser,
            "isCompliant": device.is_compliant,
            "isManaged": True,
            "trustType": device.trust_type,
        }

    @staticmethod
    def location(place: Place) -> Json:
        return {
            "city": place.city,
            "state": place.state,
            "countryOrRegion": place.country,
            "geoCoordinates": {"altitude": None, "latitude": place.latitude, "longitude": place.longitude},
        }

    def signin(
        self,
        *,
        person: Person,
        when: datetime,
        client: App,
        resource: App,
        interactive: bool,
        code: int,
        client_app: str,
        user_agent: str,
        device: Device | None,
        browser: str,
        auth: list[Json],
        requirement: str = "multiFactorAuthentication",
        place: Place | None = None,
        ip: str | None = None,
        correlation: str | None = None,
        risk: Risk | None = None,
        ca: str | None = None,
        blockable: bool = False,
        incoming: str = "none",
        pin_reset: bool = False,
        tap: bool = False,
    ) -> Json:
        """One beta signIn, with every property a user sign-in carries, in the docs' key order."""
        rng = self.rng
        signin_id = self.next_id("signIn")
        place = place or person.place
        ip = ip or self.ip_for(person, when)
        risk = risk or self._risk()
        if ca is None:
            ca = (
                "notApplied"
                if code in _APP_LEVEL_ERRORS or code == 50126
                else ("failure" if code == 53003 else "success")
            )
        ca_status, ca_items = self._conditional_access(ca, when, blockable=blockable)
        federated_password = (
            person.federated and interactive and any(s["authenticationMethod"] == "Password" for s in auth)
        )
        resource_sp = self.sp_ids.get(resource.app_id, "")
        if self.pin_apps.get(resource.app_id) == "missing":
            resource_sp = ""
        item: Json = {
            "id": signin_id,
            "createdDateTime": iso(when),
            "userDisplayName": person.display_name,
            "userPrincipalName": person.upn.lower(),
            "userId": person.id,
            "appId": client.app_id,
            "appDisplayName": client.name,
            "ipAddress": ip,
            "ipAddressFromResourceProvider": None,
            "clientAppUsed": client_app,
            "userAgent": user_agent,
            "correlationId": correlation or guid(signin_id, "correlation"),
            "conditionalAccessStatus": ca_status,
            "originalRequestId": signin_id,
            "authenticationProtocol": "none",
            "incomingTokenType": incoming,
            "isInteractive": interactive,
            "isTenantRestricted": False,
            "isThroughGlobalSecureAccess": False,
            "globalSecureAccessIpAddress": None,
            "homeTenantId": self.tenant_id,
            "homeTenantName": "",
            "tokenIssuerName": (
                f"http://{self.spec.federation_host or self.spec.extra_federation_host}/adfs/services/trust/"
            )
            if federated_password
            else "",
            "tokenIssuerType": "ADFederationServices" if federated_password else "AzureAD",
            "processingTimeInMilliseconds": rng.randrange(40, 420),
            "riskDetail": risk.detail,
            "riskLevelAggregated": risk.aggregated,
            "riskLevelDuringSignIn": risk.during,
            "riskState": risk.state,
            "riskEventTypes_v2": list(risk.events),
            "resourceDisplayName": resource.name,
            "resourceId": resource.app_id,
            "resourceServicePrincipalId": resource_sp,
            "resourceTenantId": self.tenant_id,
            "azureResourceId": None,
            "authenticationMethodsUsed": [],
            "authenticationRequirement": requirement,
            "clientCredentialType": "none",
            "conditionalAccessAudiences": [],
            "federatedCredentialId": None,
            "uniqueTokenIdentifier": _token_id(signin_id),
            "signInIdentifier": person.upn.lower() if interactive else "",
            "signInIdentifierType": "userPrincipalName" if interactive else None,
            "signInEventTypes": ["interactiveUser" if interactive else "nonInteractiveUser"],
            "servicePrincipalId": "",
            "servicePrincipalName": None,
            "servicePrincipalCredentialKeyId": None,
            "servicePrincipalCredentialThumbprint": "",
            "sessionId": self.session_id(person, when),
            "userType": "member",
            "flaggedForReview": False,
            "autonomousSystemNumber": 8075 if ip in self.office_ips else 3320 + (hash_ip(ip) % 400),
            "crossTenantAccessType": "none",
            "originalTransferMethod": "none",
            "signInTokenProtectionStatus": "none",
            "appTokenProtectionStatus": "none",
            "status": status_for(
                code, app_id=client.app_id, resource_id=resource.app_id, tenant_name=self.tenant_name
            ),
            "deviceDetail": self.device_detail(device, browser=browser),
            "location": self.location(place),
            "mfaDetail": {"authMethod": None, "authDetail": None},
            "appliedConditionalAccessPolicies": ca_items,
            "appliedEventListeners": [],
            "authenticationAppDeviceDetails": None,
            "authenticationAppPolicyEvaluationDetails": [],
            "authenticationContextClassReferences": [],
            "authenticationProcessingDetails": [],
            "networkLocationDetails": (
                [{"networkType": "namedNetwork", "networkNames": ["Corporate offices"]}]
                if ip in self.office_ips
                else []
            ),
            "authenticationDetails": auth,
            "authenticationRequirementPolicies": [],
            "sessionLifetimePolicies": [],
            "managedServiceIdentity": {
                "msiType": "none",
                "associatedResourceId": None,
                "federatedTokenId": None,
                "federatedTokenIssuer": None,
            },
            "privateLinkDetails": {"policyId": "", "policyName": "", "resourceId": "", "policyTenantId": ""},
        }
        if self.compact_signins:
            # Large load tenants keep each sign-in as its JSON line only: a dict per sign-in costs gigabytes.
            self.signins.append(SerializedSignIn(item["createdDateTime"], signin_id, _compact(item)))
        else:
            self.signins.append(item)
        if pin_reset:
            self.pin_reset_signins += 1
        if tap:
            self.tap_signins += 1
        return item

    def noise_signin(self, person: Person, app: NoiseApp, when: datetime) -> Json:
        rng = self.rng
        interactive = rng.random() < app.interactive_share
        if app.platform == "mobile":
            device = person.mobile_device
            ua = IOS_UA if device is not None and device.platform == "iOS" else ANDROID_UA
            browser, client_app = (
                "Mobile Safari" if device and device.platform == "iOS" else "Chrome Mobile",
                "Mobile Apps and Desktop clients",
            )
        elif app.platform == "browser":
            device, ua, browser, client_app = person.windows_device, EDGE_UA, "Edge 131.0.0", "Browser"
        else:
            device, browser, client_app = (
                person.windows_device,
                "Rich Client 5.2.6.0",
                "Mobile Apps and Desktop clients",
            )
            ua = (
                BROKER_UA
                if app.client.name == "Windows Sign In"
                else ("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)")
            )
        if interactive:
            code = rng.choice(_NOISE_INTERACTIVE_FAILURES) if rng.random() < 0.05 else 0
            if app.client.name == "Windows Sign In":
                code = 0
                auth = self.auth_windows_hello(when)
                incoming = "none"
            elif code == 50126:
                auth = self.auth_password_mfa(person, when, password_ok=False)
                incoming = "none"
            elif device is not None and app.platform == "browser" and rng.random() < 0.6:
                auth = self.auth_previously_satisfied(when)
                incoming = "primaryRefreshToken"
            else:
                auth = self.auth_password_mfa(person, when, mfa=code not in (50074, 50140))
                incoming = "none"
        else:
            code = rng.choice(_NOISE_BACKGROUND_FAILURES) if rng.random() < 0.015 else 0
            auth = self.auth_previously_satisfied(when) if code == 0 else []
            incoming = (
                "primaryRefreshToken"
                if device is not None and device.platform == "Windows"
                else "refreshToken"
            )
        return self.signin(
            person=person,
            when=when,
            client=app.client,
            resource=app.resource,
            interactive=interactive,
            code=code,
            client_app=client_app,
            user_agent=ua,
            device=device,
            browser=browser,
            auth=auth,
            requirement="multiFactorAuthentication" if code == 0 else "singleFactorAuthentication",
            incoming=incoming,
            ca="notApplied" if code in (50126, 50173, 50089) else "success",
        )

    def add_noise_signins(self, count: int, *, earliest: datetime | None = None) -> None:
        """Everyday sign-ins (Office, Teams, Windows, portals) spread over the window."""
        rng = self.rng
        people = [p for p in self.people if p.signs_in]
        weights = list(itertools.accumulate(p.activity for p in people))
        app_weights = list(itertools.accumulate(a.weight for a in NOISE_APPS))
        fallback = NOISE_APPS[0]
        for _ in range(count):
            person = rng.choices(people, cum_weights=weights)[0]
            app = rng.choices(NOISE_APPS, cum_weights=app_weights)[0]
            if (app.admin_only and not person.roles) or (
                app.platform == "mobile" and person.mobile_device is None
            ):
                app = fallback
            self.noise_signin(person, app, self.work_time(person.place, earliest=earliest))

    def ensure_history(self, person: Person, before: datetime, count: int = 3) -> None:
        """Sign-ins of a user from home before `before`: the baseline a TAP sign-in is compared with."""
        for _ in range(count):
            when = self.work_time(person.place, latest=before - timedelta(hours=2))
            self.noise_signin(person, NOISE_APPS[0], when)

    # --- PIN reset ------------------------------------------------------------------------------------

    def pin_reset_attempt(
        self,
        person: Person,
        when: datetime,
        *,
        service_code: int = 0,
        client_code: int = 0,
        with_tap: bool = False,
        user_failure: int | None = None,
        client: bool = True,
        risk: Risk | None = None,
        place: Place | None = None,
        ip: str | None = None,
    ) -> int:
        """One 'I forgot my PIN' on the user's Windows device: returns how many of its sign-ins failed.

        (a) the user's interactive sign-in to Microsoft Pin Reset Service Production, then (b) the Windows
        broker's sign-in as Microsoft Pin Reset Client Production to the Service as resource.
        """
        device = person.windows_device
        if device is None:
            raise ValueError(f"{person.upn} has no Windows device to reset a PIN on")
        rng = self.rng
        correlation = self.next_id("pinResetCorrelation")
        ip = ip or self.ip_for(person, when)
        build = device.os_version.split(".")[2]
        ua = WEBVIEW_UA.format(build=build)
        service = App(PIN_RESET_SERVICE, PIN_RESET_SERVICE_NAME)
        failures = 0
        if user_failure is not None:
            auth = self.auth_password_mfa(person, when, password_ok=user_failure != 50126, mfa=False)
            self.signin(
                person=person,
                when=when,
                client=service,
                resource=_AAD,
                interactive=True,
                code=user_failure,
                client_app="Mobile Apps and Desktop clients",
                user_agent=ua,
                device=device,
                browser="IE 7.0",
                auth=auth,
                requirement="singleFactorAuthentication",
                place=place,
                ip=ip,
                correlation=correlation,
                risk=risk,
                pin_reset=True,
            )
            failures += 1
            when = when + timedelta(seconds=rng.randrange(40, 150))
        if service_code in _APP_LEVEL_ERRORS:
            auth = []
        elif with_tap:
            auth = self.auth_tap(when)
        elif service_code in (50126, 50076, 50079):
            auth = self.auth_password_mfa(person, when, password_ok=service_code != 50126, mfa=False)
        else:
            auth = self.auth_password_mfa(person, when)
        self.signin(
            person=person,
            when=when,
            client=service,
            resource=_AAD,
            interactive=True,
            code=service_code,
            client_app="Mobile Apps and Desktop clients",
            user_agent=ua,
            device=device,
            browser="IE 7.0",
            auth=auth,
            place=place,
            ip=ip,
            correlation=correlation,
            risk=risk,
            blockable=True,
            pin_reset=True,
            tap=with_tap,
        )
        failures += service_code != 0
        if client:
            later = when + timedelta(seconds=rng.randrange(4, 40))
            auth = [] if client_code in _APP_LEVEL_ERRORS else self.auth_previously_satisfied(later)
            self.signin(
                person=person,
                when=min(later, self.latest),
                client=App(PIN_RESET_CLIENT, PIN_RESET_CLIENT_NAME),
                resource=service,
                interactive=False,
                code=client_code,
                client_app="Mobile Apps and Desktop clients",
                user_agent=BROKER_UA,
                device=device,
                browser="",
                auth=auth,
                place=place,
                ip=ip,
                correlation=correlation,
                risk=risk,
                blockable=True,
                incoming="primaryRefreshToken",
                pin_reset=True,
            )
            failures += client_code != 0
        return failures

    def resetters(self) -> list[Person]:
        return [p for p in self.people if p.signs_in and p.windows_device is not None]

    def add_pin_resets(
        self,
        *,
        per_day: float,
        outcome: Callable[[datetime], tuple[int, int]] | None = None,
        user_failure_rate: float = 0.03,
        earliest: datetime | None = None,
        latest: datetime | None = None,
        recent: int = 0,
        retry_rate: float = 0.4,
        quiet_hours: int = 12,
        user_failures: Sequence[int] = _USER_SIDE_FAILURES,
    ) -> int:
        """PIN reset attempts over the window; `outcome(when)` gives the (Service, Client) error codes.

        `recent` extra attempts fall in the last 24 hours. Users hit by an app-level error retry now and
        then. User-side failures (wrong password, MFA interrupts) stay out of the last `quiet_hours`, so a
        healthy tenant shows no burst of failures at scan time. Returns the number of failed sign-ins.
        """
        rng = self.rng
        earliest = earliest or self.earliest
        latest = min(latest or self.latest, self.latest)
        days = max(1.0, (latest - earliest).total_seconds() / 86400)
        people = self.resetters()
        moments = [
            self.work_time(p.place, earliest=earliest, latest=latest)
            for p in rng.choices(people, k=round(per_day * days))
        ]
        moments += [
            self.work_time(
                people[0].place,
                earliest=max(earliest, self.now - timedelta(hours=24)),
                latest=latest,
                weekends=1.0,
            )
            for _ in range(recent)
        ]
        failures = 0
        quiet_from = self.now - timedelta(hours=quiet_hours)
        for when in sorted(moments):
            person = rng.choice(people)
            service_code, client_code = outcome(when) if outcome else (0, 0)
            user_failure = None
            if when < quiet_from and rng.random() < user_failure_rate and service_code == 0:
                user_failure = rng.choice(list(user_failures))
            failures += self.pin_reset_attempt(
                person, when, service_code=service_code, client_code=client_code, user_failure=user_failure
            )
            if (service_code or client_code) and rng.random() < retry_rate:
                again = when + timedelta(seconds=rng.randrange(60, 400))
                if again <= self.latest:
                    codes = outcome(again) if outcome else (0, 0)
                    failures += self.pin_reset_attempt(
                        person, again, service_code=codes[0], client_code=codes[1]
                    )
        return failures

    # --- TAP ------------------------------------------------------------------------------------------

    def issue_tap(
        self,
        user: Person,
        issuer: Person,
        issued: datetime,
        *,
        lifetime: int | None = None,
        usable_once: bool | None = None,
        deleted_after: timedelta | None = None,
    ) -> TapIssuance:
        """An admin creates a Temporary Access Pass: audited as 'Admin registered security info'."""
        policy = self.tap_policy
        tap = TapIssuance(
            user=user,
            issuer=issuer,
            issued=issued,
            lifetime=lifetime or int(policy["defaultLifetimeInMinutes"]),
            usable_once=bool(policy["isUsableOnce"]) if usable_once is None else usable_once,
            method_id=guid(self.spec.key, "tapMethod", user.id, iso(issued)),
        )
        self.audit(
            issued,
            category="UserManagement",
            activity="Admin registered security info",
            service="Authentication Methods",
            operation="Add",
            reason="Admin registered temporary access pass method for user",
            by_user=issuer,
            targets=[audit_target(user.id, type_="User", upn=user.upn)],
        )
        if deleted_after is not None and issued + deleted_after < self.latest:
            jitter = timedelta(seconds=self.rng.randrange(60), microseconds=self.rng.randrange(1_000_000))
            tap.deleted = issued + deleted_after + jitter
            self.audit(
                tap.deleted,
                category="UserManagement",
                activity="Admin deleted security info",
                service="Authentication Methods",
                operation="Delete",
                reason="Admin deleted temporary access pass method for user",
                by_user=issuer,
                targets=[audit_target(user.id, type_="User", upn=user.upn)],
            )
        self.taps.append(tap)
        if user.id not in self.notes.setdefault("tap_user_ids", []):
            self.notes["tap_user_ids"].append(user.id)
        return tap

    def tap_signin(
        self,
        tap: TapIssuance,
        when: datetime,
        *,
        client: App | None = None,
        ok: bool = True,
        place: Place | None = None,
        ip: str | None = None,
        risk: Risk | None = None,
        managed: bool = True,
    ) -> Json:
        """A browser sign-in with the pass (My Signins to register a method, or a portal)."""
        person = tap.user
        device = person.windows_device if managed else None
        client = client or App(MY_SIGNINS, "My Signins")
        resource = (
            App(AZURE_MGMT_API, "Windows Azure Service Management API")
            if client.app_id == AZURE_PORTAL
            else _GRAPH
        )
        tap.uses.append(when)
        return self.signin(
            person=person,
            when=when,
            client=client,
            resource=resource,
            interactive=True,
            code=0 if ok else 50126,
            client_app="Browser",
            user_agent=EDGE_UA,
            device=device,
            browser="Edge 131.0.0",
            auth=self.auth_tap(when, ok=ok),
            requirement="multiFactorAuthentication" if ok else "singleFactorAuthentication",
            place=place,
            ip=ip,
            risk=risk,
            ca="success" if ok else "notApplied",
            tap=True,
        )

    def tap_registration(self, tap: TapIssuance, *, pin_reset: bool = False) -> None:
        """The ordinary use of a pass: sign in to My Sign-ins and register the Authenticator, or (pin_reset)
        use it to satisfy MFA in 'I forgot my PIN' on the Windows device (seed 000). A one-time pass is
        used once, so it is one or the other."""
        rng = self.rng
        person = tap.user
        self.ensure_history(person, tap.issued)
        when = tap.issued + timedelta(minutes=rng.randrange(4, 25), seconds=rng.randrange(60))
        if pin_reset:
            self.pin_reset_attempt(person, when, with_tap=True)
            tap.uses.append(when)
            return
        self.tap_signin(tap, when)
        self.audit(
            when + timedelta(minutes=2, seconds=rng.randrange(60)),
            category="UserManagement",
            activity="User registered security info",
            service="Authentication Methods",
            operation="Add",
            reason="User registered Authenticator App with Notification and Code",
            by_user=person,
            targets=[audit_target(person.id, type_="User", upn=person.upn)],
        )

    def tap_method_documents(self) -> dict[str, Json]:
        """users/<id>/authentication/temporaryAccessPassMethods for users who still hold a pass."""
        documents: dict[str, Json] = {}
        latest: dict[str, TapIssuance] = {}
        for tap in sorted(self.taps, key=lambda t: t.issued):
            if tap.deleted is None:
                latest[tap.user.id] = tap
            else:
                latest.pop(tap.user.id, None)
        for user_id, tap in sorted(latest.items()):
            end = tap.issued + timedelta(minutes=tap.lifetime)
            if self.tap_policy["state"] != "enabled":
                usable, reason = False, "DisabledByPolicy"
            elif self.now >= end:
                usable, reason = False, "Expired"
            elif tap.usable_once and tap.uses:
                usable, reason = False, "OneTimeUsed"
            else:
                usable, reason = True, "EnabledByPolicy"
            method = tap_method_object(
                method_id=tap.method_id,
                created=tap.issued,
                lifetime=tap.lifetime,
                usable_once=tap.usable_once,
                usable=usable,
                reason=reason,
            )
            documents[f"v1.0/users/{user_id}/authentication/temporaryAccessPassMethods.json"] = {
                "value": [method]
            }
        return documents

    # --- directory audits -----------------------------------------------------------------------------

    def audit(
        self,
        when: datetime,
        *,
        category: str,
        activity: str,
        service: str,
        operation: str,
        reason: str,
        by_user: Person | None = None,
        by_app: Json | None = None,
        targets: Sequence[Json] = (),
        details: Sequence[tuple[str, str]] = (),
    ) -> Json:
        audit_id = self.next_id("audit")
        suffix = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
        item = directory_audit_object(
            audit_id=f"Directory_{audit_id}_{suffix}_{self.rng.randrange(10**8, 10**9)}",
            when=when,
            category=category,
            correlation_id=guid(audit_id, "correlation"),
            activity=activity,
            service=service,
            operation=operation,
            result_reason=reason,
            initiated_by_user=audit_user(
                by_user.id, by_user.display_name, by_user.upn, self.ip_for(by_user, when)
            )
            if by_user
            else None,
            initiated_by_app=by_app,
            targets=targets,
            details=details,
        )
        self.audits.append(item)
        return item

    def add_noise_audits(self, count: int, *, earliest: datetime | None = None) -> None:
        rng = self.rng
        people = [p for p in self.people if p.signs_in]
        admins = [p for p in people if p.roles]
        groups = [
            ("SG-Sales", "Sales"),
            ("SG-Finance", "Finance"),
            ("SG-All-Staff", "All Staff"),
            ("SG-Intune-Windows-Users", "Windows users"),
            ("M365-Project-Atlas", "Project Atlas"),
        ]
        for _ in range(count):
            kind = rng.choices(
                ("update", "member", "registered", "device", "password"), (30, 20, 20, 20, 10)
            )[0]
            user = rng.choice(people)
            admin = rng.choice(admins)
            when = self.work_time(admin.place, earliest=earliest, office=True)
            target_user = audit_target(user.id, type_="User", upn=user.upn)
            if kind == "update":
                target_user["modifiedProperties"] = [
                    {"displayName": "JobTitle", "oldValue": "[]", "newValue": f'["{user.job_title}"]'},
                    {
                        "displayName": "Included Updated Properties",
                        "oldValue": None,
                        "newValue": '"JobTitle"',
                    },
                ]
                self.audit(
                    when,
                    category="UserManagement",
                    activity="Update user",
                    service="Core Directory",
                    operation="Update",
                    reason="",
                    by_user=admin,
                    targets=[target_user],
                )
            elif kind == "member":
                name, _ = rng.choice(groups)
                group = audit_target(
                    guid(self.spec.key, "group", name),
                    type_="Group",
                    display_name=name,
                    group_type="azureAD",
                )
                self.audit(
                    when,
                    category="GroupManagement",
                    activity="Add member to group",
                    service="Core Directory",
                    operation="Assign",
                    reason="",
                    by_user=admin,
                    targets=[group, target_user],
                )
            elif kind == "registered":
                self.audit(
                    when,
                    category="UserManagement",
                    activity="User registered security info",
                    service="Authentication Methods",
                    operation="Add",
                    reason="User registered Authenticator App with Notification and Code",
                    by_user=user,
                    targets=[target_user],
                )
            elif kind == "device" and self.devices:
                device = rng.choice(self.devices)
                self.audit(
                    when,
                    category="Device",
                    activity="Update device",
                    service="Core Directory",
                    operation="Update",
                    reason="",
                    by_app=audit_app(
                        None,
                        "Device Registration Service",
                        self.sp_ids["01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9"],
                    ),
                    targets=[
                        audit_target(
                            device.aad_id,
                            type_="Device",
                            display_name=device.name,
                            modified=[("ApproximateLastLogonTimestamp", None, None)],
                        )
                    ],
                )
            else:
                self.audit(
                    when,
                    category="UserManagement",
                    activity="Reset user password",
                    service="Core Directory",
                    operation="Update",
                    reason="",
                    by_user=self.helpdesk,
                    targets=[target_user],
                )

    # --- Intune -----------------------------------------------------------------------------------------

    def policy_time(self, days_ago: int) -> tuple[datetime, datetime]:
        created = self.now - timedelta(
            days=days_ago,
            hours=self.rng.randrange(24),
            minutes=self.rng.randrange(60),
            microseconds=self.rng.randrange(1_000_000),
        )
        modified = created + (self.now - created) * self.rng.random() * 0.5
        return created, modified

    def group(self, name: str) -> str:
        return guid(self.spec.key, "group", name)

    def add_intune_noise(self) -> None:
        """Profiles every managed estate has and that have nothing to do with PIN reset."""
        windows = group_target(self.group("SG-Intune-Windows-Devices"))
        created, modified = self.policy_time(420)
        self.device_configurations.append(
            endpoint_protection_configuration(
                config_id=self.next_id("deviceConfiguration"),
                name="WIN - Endpoint protection - BitLocker",
                created=created,
                modified=modified,
                targets=[windows],
            )
        )
        created, modified = self.policy_time(380)
        self.device_configurations.append(
            wifi_configuration(
                config_id=self.next_id("deviceConfiguration"),
                name="WIN - Wi-Fi - Corporate",
                ssid=f"{self.prefix}-CORP",
                created=created,
                modified=modified,
                targets=[all_devices_target()],
            )
        )
        created, modified = self.policy_time(300)
        self.device_configurations.append(
            update_ring_configuration(
                config_id=self.next_id("deviceConfiguration"),
                name="WIN - Update ring - Broad",
                created=created,
                modified=modified,
                targets=[windows, group_target(self.group("SG-Update-Pilot"), exclude=True)],
            )
        )
        created, modified = self.policy_time(200)
        self.device_configurations.append(
            custom_configuration(
                config_id=self.next_id("deviceConfiguration"),
                name="WIN - Start menu - hide Sleep",
                created=created,
                modified=modified,
                targets=[windows],
                settings=[
                    oma_setting(
                        "Integer",
                        name="HideSleep",
                        oma_uri="./Device/Vendor/MSFT/Policy/Config/Start/HideSleep",
                        value=1,
                    )
                ],
            )
        )
        created, modified = self.policy_time(260)
        self.configuration_policies.append(
            configuration_policy(
                policy_id=self.next_id("configurationPolicy"),
                name="WIN - Defender Antivirus - real-time protection",
                created=created,
                modified=modified,
                targets=[all_devices_target()],
                settings=[
                    choice_instance(
                        "device_vendor_msft_policy_config_defender_allowrealtimemonitoring",
                        "device_vendor_msft_policy_config_defender_allowrealtimemonitoring_1",
                    ),
                    choice_instance(
                        "device_vendor_msft_policy_config_defender_allowcloudprotection",
                        "device_vendor_msft_policy_config_defender_allowcloudprotection_1",
                    ),
                ],
            )
        )

    def recovery_identity_protection(
        self,
        *,
        enabled: bool = True,
        targets: Sequence[Json] | None = None,
        name: str = "WIN - Identity protection - Windows Hello for Business",
    ) -> Json:
        created, modified = self.policy_time(240)
        item = identity_protection_configuration(
            config_id=self.next_id("deviceConfiguration"),
            name=name,
            created=created,
            modified=modified,
            pin_recovery=enabled,
            targets=[group_target(self.group("SG-Intune-Windows-Devices"))] if targets is None else targets,
            description="Windows Hello for Business: TPM required, PIN 6+, biometrics allowed",
        )
        self.device_configurations.append(item)
        return item

    def whfb_settings(self, *, recovery: bool | None, template: bool = False) -> list[Json]:
        """PassportForWork children of the settings catalog group setting collection."""

        def ref(name: str) -> tuple[str, str] | None:
            return (guid("template", name, "instance"), guid("template", name, "value")) if template else None

        children = [
            passport_choice("usepassportforwork", True, template=ref("usepassportforwork")),
            passport_choice("requiresecuritydevice", True, template=ref("requiresecuritydevice")),
            integer_instance(f"{PASSPORT}_policies_pincomplexity_minimumpinlength", 6),
        ]
        if recovery is not None:
            children.append(passport_choice("enablepinrecovery", recovery, template=ref("enablepinrecovery")))
        return children

    def recovery_settings_catalog(
        self,
        *,
        nested: bool = True,
        targets: Sequence[Json] | None = None,
        name: str = "WIN - Windows Hello for Business - PIN recovery",
        recovery: bool = True,
    ) -> Json:
        created, modified = self.policy_time(150)
        if nested:
            settings = [group_collection_instance(PASSPORT, self.whfb_settings(recovery=recovery))]
        else:
            settings = [passport_choice("enablepinrecovery", recovery)]
        item = configuration_policy(
            policy_id=self.next_id("configurationPolicy"),
            name=name,
            created=created,
            modified=modified,
            settings=settings,
            targets=[group_target(self.group("SG-Intune-Windows-Devices"))] if targets is None else targets,
            description="Settings catalog: Windows Hello for Business > Enable Pin Recovery = true",
        )
        self.configuration_policies.append(item)
        return item

    def recovery_account_protection(self) -> Json:
        created, modified = self.policy_time(120)
        template_id = guid("template", "endpointSecurityAccountProtection") + "_1"
        settings = [
            group_collection_instance(
                PASSPORT,
                self.whfb_settings(recovery=True, template=True),
                template=guid("template", "passportforwork", "group"),
            )
        ]
        item = configuration_policy(
            policy_id=self.next_id("configurationPolicy"),
            name="ES - Account protection - Windows Hello",
            created=created,
            modified=modified,
            settings=settings,
            targets=[group_target(self.group("SG-Intune-Windows-Devices"))],
            template={
                "templateId": template_id,
                "templateFamily": "endpointSecurityAccountProtection",
                "templateDisplayName": "Account Protection",
                "templateDisplayVersion": "Version 1",
            },
        )
        self.configuration_policies.append(item)
        return item

    def recovery_oma(
        self,
        *,
        name: str = "WIN - Custom - PIN recovery",
        oma_uri: str | None = None,
        kind: str = "Boolean",
        value: Any = True,
        targets: Sequence[Json] | None = None,
        days_ago: int = 90,
    ) -> Json:
        created, modified = self.policy_time(days_ago)
        oma_uri = (
            oma_uri
            or f"./Device/Vendor/MSFT/Policy/PassportForWork/{self.tenant_id}/Policies/EnablePinRecovery"
        )
        item = custom_configuration(
            config_id=self.next_id("deviceConfiguration"),
            name=name,
            created=created,
            modified=modified,
            targets=[all_devices_target()] if targets is None else targets,
            settings=[
                oma_setting(
                    kind,
                    name="EnablePinRecovery",
                    oma_uri=oma_uri,
                    value=value,
                    description="Windows Hello for Business: allow non-destructive PIN reset",
                )
            ],
        )
        self.device_configurations.append(item)
        return item

    def web_signin_urls(self, hosts: str) -> Json:
        created, modified = self.policy_time(60)
        item = custom_configuration(
            config_id=self.next_id("deviceConfiguration"),
            name="WIN - Custom - Web sign-in allowed URLs",
            created=created,
            modified=modified,
            targets=[all_devices_target()],
            description="Federated sign-in pages that may load during PIN reset (seed 001)",
            settings=[
                oma_setting(
                    "String",
                    name="ConfigureWebSignInAllowedUrls",
                    oma_uri=WEB_SIGNIN_URLS_URI,
                    value=hosts,
                    encrypted=True,
                    secret_id=guid(self.spec.key, "secret", hosts),
                )
            ],
        )
        self.device_configurations.append(item)
        return item

    # --- assembling the snapshot ----------------------------------------------------------------------

    def domains(self) -> list[Json]:
        spec = self.spec
        items = [domain_object(spec.domain, default=True, federated=bool(spec.federation_host))]
        if spec.extra_domain:
            items.append(domain_object(spec.extra_domain, federated=bool(spec.extra_federation_host)))
        items.append(domain_object(spec.initial_domain, initial=True))
        return items

    def service_principals(self) -> list[Json]:
        items = []
        for app in FIRST_PARTY_APPS:
            if app.app_id in INTUNE_APPS and not self.spec.devices:
                continue
            created = self.spec.created + timedelta(days=1 + FIRST_PARTY_APPS.index(app) % 5, minutes=7)
            items.append(
                service_principal_object(object_id=self.sp_ids[app.app_id], app=app, created=created)
            )
        for app_id, name in (
            (PIN_RESET_SERVICE, PIN_RESET_SERVICE_NAME),
            (PIN_RESET_CLIENT, PIN_RESET_CLIENT_NAME),
        ):
            state = self.pin_apps[app_id]
            if state == "missing":
                continue
            consented = self.notes.get("pin_apps_consented", self.now - timedelta(days=410))
            items.append(
                service_principal_object(
                    object_id=self.sp_ids[app_id],
                    app=App(app_id, name),
                    created=consented,
                    enabled=state == "enabled",
                )
            )
        return items

    def build(self, expectations: Expectations) -> GeneratedTenant:
        spec = self.spec
        place = PLACES[spec.country][0]
        domains = self.domains()
        roles = [role_assignment_object(role, p.id) for p in self.people for role in p.roles]
        documents: dict[str, Any] = {
            "v1.0/organization.json": {
                "value": [
                    organization_object(
                        tenant_id=self.tenant_id,
                        display_name=spec.display_name,
                        created=spec.created,
                        place=place,
                        street=spec.street,
                        postal_code=spec.postal_code,
                        domains=domains,
                        plans=PLANS[spec.licence],
                        tech_contact=self.people[0].upn,
                    )
                ]
            },
            "v1.0/domains.json": {"value": domains},
            "v1.0/servicePrincipals.json": {"value": self.service_principals()},
            "v1.0/users.json": {"value": [user_object(p) for p in self.people]},
            "v1.0/roleManagement/directory/roleAssignments.json": {"value": roles},
            TAP_POLICY_PATH: self.tap_policy,
            AUDITS_PATH: {
                "value": sorted(self.audits, key=lambda a: (a["activityDateTime"], a["id"]), reverse=True)
            },
        }
        if spec.licence != "Free":
            if self.compact_signins:
                documents[SIGNINS_PATH] = SerializedSignIns(sorted(self.signins, reverse=True))
            else:
                ordered = sorted(self.signins, key=lambda s: (s["createdDateTime"], s["id"]), reverse=True)
                documents[SIGNINS_PATH] = {"value": ordered}
        if spec.devices:
            documents["beta/deviceManagement/managedDevices.json"] = {
                "value": [managed_device_object(d, spec.domain) for d in self.devices]
            }
            documents["beta/deviceManagement/deviceConfigurations.json"] = {
                "value": self.device_configurations
            }
            documents["beta/deviceManagement/configurationPolicies.json"] = {
                "value": self.configuration_policies
            }
        documents |= self.tap_method_documents()
        if self.simulator_responses:
            documents["_simulator.json"] = {"responses": self.simulator_responses}
        description = TenantDescription(
            name=spec.name,
            tenant_id=self.tenant_id,
            display_name=spec.display_name,
            story=spec.story,
            domains=[d["id"] for d in domains],
            users=len(self.people),
            signins=len(self.signins) if spec.licence != "Free" else 0,
            pin_reset_signins=self.pin_reset_signins,
            tap_signins=self.tap_signins,
            devices=len(self.devices),
            tap_user_ids=list(self.notes.get("tap_user_ids", [])),
            expectations=expectations,
            notes={k: v for k, v in self.notes.items() if k not in ("tap_user_ids", "pin_apps_consented")},
            labels=self.labels(),
        )
        return GeneratedTenant(description, documents)

    def labels(self) -> dict[str, str]:
        labels = {
            TAP_POLICY_ID: "the Temporary Access Pass authentication method policy",
            self.tenant_id: f"tenant {self.spec.display_name}",
            PIN_RESET_SERVICE: PIN_RESET_SERVICE_NAME,
            PIN_RESET_CLIENT: PIN_RESET_CLIENT_NAME,
        }
        labels |= {p.id: p.upn for p in self.people}
        labels |= {d.intune_id: f"{d.name}, {d.label}" for d in self.devices}
        labels |= {c["id"]: c["displayName"] for c in self.device_configurations}
        labels |= {c["id"]: c["name"] for c in self.configuration_policies}
        return labels


@functools.lru_cache(maxsize=65536)
def hash_ip(ip: str) -> int:
    """A stable small number from an IP address (for its autonomous system number)."""
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(ip))


def windows_label(build: str, sku: str) -> str:
    number = int(build.split(".")[2])
    names = {
        14393: "Windows 10 1607",
        15063: "Windows 10 1703",
        16299: "Windows 10 1709",
        17134: "Windows 10 1803",
        17763: "Windows 10 1809",
        18362: "Windows 10 1903",
        18363: "Windows 10 1909",
        19045: "Windows 10 22H2",
        22631: "Windows 11 23H2",
        26100: "Windows 11 24H2",
    }
    edition = {"Core": "Home"}.get(sku, sku)
    return f"{names.get(number, f'Windows build {number}')} {edition}"


def user_object(person: Person) -> Json:
    """user (v1.0): the default properties of GET /users, then the few the monitor $selects."""
    return {
        "businessPhones": [],
        "displayName": person.display_name,
        "givenName": person.given,
        "jobTitle": person.job_title,
        "mail": person.mail,
        "mobilePhone": None,
        "officeLocation": person.place.city if person.signs_in else None,
        "preferredLanguage": person.language if person.signs_in else None,
        "surname": person.surname,
        "userPrincipalName": person.upn,
        "id": person.id,
        "accountEnabled": True,
        "usageLocation": person.place.country,
        "userType": "Member",
        "createdDateTime": iso(person.created),
        "department": person.department,
    }


# ---------------------------------------------------------------------------------------------------
# The bundled tenants: one story each (README.md in examples/tenants says what each must trigger)
# ---------------------------------------------------------------------------------------------------

SERVICE_APP: Final = App(PIN_RESET_SERVICE, PIN_RESET_SERVICE_NAME)
CLIENT_APP: Final = App(PIN_RESET_CLIENT, PIN_RESET_CLIENT_NAME)


def _everyday(b: TenantBuilder) -> None:
    """What every tenant has: everyday sign-ins and audits, and Intune profiles unrelated to PIN reset."""
    b.add_noise_signins(b.spec.noise_signins)
    b.add_noise_audits(b.spec.noise_audits)
    if b.spec.devices:
        b.add_intune_noise()


def _routine_taps(
    b: TenantBuilder,
    days_ago: Sequence[int],
    *,
    pin_reset_with_tap: bool = True,
    exclude: Iterable[Person] = (),
) -> list[TapIssuance]:
    """The helpdesk gives a few ordinary users a pass to re-register their Authenticator; one of them also
    resets the Windows Hello PIN with it (seed 000)."""
    rng = b.rng
    excluded = {p.id for p in exclude}
    candidates = [
        p for p in b.ordinary if p.id not in excluded and p.id not in b.notes.get("tap_user_ids", [])
    ]
    taps = []
    for n, (user, days) in enumerate(zip(rng.sample(candidates, len(days_ago)), days_ago, strict=True)):
        day_end = b.now - timedelta(days=days)
        issued = b.work_time(
            b.helpdesk.place, earliest=day_end - timedelta(days=1), latest=day_end, office=True
        )
        deleted = timedelta(hours=rng.randrange(3, 30), minutes=rng.randrange(60)) if n % 2 == 0 else None
        tap = b.issue_tap(user, b.helpdesk, issued, deleted_after=deleted)
        b.tap_registration(tap, pin_reset=pin_reset_with_tap and n == 0)
        taps.append(tap)
    return taps


def _subjects(people: Iterable[Person]) -> list[str]:
    return [p.id for p in people]


def healthy() -> GeneratedTenant:
    spec = TenantSpec(
        name="healthy",
        display_name="Contoso Ltd",
        story=(
            "Everything right: both PIN reset apps consented and enabled, PIN recovery enabled by an "
            "assigned Identity protection profile, supported Windows builds only, TAP policy strict and "
            "passes issued to ordinary users."
        ),
        domain="contoso.com",
        initial_domain="contosoltd.onmicrosoft.com",
        country="US",
        users=120,
        devices=90,
        created=datetime(2019, 3, 14, 16, 2, 11, tzinfo=UTC),
        street="1 Microsoft Way",
        postal_code="98052",
        pin_resets_per_day=5,
        noise_signins=450,
    )
    b = TenantBuilder(spec)
    _everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    _routine_taps(b, (22, 13, 5))
    b.recovery_identity_protection()
    return b.build(Expectations())


# The fixed twin: an admin re-consented the Service app this long before the snapshot time, so the last
# consent failure is outside the monitor's 24-hour consent-error window.
CONSENT_RESTORED_AGO: Final = timedelta(hours=25, minutes=17)


def consent_missing() -> GeneratedTenant:
    return _northwind(fixed=False)


def consent_missing_fixed() -> GeneratedTenant:
    return _northwind(fixed=True)


def _northwind(*, fixed: bool) -> GeneratedTenant:
    """consent-missing, and its fixed twin: the same tenant, people, devices and history (same IDs and
    random draws) up to the moment an admin restored the Service app's consent."""
    spec = TenantSpec(
        name="consent-missing-fixed" if fixed else "consent-missing",
        display_name="Northwind Traders",
        story=(
            "The fixed twin of consent-missing (same tenant, users, devices and history): 8 days after the "
            "Microsoft Pin Reset Service Production service principal was deleted, an admin opened the "
            "admin-consent link again (25 hours before the snapshot time); every PIN reset since succeeds."
            if fixed
            else "An admin tidying up 'unused' enterprise apps deleted the Microsoft Pin Reset Service "
            "Production service principal 9 days ago; every PIN reset since fails (700016 for the "
            "Service, 500011 and 65001 for the Client's sign-ins to it) while the Client app is still "
            "present and enabled."
        ),
        domain="northwindtraders.com",
        initial_domain="northwindtraders.onmicrosoft.com",
        country="DE",
        users=90,
        devices=70,
        created=datetime(2020, 6, 2, 8, 41, 53, tzinfo=UTC),
        street="Friedrichstraße 68",
        postal_code="10117",
        pin_resets_per_day=4,
        noise_signins=300,
        twin_of="consent-missing" if fixed else "",
    )
    b = TenantBuilder(spec)
    _everyday(b)
    deleted = b.work_time(
        b.person(0).place,
        earliest=b.now - timedelta(days=9, hours=6),
        latest=b.now - timedelta(days=9),
        office=True,
    )
    restored = b.now - CONSENT_RESTORED_AGO if fixed else None
    if fixed:
        # Consent creates a new service principal: a new object ID for the same appId.
        b.sp_ids[PIN_RESET_SERVICE] = guid(spec.name, "servicePrincipal", PIN_RESET_SERVICE)
    else:
        b.pin_apps[PIN_RESET_SERVICE] = "missing"
    admin = b.person(0)
    b.audit(
        deleted,
        category="ApplicationManagement",
        activity="Delete service principal",
        service="Core Directory",
        operation="Delete",
        reason="",
        by_user=admin,
        targets=[
            audit_target(
                guid(spec.key, "servicePrincipal", PIN_RESET_SERVICE),
                type_="ServicePrincipal",
                display_name=PIN_RESET_SERVICE_NAME,
                modified=[
                    ("AccountEnabled", "[true]", "[]"),
                    ("AppPrincipalId", f'["{PIN_RESET_SERVICE}"]', "[]"),
                    ("DisplayName", f'["{PIN_RESET_SERVICE_NAME}"]', "[]"),
                    ("ServicePrincipalName", f'["{PIN_RESET_SERVICE}"]', "[]"),
                    (
                        "Included Updated Properties",
                        None,
                        '"AccountEnabled, AppPrincipalId, DisplayName, ServicePrincipalName"',
                    ),
                ],
            )
        ],
        details=[("AppId", PIN_RESET_SERVICE), ("User-Agent", EDGE_UA)],
    )
    rng = b.rng

    def outcome(when: datetime) -> tuple[int, int]:
        if when < deleted or (restored is not None and when >= restored):
            return 0, 0
        return 700016, rng.choice((500011, 500011, 500011, 65001))

    b.add_pin_resets(per_day=spec.pin_resets_per_day, outcome=outcome, recent=4)
    _routine_taps(b, (18, 11), pin_reset_with_tap=False)
    b.recovery_settings_catalog(nested=True, targets=[all_users_target()])
    b.notes["service_principal_deleted"] = iso(deleted)
    if restored is None:
        return b.build(
            Expectations(
                fires={
                    "consent.pin-reset-service.missing": [PIN_RESET_SERVICE],
                    "signin.pin-reset.consent-errors": [b.tenant_id],
                },
                unasserted={
                    "signin.pin-reset.failure-spike": "every reset has failed for 9 days, so the last window "
                    "is not far above the recent baseline; depends on thresholds"
                },
            )
        )
    # After the rest, so the twin's random draws match consent-missing's up to here.
    new_sp = b.sp_ids[PIN_RESET_SERVICE]
    for activity, operation in (("Add service principal", "Add"), ("Consent to application", "Assign")):
        b.audit(
            restored,
            category="ApplicationManagement",
            activity=activity,
            service="Core Directory",
            operation=operation,
            reason="",
            by_user=admin,
            targets=[audit_target(new_sp, type_="ServicePrincipal", display_name=PIN_RESET_SERVICE_NAME)],
            details=[("AppId", PIN_RESET_SERVICE), ("User-Agent", EDGE_UA)],
        )
    b.notes["service_principal_restored"] = iso(restored)
    return b.build(Expectations())


def client_missing() -> GeneratedTenant:
    spec = TenantSpec(
        name="client-missing",
        display_name="Tailspin Toys",
        story=(
            "Only the Service app was ever consented: Microsoft Pin Reset Client Production has no "
            "service principal, so every Client sign-in fails with 700016 across the 30 days; PIN "
            "recovery is enabled by a correct custom OMA-URI profile."
        ),
        domain="tailspintoys.com",
        initial_domain="tailspintoys.onmicrosoft.com",
        country="GB",
        users=60,
        devices=45,
        created=datetime(2021, 1, 19, 10, 12, 5, tzinfo=UTC),
        street="10 Finsbury Square",
        postal_code="EC2A 1AF",
        licence="P1",
        pin_resets_per_day=3,
        noise_signins=250,
    )
    b = TenantBuilder(spec)
    _everyday(b)
    b.pin_apps[PIN_RESET_CLIENT] = "missing"
    b.add_pin_resets(
        per_day=spec.pin_resets_per_day, outcome=lambda when: (0, 700016), recent=4, retry_rate=0.3
    )
    _routine_taps(b, (16, 6), pin_reset_with_tap=False)
    b.recovery_oma()
    return b.build(
        Expectations(
            fires={
                "consent.pin-reset-client.missing": [PIN_RESET_CLIENT],
                "signin.pin-reset.consent-errors": [b.tenant_id],
            },
            unasserted={
                "signin.pin-reset.failure-spike": "the Client has failed at the same rate for 30 days (no "
                "rise over the baseline); depends on thresholds"
            },
        )
    )


def app_disabled() -> GeneratedTenant:
    spec = TenantSpec(
        name="app-disabled",
        display_name="Woodgrove Bank",
        story=(
            "Both PIN reset apps are consented, but 5 days ago an admin set 'Enabled for users to sign "
            "in' to No on the Service's enterprise app (accountEnabled false); since then resets fail "
            "with 7000112 (some 70001). PIN recovery comes from an endpoint security account protection "
            "policy."
        ),
        domain="woodgrovebank.com",
        initial_domain="woodgrovebank.onmicrosoft.com",
        country="US",
        users=100,
        devices=80,
        created=datetime(2018, 11, 5, 19, 30, 44, tzinfo=UTC),
        street="500 Pine Street",
        postal_code="98101",
        pin_resets_per_day=4,
        noise_signins=320,
    )
    b = TenantBuilder(spec)
    _everyday(b)
    disabled = b.work_time(
        b.person(0).place,
        earliest=b.now - timedelta(days=5, hours=6),
        latest=b.now - timedelta(days=5) + timedelta(hours=10),
        weekends=1.0,
        office=True,
    )
    b.pin_apps[PIN_RESET_SERVICE] = "disabled"
    b.audit(
        disabled,
        category="ApplicationManagement",
        activity="Update service principal",
        service="Core Directory",
        operation="Update",
        reason="",
        by_user=b.person(0),
        targets=[
            audit_target(
                b.sp_ids[PIN_RESET_SERVICE],
                type_="ServicePrincipal",
                display_name=PIN_RESET_SERVICE_NAME,
                modified=[
                    ("AccountEnabled", "[true]", "[false]"),
                    ("Included Updated Properties", None, '"AccountEnabled"'),
                ],
            )
        ],
        details=[("AppId", PIN_RESET_SERVICE), ("User-Agent", EDGE_UA)],
    )
    rng = b.rng

    def outcome(when: datetime) -> tuple[int, int]:
        if when < disabled:
            return 0, 0
        return rng.choice((7000112, 7000112, 7000112, 70001)), 7000112

    b.add_pin_resets(per_day=spec.pin_resets_per_day, outcome=outcome, recent=4)
    _routine_taps(b, (20, 9, 3))
    b.recovery_account_protection()
    b.notes["service_principal_disabled"] = iso(disabled)
    return b.build(
        Expectations(
            fires={
                "consent.pin-reset-app.disabled": [PIN_RESET_SERVICE],
                "signin.pin-reset.consent-errors": [b.tenant_id],
            },
            unasserted={
                "signin.pin-reset.failure-spike": "resets have failed for 5 days; a 24-hour window against a "
                "14-day baseline may or may not count as a spike"
            },
        )
    )


def no_recovery_policy() -> GeneratedTenant:
    spec = TenantSpec(
        name="no-recovery-policy",
        display_name="Adventure Works",
        story=(
            "Apps fine and Windows devices managed, but no assigned policy enables PIN recovery: the "
            "Identity protection profile has PIN recovery off, and the settings catalog policy that turns"
            " it on was never assigned (an assigned Windows Hello baseline does not touch it)."
        ),
        domain="adventure-works.com",
        initial_domain="adventureworks.onmicrosoft.com",
        country="NL",
        users=70,
        devices=55,
        created=datetime(2020, 9, 23, 7, 5, 31, tzinfo=UTC),
        street="Herengracht 182",
        postal_code="1016 BR",
        pin_resets_per_day=3,
        noise_signins=260,
    )
    b = TenantBuilder(spec)
    _everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    _routine_taps(b, (15, 4))
    off = b.recovery_identity_protection(enabled=False)
    draft = b.recovery_settings_catalog(
        nested=True, targets=[], name="WIN - Windows Hello for Business - PIN recovery (draft)"
    )
    created, modified = b.policy_time(330)
    baseline = configuration_policy(
        policy_id=b.next_id("configurationPolicy"),
        name="WIN - Windows Hello for Business - baseline",
        created=created,
        modified=modified,
        targets=[all_devices_target()],
        settings=[group_collection_instance(PASSPORT, b.whfb_settings(recovery=None))],
        description="Windows Hello for Business on, TPM required, PIN 6+",
    )
    b.configuration_policies.append(baseline)
    b.notes |= {
        "pin_recovery_off_profile": off["id"],
        "unassigned_recovery_policy": draft["id"],
        "whfb_baseline_without_recovery": baseline["id"],
    }
    return b.build(Expectations(fires={"policy.pin-recovery.not-configured": [b.tenant_id]}))


def policy_mistakes() -> GeneratedTenant:
    spec = TenantSpec(
        name="policy-mistakes",
        display_name="Litware Inc",
        story=(
            "A valid assigned settings catalog policy (flat form) enables PIN recovery, but four assigned"
            " custom OMA-URI profiles each get EnablePinRecovery wrong (tenant ID left out as in seed "
            "002, another tenant's ID, a String 'true' instead of a Boolean, Boolean false); litware.fr "
            "is federated to AD FS and no profile sets ConfigureWebSignInAllowedUrls."
        ),
        domain="litwareinc.com",
        initial_domain="litwareinc.onmicrosoft.com",
        country="FR",
        users=80,
        devices=60,
        created=datetime(2019, 10, 8, 13, 47, 2, tzinfo=UTC),
        street="37 Quai du Président Roosevelt",
        postal_code="92130",
        extra_domain="litware.fr",
        extra_federation_host="sts.litware.fr",
        pin_resets_per_day=3,
        noise_signins=280,
        hybrid_share=0.45,
    )
    b = TenantBuilder(spec)
    _everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    _routine_taps(b, (19, 8))
    valid = b.recovery_settings_catalog(nested=False, name="WIN - PIN recovery (settings catalog)")
    pfw = "./Device/Vendor/MSFT/Policy/PassportForWork"
    other_tenant = guid("fabrikam-lab", "tenant")
    missing_id = b.recovery_oma(
        name="WIN - Custom - PIN recovery (from blog)",
        oma_uri=f"{pfw}//Policies/EnablePinRecovery",
        days_ago=210,
    )
    wrong_id = b.recovery_oma(
        name="WIN - Custom - PIN recovery (copied from lab tenant)",
        oma_uri=f"{pfw}/{other_tenant}/Policies/EnablePinRecovery",
        days_ago=160,
    )
    string = b.recovery_oma(
        name="WIN - Custom - PIN recovery (string)",
        kind="String",
        value="true",
        days_ago=120,
        targets=[group_target(b.group("SG-Intune-Windows-Devices"))],
    )
    false = b.recovery_oma(
        name="WIN - Custom - PIN recovery (pilot rollback)",
        value=False,
        days_ago=45,
        targets=[group_target(b.group("SG-WHfB-Pilot"))],
    )
    b.notes |= {
        "valid_policy": valid["id"],
        "oma_profiles": {
            "tenant ID left out": missing_id["id"],
            "another tenant's ID": wrong_id["id"],
            "String instead of Boolean": string["id"],
            "Boolean false": false["id"],
        },
        "federated_domain": "litware.fr",
    }
    return b.build(
        Expectations(
            fires={
                "policy.pin-recovery.oma-uri-invalid": [
                    missing_id["id"],
                    wrong_id["id"],
                    string["id"],
                    false["id"],
                ],
                "policy.web-signin-urls.missing": [b.tenant_id],
            }
        )
    )


def federated_ok() -> GeneratedTenant:
    spec = TenantSpec(
        name="federated-ok",
        display_name="Fabrikam Inc",
        story=(
            "fabrikam.com is federated to AD FS (adfs.fabrikam.com) and an assigned custom profile sets "
            "ConfigureWebSignInAllowedUrls; PIN recovery is enabled by a custom OMA-URI in the "
            "./Vendor/MSFT form. Everything else healthy."
        ),
        domain="fabrikam.com",
        initial_domain="fabrikamonline.onmicrosoft.com",
        country="US",
        users=110,
        devices=85,
        created=datetime(2017, 5, 30, 15, 20, 9, tzinfo=UTC),
        street="1 Fabrikam Way",
        postal_code="98052",
        federation_host="adfs.fabrikam.com",
        pin_resets_per_day=4,
        noise_signins=320,
        hybrid_share=0.6,
    )
    b = TenantBuilder(spec)
    _everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    _routine_taps(b, (25, 12, 2))
    recovery = b.recovery_oma(
        oma_uri=f"./Vendor/MSFT/Policy/PassportForWork/{b.tenant_id}/Policies/EnablePinRecovery"
    )
    web = b.web_signin_urls("adfs.fabrikam.com;login.fabrikam.com")
    b.notes |= {"recovery_profile": recovery["id"], "web_signin_profile": web["id"]}
    return b.build(Expectations())


# osVersion, skuFamily, joinType, can it do a non-destructive reset (seed 001: Enterprise 1709-1809,
# Enterprise or Pro 1903 and later, Windows 11)?
LEGACY_DEVICES: Final = (
    ("10.0.14393.7428", "Enterprise", "hybridAzureADJoined", False),
    ("10.0.15063.2679", "Enterprise", "hybridAzureADJoined", False),
    ("10.0.16299.2166", "Pro", "azureADJoined", False),
    ("10.0.17763.6414", "Pro", "azureADJoined", False),
    ("10.0.19045.5131", "Core", "azureADRegistered", False),
    ("10.0.16299.2166", "Enterprise", "hybridAzureADJoined", True),
    ("10.0.17763.6414", "Enterprise", "hybridAzureADJoined", True),
    ("10.0.18362.1256", "Pro", "azureADJoined", True),
    ("10.0.22631.4460", "Pro", "azureADJoined", True),
)


def legacy_devices() -> GeneratedTenant:
    spec = TenantSpec(
        name="legacy-devices",
        display_name="Lamna Healthcare",
        story=(
            "Apps and policy fine, but some managed Windows devices cannot do a non-destructive reset by "
            "edition and build (1607 and 1703 Enterprise, 1709 and 1809 Pro, 22H2 Home) next to ones that"
            " can (1709 and 1809 Enterprise, 1903 Pro, Windows 11 Pro)."
        ),
        domain="lamnahealthcare.com",
        initial_domain="lamnahealthcare.onmicrosoft.com",
        country="CA",
        users=75,
        devices=50,
        created=datetime(2018, 2, 12, 14, 0, 37, tzinfo=UTC),
        street="220 Yonge Street",
        postal_code="M5B 2H1",
        licence="P1",
        pin_resets_per_day=3,
        noise_signins=280,
        hybrid_share=0.4,
    )
    b = TenantBuilder(spec)
    owners = [p for p in b.people if p.signs_in and not p.roles and not p.devices]
    verdicts = []
    for n, (build, sku, join_type, supported) in enumerate(LEGACY_DEVICES):
        device = b.add_windows_device(owners[n], spec.devices + n, build=build, sku=sku, join_type=join_type)
        verdicts.append(
            {
                "id": device.intune_id,
                "deviceName": device.name,
                "windows": device.label,
                "osVersion": build,
                "skuFamily": sku,
                "joinType": join_type,
                "nonDestructiveReset": supported,
            }
        )
    _everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    _routine_taps(b, (17, 7))
    b.recovery_identity_protection()
    b.notes["legacy_devices"] = verdicts
    return b.build(
        Expectations(
            fires={
                "device.pin-reset.unsupported-os": [
                    v["id"] for v in verdicts if not v["nonDestructiveReset"]
                ],
            }
        )
    )


def tap_misconfigured() -> GeneratedTenant:
    spec = TenantSpec(
        name="tap-misconfigured",
        display_name="Wingtip Toys",
        story=(
            "The TAP policy allows reusable passes (isUsableOnce false) living up to 24 hours (default 8 "
            "h); 2 days ago a Privileged Authentication Administrator gave a Global Administrator a "
            "24-hour reusable pass, which the admin then used to sign in to the Azure portal and My Sign-"
            "ins."
        ),
        domain="wingtiptoys.com",
        initial_domain="wingtiptoys.onmicrosoft.com",
        country="GB",
        users=50,
        devices=35,
        created=datetime(2021, 4, 7, 9, 55, 18, tzinfo=UTC),
        street="2 Kingdom Street",
        postal_code="W2 6BD",
        pin_resets_per_day=2.5,
        noise_signins=240,
    )
    b = TenantBuilder(spec)
    b.tap_policy = tap_policy_object(
        default_lifetime=480, minimum_lifetime=60, maximum_lifetime=1440, usable_once=False
    )
    _everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    admin, issuer = b.person(0), b.person(6)
    day_end = b.now - timedelta(days=2)
    issued = b.work_time(
        issuer.place, earliest=day_end - timedelta(hours=3), latest=day_end + timedelta(hours=2), office=True
    )
    b.ensure_history(admin, issued)
    tap = b.issue_tap(admin, issuer, issued, lifetime=1440, usable_once=False)
    portal = App(AZURE_PORTAL, "Azure Portal")
    b.tap_signin(tap, issued + timedelta(minutes=9, seconds=b.rng.randrange(60)), client=portal)
    b.tap_signin(tap, issued + timedelta(minutes=16, seconds=b.rng.randrange(60)))
    b.tap_signin(tap, issued + timedelta(hours=17, minutes=b.rng.randrange(60)), client=portal)
    _routine_taps(b, (14, 4), exclude=[admin])
    b.recovery_settings_catalog(nested=True)
    b.notes |= {"privileged_tap_user": admin.id, "privileged_tap_issuer": issuer.id}
    return b.build(
        Expectations(
            fires={
                "tap.policy.multi-use": [TAP_POLICY_ID],
                "tap.policy.lifetime-too-long": [TAP_POLICY_ID],
                "tap.issued.privileged-user": [admin.id],
            }
        )
    )


def tap_disabled() -> GeneratedTenant:
    spec = TenantSpec(
        name="tap-disabled",
        display_name="Alpine Ski House",
        story=(
            "The Temporary Access Pass method is disabled in the authentication methods policy, so users "
            "who lose their passwordless credential have no recovery path; no pass was issued in 30 days."
        ),
        domain="alpineskihouse.com",
        initial_domain="alpineskihouse.onmicrosoft.com",
        country="AT",
        users=45,
        devices=30,
        created=datetime(2022, 2, 1, 11, 11, 11, tzinfo=UTC),
        street="Mariahilfer Straße 77",
        postal_code="1060",
        pin_resets_per_day=2,
        noise_signins=220,
    )
    b = TenantBuilder(spec)
    b.tap_policy = tap_policy_object(state="disabled")
    _everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    b.recovery_account_protection()
    return b.build(Expectations(fires={"tap.policy.disabled": [TAP_POLICY_ID]}))


def tap_suspicious() -> GeneratedTenant:
    spec = TenantSpec(
        name="tap-suspicious",
        display_name="Trey Research",
        story=(
            "TAP policy healthy, but three pass sign-ins need SOC review: user A's came with high sign-in"
            " risk, user B's came from Nigeria although B only ever signs in from Germany, and user C "
            "failed 8 times within 10 minutes before succeeding. Each had a pass from the helpdesk "
            "shortly before."
        ),
        domain="treyresearch.net",
        initial_domain="treyresearch.onmicrosoft.com",
        country="DE",
        users=85,
        devices=60,
        created=datetime(2019, 7, 1, 6, 30, 0, tzinfo=UTC),
        street="Theresienhöhe 28",
        postal_code="80339",
        pin_resets_per_day=3,
        noise_signins=300,
    )
    b = TenantBuilder(spec)
    _everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    rng = b.rng
    user_a, user_b, user_c = rng.sample(b.ordinary, 3)
    helpdesk = b.helpdesk

    def issue(user: Person, days: int) -> TapIssuance:
        day_end = b.now - timedelta(days=days)
        issued = b.work_time(
            helpdesk.place,
            earliest=day_end - timedelta(hours=20),
            latest=day_end - timedelta(hours=2),
            office=True,
        )
        b.ensure_history(user, issued, count=4)
        return b.issue_tap(user, helpdesk, issued)

    tap_a = issue(user_a, 6)
    b.tap_signin(
        tap_a,
        tap_a.issued + timedelta(minutes=11, seconds=rng.randrange(60)),
        risk=Risk("high", "high", "atRisk", "none", ("unfamiliarFeatures",)),
    )
    tap_b = issue(user_b, 3)
    b.tap_signin(
        tap_b,
        tap_b.issued + timedelta(minutes=26, seconds=rng.randrange(60)),
        place=PLACES["NG"][0],
        ip="192.0.2.251",
        managed=False,
    )
    tap_c = issue(user_c, 1)
    start = tap_c.issued + timedelta(minutes=5, seconds=rng.randrange(60))
    for n in range(8):
        b.tap_signin(tap_c, start + timedelta(seconds=n * 68 + rng.randrange(20)), ok=False)
    b.tap_signin(tap_c, start + timedelta(minutes=10, seconds=rng.randrange(30)))
    _routine_taps(b, (13,), exclude=[user_a, user_b, user_c])
    b.recovery_oma()
    b.notes |= {
        "user_a_high_risk": user_a.id,
        "user_b_new_country": user_b.id,
        "user_c_failure_burst": user_c.id,
    }
    return b.build(
        Expectations(
            fires={
                "tap.signin.risky": _subjects((user_a, user_b)),
                "tap.signin.failure-burst": [user_c.id],
            }
        )
    )


def failure_spike() -> GeneratedTenant:
    spec = TenantSpec(
        name="failure-spike",
        display_name="Relecloud",
        story=(
            "Apps and policies fine and PIN reset failures low (0-3 a day) for weeks; 3.5 hours ago a new"
            " Conditional Access policy started blocking the PIN reset apps and about 45 reset sign-ins "
            "have failed since, mostly with 53003."
        ),
        domain="relecloud.com",
        initial_domain="relecloud.onmicrosoft.com",
        country="GB",
        users=150,
        devices=120,
        created=datetime(2018, 8, 20, 12, 0, 5, tzinfo=UTC),
        street="1 Canada Square",
        postal_code="E14 5AB",
        pin_resets_per_day=6,
        noise_signins=400,
    )
    b = TenantBuilder(spec)
    _everyday(b)
    security = b.person(6)
    created = b.now - timedelta(
        hours=3, minutes=30, seconds=b.rng.randrange(60), microseconds=b.rng.randrange(1_000_000)
    )
    policy_id = guid(spec.key, "ca", "block")
    name = "CA010: Block access to unapproved cloud apps"
    b.ca_block = (policy_id, name, created)
    definition = json.dumps(
        {
            "id": policy_id,
            "displayName": name,
            "state": "enabled",
            "conditions": {
                "applications": {
                    "includeApplications": ["All"],
                    "excludeApplications": [app.app_id for app in FIRST_PARTY_APPS[:6]],
                },
                "users": {"includeUsers": ["All"], "excludeUsers": [b.person(1).id]},
            },
            "grantControls": {"operator": "OR", "builtInControls": ["block"]},
        },
        separators=(",", ":"),
    )
    b.audit(
        created,
        category="Policy",
        activity="Add conditional access policy",
        service="Conditional Access",
        operation="Add",
        reason="",
        by_user=security,
        targets=[
            audit_target(
                policy_id,
                type_="Policy",
                display_name=name,
                modified=[("ConditionalAccessPolicy", None, definition)],
            )
        ],
    )
    baseline = b.add_pin_resets(
        per_day=spec.pin_resets_per_day,
        latest=created,
        user_failure_rate=0.15,
        user_failures=(50126, 50126, 50076, 50079, 53000),
    )
    rng = b.rng
    people = b.resetters()
    spike = 0
    while spike < 45:
        person = rng.choice(people)
        when = b.any_time(created + timedelta(minutes=25), b.latest - timedelta(minutes=3))
        user_failure = 50126 if rng.random() < 0.1 else None
        spike += b.pin_reset_attempt(
            person,
            when,
            service_code=53003,
            client_code=53003,
            user_failure=user_failure,
            client=rng.random() < 0.5,
        )
    _routine_taps(b, (21, 10, 6))
    b.recovery_identity_protection()
    b.notes |= {
        "conditional_access_policy": policy_id,
        "policy_created": iso(created),
        "spike_failures": spike,
        "baseline_failures": baseline,
    }
    return b.build(Expectations(fires={"signin.pin-reset.failure-spike": [b.tenant_id]}))


def no_licence() -> GeneratedTenant:
    spec = TenantSpec(
        name="no-licence",
        display_name="Fourth Coffee",
        story=(
            "A small tenant on Microsoft 365 Business Basic: no Entra ID P1 (the sign-in log answers 403)"
            " and no Intune (deviceManagement answers 400); both PIN reset apps consented, TAP policy "
            "healthy, audit log kept for 7 days."
        ),
        domain="fourthcoffee.com",
        initial_domain="fourthcoffee.onmicrosoft.com",
        country="US",
        users=40,
        devices=0,
        created=datetime(2023, 3, 3, 17, 45, 0, tzinfo=UTC),
        street="4567 Main Street",
        postal_code="98052",
        licence="Free",
        pin_resets_per_day=0,
        noise_signins=0,
        noise_audits=25,
    )
    b = TenantBuilder(spec)
    b.add_noise_audits(spec.noise_audits, earliest=b.now - timedelta(days=FREE_AUDIT_DAYS))
    user = b.rng.choice([p for p in b.people if p.signs_in and not p.roles])
    issued = b.work_time(
        b.helpdesk.place, earliest=b.now - timedelta(days=4), latest=b.now - timedelta(days=3), office=True
    )
    b.issue_tap(user, b.helpdesk, issued)
    b.simulator_responses = [
        {
            "path": "beta/auditLogs/signIns",
            "status": 403,
            "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "message": "Neither tenant is B2C or tenant doesn't have premium license",
        },
        {
            "path": "beta/deviceManagement",
            "status": 400,
            "code": "BadRequest",
            "message": "Request not applicable to target tenant.",
        },
    ]
    no_p1 = (
        "the sign-in log needs Entra ID P1: Graph answers 403 "
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    )
    no_intune = (
        "no Intune licence: beta/deviceManagement answers 400 'Request not applicable to target tenant.'"
    )
    return b.build(
        Expectations(
            skipped={
                "signin.pin-reset.consent-errors": no_p1,
                "signin.pin-reset.failure-spike": no_p1,
                "tap.signin.risky": no_p1,
                "tap.signin.failure-burst": no_p1,
                "policy.pin-recovery.not-configured": no_intune,
                "policy.pin-recovery.oma-uri-invalid": no_intune,
                "device.pin-reset.unsupported-os": no_intune,
            },
            unasserted={
                "policy.web-signin-urls.missing": "no domain is federated, so nothing is missing (pass); an "
                "implementation that reads Intune first may report skipped"
            },
        )
    )


BUNDLED: Final[dict[str, Callable[[], GeneratedTenant]]] = {
    "healthy": healthy,
    "consent-missing": consent_missing,
    "consent-missing-fixed": consent_missing_fixed,
    "client-missing": client_missing,
    "app-disabled": app_disabled,
    "no-recovery-policy": no_recovery_policy,
    "policy-mistakes": policy_mistakes,
    "federated-ok": federated_ok,
    "legacy-devices": legacy_devices,
    "tap-misconfigured": tap_misconfigured,
    "tap-disabled": tap_disabled,
    "tap-suspicious": tap_suspicious,
    "failure-spike": failure_spike,
    "no-licence": no_licence,
}


def generate_tenant(name: str) -> GeneratedTenant:
    """Build one bundled tenant by name."""
    try:
        return BUNDLED[name]()
    except KeyError:
        raise KeyError(f"no bundled tenant named {name!r}; known: {', '.join(BUNDLED)}") from None


# ---------------------------------------------------------------------------------------------------
# Writing snapshots
# ---------------------------------------------------------------------------------------------------


def _pretty(document: Any, *, fast: bool) -> bytes:
    if fast and orjson is not None:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def _compact(item: Json) -> bytes:
    if orjson is not None:
        return orjson.dumps(item)
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()


def _lines(lines: Sequence[bytes]) -> bytes:
    """{"value": [ one item per line ]}: compact, yet a diff shows which sign-ins changed."""
    if not lines:
        return b'{"value": []}\n'
    return b'{"value": [\n' + b",\n".join(lines) + b"\n]}\n"


def _one_per_line(items: Sequence[Json], *, fast: bool) -> bytes:
    if fast:
        return _lines([_compact(item) for item in items])
    return _lines([json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() for item in items])


def render(documents: dict[str, Any], *, fast: bool = False) -> dict[str, bytes]:
    """The bytes of every file of a snapshot, by snapshot-relative path."""
    files = {}
    for path, document in sorted(documents.items()):
        if isinstance(document, SerializedSignIns):
            files[path] = _lines([signin.line for signin in document])
        elif path == SIGNINS_PATH:
            files[path] = _one_per_line(document["value"], fast=fast)
        else:
            files[path] = _pretty(document, fast=fast)
    return files


def write_tenant(directory: Path, tenant: GeneratedTenant, *, fast: bool = False) -> list[Path]:
    """Write a generated tenant's snapshot files under `directory` (created if needed, files overwritten)."""
    written = []
    for relative, document in sorted(tenant.documents.items()):
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(document, SerializedSignIns):  # stream: a load tenant's log can be hundreds of MB
            with path.open("wb") as file:
                file.write(b'{"value": [\n' if document else b'{"value": []}\n')
                for n, signin in enumerate(document):
                    file.write(signin.line + (b",\n" if n + 1 < len(document) else b"\n]}\n"))
        else:
            path.write_bytes(render({relative: document}, fast=fast)[relative])
        written.append(path)
    return written


def render_bundled() -> tuple[dict[str, bytes], list[TenantDescription]]:
    """Every file of examples/tenants (the 13 snapshots and README.md), by path relative to it."""
    files: dict[str, bytes] = {}
    descriptions = []
    for name, build in BUNDLED.items():
        tenant = build()
        descriptions.append(tenant.description)
        files |= {f"{name}/{path}": content for path, content in render(tenant.documents).items()}
    files["README.md"] = render_readme(descriptions).encode()
    return files, descriptions


def write_bundled(root: Path) -> list[TenantDescription]:
    """Regenerate examples/tenants: every bundled tenant from scratch, and the README."""
    files, descriptions = render_bundled()
    root.mkdir(parents=True, exist_ok=True)
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return descriptions


def stale_files(root: Path) -> list[str]:
    """What differs between the committed examples/tenants and a fresh generation (empty: up to date)."""
    files, _ = render_bundled()
    problems = []
    for relative, content in files.items():
        path = root / relative
        if not path.is_file():
            problems.append(f"missing: {relative}")
        elif path.read_bytes() != content:
            problems.append(f"changed: {relative}")
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root).as_posix()
            if path.is_file() and relative not in files:
                problems.append(f"extra: {relative}")
    return problems


# ---------------------------------------------------------------------------------------------------
# README of examples/tenants
# ---------------------------------------------------------------------------------------------------


def _subject(description: TenantDescription, subject: str) -> str:
    label = description.labels.get(subject)
    return f"`{subject}` ({label})" if label else f"`{subject}`"


def render_readme(descriptions: Sequence[TenantDescription]) -> str:
    lines = [
        "# Example tenants",
        "",
        "Tenant snapshots (SPEC §1) generated by `examples/tenantgen.py`. Do not edit them by hand: run",
        "`python examples/generate.py` to regenerate them and this README;",
        "`python examples/generate.py --check` exits 1 and lists the differences when they are stale.",
        "",
        "Every tenant is scanned at a fixed time:",
        "",
        "```",
        f"python -m monitor scan --snapshot examples/tenants/<name> --now {iso(NOW)}",
        "```",
        "",
        "Sign-ins span the 30 days before that time (up to 2 minutes before it), directory audits likewise",
        "(7 days in `no-licence`). Subjects follow SPEC §2: the app ID for consent rules, the tenant ID for",
        "tenant-wide rules (the two sign-in rules, PIN recovery not configured, web sign-in URLs missing),",
        "the policy ID for policy rules (an OMA-URI profile's ID; `TemporaryAccessPass` for the three",
        "tap.policy rules), the Intune device ID for device rules, the user ID for user rules.",
        "",
        "## What each tenant must report",
        "",
        "A rule of SPEC §3 that is not listed for a tenant must **pass** there, unless it is listed as not",
        "asserted (its outcome depends on configurable thresholds).",
        "",
        "| tenant | story | must fire (subjects) | must be skipped (why) | not asserted |",
        "|---|---|---|---|---|",
    ]
    for d in descriptions:
        e = d.expectations
        fires = (
            "<br>".join(
                f"`{rule}`: {', '.join(_subject(d, s) for s in subjects)}"
                for rule, subjects in e.fires.items()
            )
            or "nothing"
        )
        skipped = "<br>".join(f"`{rule}`: {why}" for rule, why in e.skipped.items()) or "-"
        unasserted = "<br>".join(f"`{rule}`: {why}" for rule, why in e.unasserted.items()) or "-"
        lines.append(f"| `{d.name}` | {d.story} | {fires} | {skipped} | {unasserted} |")
    lines += [
        "",
        "## Sizes",
        "",
        "| tenant | display name | tenant ID | users | sign-ins | PIN reset sign-ins | TAP sign-ins | "
        "Intune devices |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in descriptions:
        signins = str(d.signins) if d.signins or d.devices else "(403)"
        devices = str(d.devices) if d.devices else "(400)"
        lines.append(
            f"| `{d.name}` | {d.display_name} | `{d.tenant_id}` | {d.users} | {signins} | "
            f"{d.pin_reset_signins} | {d.tap_signins} | {devices} |"
        )
    lines += ["", "## Tenants", ""]
    for d in descriptions:
        e = d.expectations
        lines += [f"### {d.name}", "", d.story, "", f"Domains: {', '.join(f'`{x}`' for x in d.domains)}.", ""]
        if e.fires:
            lines.append("Must fire:")
            lines.append("")
            for rule, subjects in e.fires.items():
                lines.append(f"- `{rule}`: {', '.join(_subject(d, s) for s in subjects)}")
            lines.append("")
        else:
            lines += ["Must fire: nothing.", ""]
        lines.append("Must pass: " + ", ".join(f"`{rule}`" for rule in e.passes()) + ".")
        lines.append("")
        for heading, table in (("Must be skipped", e.skipped), ("Not asserted", e.unasserted)):
            if table:
                lines += [f"{heading}:", ""] + [f"- `{rule}`: {why}" for rule, why in table.items()] + [""]
        if d.tap_user_ids:
            lines.append(
                "Users who were issued a Temporary Access Pass in the window: "
                + ", ".join(_subject(d, u) for u in d.tap_user_ids)
                + "."
            )
            lines.append("")
        devices = d.notes.get("legacy_devices")
        if devices:
            lines += [
                "Windows devices planted for the edition/build rule (the tenant's other Windows devices run",
                "Windows 11 or Windows 10 22H2, Enterprise or Pro, and can do a non-destructive reset):",
                "",
                "| Intune device ID | device | Windows | osVersion | skuFamily | joinType | "
                "non-destructive reset |",
                "|---|---|---|---|---|---|---|",
            ]
            for v in devices:
                verdict = "yes (must pass)" if v["nonDestructiveReset"] else "**no** (must fire)"
                lines.append(
                    f"| `{v['id']}` | {v['deviceName']} | {v['windows']} | {v['osVersion']} | "
                    f"{v['skuFamily']} | {v['joinType']} | {verdict} |"
                )
            lines.append("")
        other = {k: v for k, v in d.notes.items() if k != "legacy_devices"}
        if other:
            lines += ["Planted facts:", ""]
            for key, value in other.items():
                if isinstance(value, dict):
                    value = "; ".join(f"{k}: {_subject(d, v)}" for k, v in value.items())
                elif isinstance(value, str) and value in d.labels:
                    value = _subject(d, value)
                else:
                    value = f"`{value}`"
                lines.append(f"- {key.replace('_', ' ')}: {value}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------
# Load tenants (benchmarks and targeting tests)
# ---------------------------------------------------------------------------------------------------


def load_tenant(
    *, signins: int, tap_users: int = 5, pin_reset_share: float = 1.0, seed: int = 0, now: datetime = NOW
) -> GeneratedTenant:
    """A healthy tenant whose sign-in log holds exactly `signins` sign-ins over the last 14 days.

    `pin_reset_share` of them are PIN reset sign-ins (both kinds, mostly successes), the rest everyday
    noise; `tap_users` users were issued a pass (audits) and used it (PIN reset sign-ins with the pass, or
    My Sign-ins when there are no PIN reset sign-ins to spend).
    """
    if signins < 0 or tap_users < 0 or not 0.0 <= pin_reset_share <= 1.0:
        raise ValueError("signins and tap_users must be >= 0 and pin_reset_share within [0, 1]")
    users = max(60, min(4000, signins // 40 + 4 * tap_users))
    spec = TenantSpec(
        name=f"load-{seed}",
        display_name="Proseware Inc",
        story=(
            f"Load tenant: {signins} sign-ins over 14 days, {pin_reset_share:.0%} of them PIN reset "
            "sign-ins, "
            f"{tap_users} users with a Temporary Access Pass."
        ),
        domain="proseware.com",
        initial_domain="prosewareinc.onmicrosoft.com",
        country="US",
        users=users,
        devices=round(users * 0.9),
        created=datetime(2016, 9, 12, 8, 0, 0, tzinfo=UTC),
        street="123 Elm Street",
        postal_code="98052",
        days=14,
        noise_signins=0,
        noise_audits=min(500, 20 + users // 10),
        windows_share=0.9,
    )
    b = TenantBuilder(spec, now=now, seed=seed, compact_signins=True)
    # The portal's defaults (DOMAIN.md): passes may be used more than once, so one pass can sign in 1-3 times.
    b.tap_policy = tap_policy_object(usable_once=False)
    rng = b.rng
    pin_budget = round(signins * pin_reset_share)
    noise_budget = signins - pin_budget
    candidates = b.ordinary
    for user in rng.sample(candidates, min(tap_users, len(candidates))):
        issued = b.work_time(
            b.helpdesk.place,
            earliest=b.earliest + timedelta(hours=1),
            latest=now - timedelta(hours=3),
            office=True,
        )
        tap = b.issue_tap(user, b.helpdesk, issued)
        for use in range(rng.randint(1, 3)):
            when = min(issued + timedelta(minutes=5 + 7 * use, seconds=rng.randrange(300)), b.latest)
            if pin_budget >= 1:
                pair = pin_budget >= 2
                b.pin_reset_attempt(user, when, with_tap=True, client=pair)
                tap.uses.append(when)
                pin_budget -= 2 if pair else 1
            elif noise_budget >= 1:
                b.tap_signin(tap, when)
                noise_budget -= 1
    people = b.resetters()
    while pin_budget > 0:
        person = rng.choice(people)
        when = b.work_time(person.place)
        if rng.random() < 0.03:  # a user-side failure: the reset stops at the user's own sign-in
            b.pin_reset_attempt(person, when, service_code=rng.choice(_USER_SIDE_FAILURES), client=False)
            pin_budget -= 1
        else:
            pair = pin_budget >= 2
            b.pin_reset_attempt(person, when, client=pair)
            pin_budget -= 2 if pair else 1
    b.add_noise_signins(noise_budget)
    b.add_noise_audits(spec.noise_audits)
    b.add_intune_noise()
    b.recovery_identity_protection()
    return b.build(Expectations())


def write_load_tenant(
    directory: Path,
    *,
    signins: int,
    tap_users: int = 5,
    pin_reset_share: float = 1.0,
    seed: int = 0,
    now: datetime = NOW,
) -> TenantDescription:
    """Write a load tenant (see load_tenant) under `directory`; returns its description (IDs and counts)."""
    tenant = load_tenant(
        signins=signins, tap_users=tap_users, pin_reset_share=pin_reset_share, seed=seed, now=now
    )
    write_tenant(Path(directory), tenant, fast=True)
    return tenant.description
