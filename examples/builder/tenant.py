"""TenantBuilder: builds one tenant (people, devices, apps, then the logs and policies a story asks for)."""

from __future__ import annotations

import functools
import itertools
import random
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from examples.builder.constants import (
    AUDITS_PATH,
    AUTH_ADMIN,
    AZURE_MGMT_API,
    AZURE_PORTAL,
    EXCHANGE_ADMIN,
    GLOBAL_ADMIN,
    INTUNE_ADMIN,
    MY_SIGNINS,
    NOW,
    PASSPORT,
    PIN_RESET_CLIENT,
    PIN_RESET_CLIENT_NAME,
    PIN_RESET_SERVICE,
    PIN_RESET_SERVICE_NAME,
    PRIVILEGED_AUTH_ADMIN,
    SECURITY_ADMIN,
    SIGNINS_PATH,
    TAP_POLICY_ID,
    TAP_POLICY_PATH,
    USER_ADMIN,
    WEB_SIGNIN_URLS_URI,
)
from examples.builder.graph import (
    ACCOUNT_PROTECTION_TEMPLATE,
    all_devices_target,
    audit_app,
    audit_target,
    audit_user,
    choice_instance,
    configuration_policy,
    custom_configuration,
    directory_audit_object,
    domain_object,
    endpoint_protection_configuration,
    group_collection_instance,
    group_target,
    identity_protection_configuration,
    integer_instance,
    intent_assignment,
    intent_object,
    intent_setting,
    managed_device_object,
    member_reference,
    oma_setting,
    organization_object,
    passport_choice,
    role_assignment_instance,
    role_assignment_object,
    role_eligibility_instance,
    security_group_object,
    service_principal_object,
    status_for,
    tap_method_object,
    tap_policy_object,
    update_ring_configuration,
    user_object,
    wifi_configuration,
    windows_label,
)
from examples.builder.ids import _token_id, guid, iso
from examples.builder.model import (
    Device,
    Expectations,
    GeneratedTenant,
    Person,
    Risk,
    SerializedSignIn,
    SerializedSignIns,
    TapIssuance,
    TenantDescription,
    TenantSpec,
)
from examples.builder.reference import (
    _AAD,
    _GRAPH,
    ANDROID_UA,
    BROKER_UA,
    EDGE_UA,
    FIRST_PARTY_APPS,
    HARDWARE,
    INTUNE_APPS,
    IOS_UA,
    JOBS,
    LANGUAGE,
    MOBILE_HARDWARE,
    NAMES,
    NOISE_APPS,
    PLACES,
    WEBVIEW_UA,
    WIN10_22H2,
    WIN11_23H2,
    WIN11_24H2,
    App,
    NoiseApp,
    Place,
    mail_nickname,
)
from examples.builder.snapshot import _compact

Json = dict[str, Any]

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
        # Directory roles held other than by a permanent assignment to the user (PIM, groups), and the
        # files they need; all stay empty (and unwritten) unless a story uses them.
        self.extra_role_assignments: list[tuple[str, str]] = []  # (role, principal): group or activation
        self.uses_pim = False
        self.role_eligibilities: list[Json] = []
        self.activations: dict[tuple[str, str], Json] = {}
        self.group_names: dict[str, str] = {}  # group id -> name, for every group a story names
        self.directory_groups: list[Json] = []
        self.group_members: dict[str, list[Person]] = {}
        self.intents: list[tuple[Json, list[Json], list[Json]]] = []  # intent, its settings, assignments
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
        use it to satisfy MFA in 'I forgot my PIN' on the Windows device. A one-time pass is used once, so
        it is one or the other.

        https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset
        """
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
        group_id = guid(self.spec.key, "group", name)
        self.group_names.setdefault(group_id, name)
        return group_id

    # --- privileged roles other than permanent user assignments ---------------------------------------

    def eligible_role(self, person: Person, role: str, *, since: datetime, until: datetime | None) -> Json:
        """A PIM eligibility: the person may activate the role, and holds nothing until they do."""
        self.uses_pim = True
        item = role_eligibility_instance(
            role,
            person.id,
            schedule_id=guid(self.spec.key, "roleEligibilitySchedule", role, person.id),
            start=since,
            end=until,
        )
        self.role_eligibilities.append(item)
        return item

    def activate_role(self, person: Person, role: str, *, start: datetime, hours: int) -> Json:
        """A PIM activation of an eligible role: a time-bound active assignment ('Activated'), which
        roleAssignments also lists while it lasts."""
        self.uses_pim = True
        self.eligible_role(person, role, since=start - timedelta(days=200), until=None)
        item = role_assignment_instance(
            role,
            person.id,
            assignment_type="Activated",
            instance_id=guid(self.spec.key, "roleAssignmentScheduleInstance", role, person.id),
            schedule_id=guid(self.spec.key, "roleAssignmentSchedule", role, person.id),
            start=start,
            end=start + timedelta(hours=hours),
        )
        self.activations[(role, person.id)] = item
        self.extra_role_assignments.append((role, person.id))
        return item

    def role_assignable_group(
        self, name: str, members: Sequence[Person], role: str, *, description: str
    ) -> Json:
        """A role-assignable security group holding a directory role: its members hold the role."""
        group = security_group_object(
            group_id=self.group(name),
            name=name,
            description=description,
            created=self.now - timedelta(days=300),
            role_assignable=True,
        )
        self.directory_groups.append(group)
        self.group_members[group["id"]] = list(members)
        self.extra_role_assignments.append((role, group["id"]))
        return group

    def role_assignment_instances(self, roles: Sequence[tuple[str, str]]) -> list[Json]:
        """Every active assignment as roleAssignmentScheduleInstances lists it: the permanent ones as
        'Assigned', the activations as 'Activated'."""
        return [self.activations.get(key) or role_assignment_instance(*key) for key in roles]

    def group_documents(self) -> dict[str, Json]:
        """groups.json (every group a story names; the role-assignable ones as created) and each
        role-assignable group's transitiveMembers."""
        if not self.directory_groups:
            return {}
        made = {g["id"] for g in self.directory_groups}
        plain = [
            security_group_object(
                group_id=group_id,
                name=name,
                description="",
                created=self.spec.created + timedelta(days=30 + 7 * n),
            )
            for n, (group_id, name) in enumerate(self.group_names.items())
            if group_id not in made
        ]
        documents: dict[str, Json] = {
            "v1.0/groups.json": {"value": sorted(self.directory_groups + plain, key=lambda g: g["id"])}
        }
        for group_id, members in self.group_members.items():
            documents[f"v1.0/groups/{group_id}/transitiveMembers.json"] = {
                "value": [member_reference(p) for p in members]
            }
        return documents

    # --- legacy Endpoint security intents -----------------------------------------------------------------

    def recovery_intent(self, *, targets: Sequence[Json], name: str) -> Json:
        """An Endpoint security account protection policy of the legacy kind (an intent made from the
        Account protection template) that enables PIN recovery."""
        _, modified = self.policy_time(700)
        intent_id = self.next_id("intent")
        intent = intent_object(
            intent_id=intent_id,
            name=name,
            description="Windows Hello for Business: TPM required, PIN 6+, PIN recovery",
            modified=modified,
            template_id=ACCOUNT_PROTECTION_TEMPLATE,
            assigned=bool(targets),
        )
        values: list[tuple[str, str, bool | int | str | None]] = [
            ("windowsHelloForBusinessBlocked", "Boolean", False),
            ("pinMinimumLength", "Integer", 6),
            ("pinMaximumLength", "Integer", None),
            ("pinLowercaseCharactersUsage", "String", "allowed"),
            ("pinUppercaseCharactersUsage", "String", "allowed"),
            ("pinSpecialCharactersUsage", "String", "allowed"),
            ("pinExpirationInDays", "Integer", None),
            ("pinPreviousBlockCount", "Integer", None),
            ("pinRecoveryEnabled", "Boolean", True),
            ("securityDeviceRequired", "Boolean", True),
            ("unlockWithBiometricsEnabled", "Boolean", True),
            ("enhancedAntiSpoofingForFacialFeaturesEnabled", "Boolean", True),
            ("useCertificatesForOnPremisesAuthEnabled", "Boolean", False),
            ("useSecurityKeyForSignin", "Boolean", True),
        ]
        settings = [
            intent_setting(guid(self.spec.key, "intentSetting", intent_id, setting), setting, kind, value)
            for setting, kind, value in values
        ]
        assignments = [intent_assignment(intent_id, target) for target in targets]
        self.intents.append((intent, settings, assignments))
        return intent

    def intent_documents(self) -> dict[str, Json]:
        if not self.intents:
            return {}
        documents: dict[str, Json] = {
            "beta/deviceManagement/intents.json": {"value": [i for i, _, _ in self.intents]}
        }
        for intent, settings, assignments in self.intents:
            base = f"beta/deviceManagement/intents/{intent['id']}"
            documents[f"{base}/settings.json"] = {"value": settings}
            documents[f"{base}/assignments.json"] = {"value": assignments}
        return documents

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
        config_id = self.next_id("deviceConfiguration")
        item = custom_configuration(
            config_id=config_id,
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
                    secret_id=guid(self.spec.key, "secret", config_id) if kind == "String" else None,
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
            description="Federated sign-in pages that may load during PIN reset",
            settings=[
                oma_setting(
                    "String",
                    name="ConfigureWebSignInAllowedUrls",
                    oma_uri=WEB_SIGNIN_URLS_URI,
                    value=hosts,
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
        held = [(role, p.id) for p in self.people for role in p.roles] + self.extra_role_assignments
        roles = [role_assignment_object(role, principal) for role, principal in held]
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
        if self.uses_pim:
            directory = "v1.0/roleManagement/directory"
            documents[f"{directory}/roleEligibilityScheduleInstances.json"] = {
                "value": self.role_eligibilities
            }
            documents[f"{directory}/roleAssignmentScheduleInstances.json"] = {
                "value": self.role_assignment_instances(held)
            }
        documents |= self.group_documents()
        if spec.devices:
            documents |= self.intent_documents()
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
        labels |= {g["id"]: g["displayName"] for g in self.directory_groups}
        labels |= {i["id"]: i["displayName"] for i, _, _ in self.intents}
        return labels


@functools.lru_cache(maxsize=65536)
def hash_ip(ip: str) -> int:
    """A stable small number from an IP address (for its autonomous system number)."""
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(ip))
