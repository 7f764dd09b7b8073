"""Reference data of the generated tenants: places, names, jobs, apps, hardware and user agents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from examples.builder.constants import (
    AAD_GRAPH,
    AZURE_MGMT_API,
    AZURE_PORTAL,
    MS_GRAPH,
    MY_SIGNINS,
    PIN_RESET_CLIENT,
    PIN_RESET_CLIENT_NAME,
    PIN_RESET_SERVICE,
    PIN_RESET_SERVICE_NAME,
)


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
