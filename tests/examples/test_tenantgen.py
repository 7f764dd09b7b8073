"""The tenant snapshot generator: deterministic, up to date, in the snapshot shape (a directory that mirrors
Graph's URL space), and each bundled tenant holds the problem its story plants (checked by a small
independent reading of the files under the rules' default thresholds, not by the monitor)."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from examples import generate, tenantgen
from examples.tenantgen import (
    AUDITS_PATH,
    NOW,
    PIN_RESET_CLIENT,
    PIN_RESET_SERVICE,
    RULES,
    SIGNINS_PATH,
    TAP_POLICY_PATH,
)
from monitor.thresholds import Thresholds

ROOT = Path(__file__).resolve().parents[2] / "examples" / "tenants"
THRESHOLDS = Thresholds()
PIN_APPS = {PIN_RESET_SERVICE, PIN_RESET_CLIENT}
CONSENT_CODES = {65001, 650052, 500011, 700016, 700011, 7000112, 70001}
PRIVILEGED_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f",
    "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "158c047a-c907-4556-b7ef-446551a6b5f7",
    "3a2c62db-5318-420d-8d74-23affee5d9d5",
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
}
FIXED_FILES = {
    "v1.0/organization.json",
    "v1.0/domains.json",
    "v1.0/servicePrincipals.json",
    "v1.0/users.json",
    "v1.0/roleManagement/directory/roleAssignments.json",
    TAP_POLICY_PATH,
    AUDITS_PATH,
    SIGNINS_PATH,
    "beta/deviceManagement/managedDevices.json",
    "beta/deviceManagement/deviceConfigurations.json",
    "beta/deviceManagement/configurationPolicies.json",
    "_simulator.json",
}
PIM_FILES = {
    "v1.0/roleManagement/directory/roleEligibilityScheduleInstances.json",
    "v1.0/roleManagement/directory/roleAssignmentScheduleInstances.json",
    "v1.0/groups.json",
    "beta/deviceManagement/intents.json",
}
PER_OBJECT_FILES = re.compile(
    r"^(v1\.0/users/[0-9a-f-]{36}/authentication/temporaryAccessPassMethods"
    r"|v1\.0/groups/[0-9a-f-]{36}/transitiveMembers"
    r"|beta/deviceManagement/intents/[0-9a-f-]{36}/(settings|assignments))\.json$"
)
GROUP_MEMBERS = "v1.0/groups/{}/transitiveMembers.json"
ELIGIBILITIES = "v1.0/roleManagement/directory/roleEligibilityScheduleInstances.json"
ACTIVE_INSTANCES = "v1.0/roleManagement/directory/roleAssignmentScheduleInstances.json"
ACCOUNT_PROTECTION_TEMPLATE = "0f2b5d70-d4e9-4156-8c16-1397eb6c54a5"
PIN_RECOVERY_SETTING = "deviceConfiguration--windowsIdentityProtectionConfiguration_pinRecoveryEnabled"
# What every beta sign-in of the generator carries (the properties of the docs' JSON representation).
SIGNIN_KEYS = {
    "id",
    "createdDateTime",
    "userDisplayName",
    "userPrincipalName",
    "userId",
    "appId",
    "appDisplayName",
    "ipAddress",
    "clientAppUsed",
    "userAgent",
    "correlationId",
    "conditionalAccessStatus",
    "originalRequestId",
    "isInteractive",
    "tokenIssuerType",
    "riskDetail",
    "riskLevelAggregated",
    "riskLevelDuringSignIn",
    "riskState",
    "riskEventTypes_v2",
    "resourceDisplayName",
    "resourceId",
    "authenticationRequirement",
    "signInEventTypes",
    "status",
    "deviceDetail",
    "location",
    "appliedConditionalAccessPolicies",
    "authenticationDetails",
    "authenticationMethodsUsed",
    "uniqueTokenIdentifier",
    "homeTenantId",
    "resourceTenantId",
    "userType",
    "crossTenantAccessType",
    "incomingTokenType",
    "authenticationProtocol",
}


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


# --- reading a snapshot ------------------------------------------------------------------------------


class Snapshot:
    """One tenant directory, read the way a Graph client would see it (absent file = empty collection)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def read(self, path: str) -> Any:
        file = self.directory / path
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None

    def values(self, path: str) -> list[dict[str, Any]]:
        document = self.read(path)
        return [] if document is None else list(document["value"])

    def unavailable(self, prefix: str) -> bool:
        simulator = self.read("_simulator.json") or {"responses": []}
        return any(prefix.startswith(r["path"]) for r in simulator["responses"])

    @property
    def tenant_id(self) -> str:
        return str(self.values("v1.0/organization.json")[0]["id"])

    def signins(self) -> list[dict[str, Any]]:
        return self.values(SIGNINS_PATH)

    def pin_reset_signins(self) -> list[dict[str, Any]]:
        return [s for s in self.signins() if s["appId"] in PIN_APPS or s["resourceId"] in PIN_APPS]

    def tap_signins(self) -> list[dict[str, Any]]:
        return [s for s in self.signins() if tap_step(s) is not None]

    def audits(self, activity: str | None = None) -> list[dict[str, Any]]:
        items = self.values(AUDITS_PATH)
        return [a for a in items if activity is None or a["activityDisplayName"] == activity]

    def tap_methods(self) -> dict[str, dict[str, Any]]:
        methods = {}
        for file in sorted(
            self.directory.glob("v1.0/users/*/authentication/temporaryAccessPassMethods.json")
        ):
            methods[file.parts[-3]] = json.loads(file.read_text(encoding="utf-8"))["value"][0]
        return methods

    def device_configurations(self) -> list[dict[str, Any]]:
        return self.values("beta/deviceManagement/deviceConfigurations.json")

    def configuration_policies(self) -> list[dict[str, Any]]:
        return self.values("beta/deviceManagement/configurationPolicies.json")

    def devices(self) -> list[dict[str, Any]]:
        return self.values("beta/deviceManagement/managedDevices.json")

    def intents(self) -> list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
        """Each legacy Endpoint security intent with its settings and its assignments."""
        base = "beta/deviceManagement/intents"
        return [
            (
                i,
                self.values(f"{base}/{i['id']}/settings.json"),
                self.values(f"{base}/{i['id']}/assignments.json"),
            )
            for i in self.values(f"{base}.json")
        ]

    def privileged_holders(self) -> dict[str, str]:
        """User ID -> how they hold a privileged role: assigned (to them or to a group they are in, read
        through its transitive members), active through PIM, or PIM-eligible."""
        holders: dict[str, str] = {}
        groups = {g["id"] for g in self.values("v1.0/groups.json") if g["isAssignableToRole"]}
        for item in self.values(ELIGIBILITIES):
            if item["roleDefinitionId"] in PRIVILEGED_ROLES:
                holders.setdefault(item["principalId"], "eligible")
        active = self.values("v1.0/roleManagement/directory/roleAssignments.json") + self.values(
            ACTIVE_INSTANCES
        )
        for item in active:
            if item["roleDefinitionId"] not in PRIVILEGED_ROLES:
                continue
            principal = item["principalId"]
            if principal in groups:
                for member in self.values(GROUP_MEMBERS.format(principal)):
                    holders[member["id"]] = f"group {principal}"
            else:
                holders[principal] = "activated" if item.get("assignmentType") == "Activated" else "assigned"
        return holders


def tap_step(signin: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (d for d in signin["authenticationDetails"] if d["authenticationMethod"] == "Temporary Access Pass"),
        None,
    )


def walk_settings(instance: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield instance
    for group in instance.get("groupSettingCollectionValue") or []:
        for child in group["children"]:
            yield from walk_settings(child)
    for child in (instance.get("choiceSettingValue") or {}).get("children") or []:
        yield from walk_settings(child)


def enables_recovery(policy: dict[str, Any]) -> bool:
    for setting in policy["settings"]:
        for instance in walk_settings(setting["settingInstance"]):
            value = (instance.get("choiceSettingValue") or {}).get("value", "")
            if value.endswith("_policies_enablepinrecovery_true"):
                return True
    return False


def oma_recovery_verdict(setting: dict[str, Any], tenant_id: str) -> bool:
    """A custom EnablePinRecovery setting is right with this tenant's ID, a Boolean and true."""
    match = re.fullmatch(
        r"\./(?:Device/)?Vendor/MSFT/Policy/PassportForWork/([^/]*)/Policies/EnablePinRecovery",
        setting["omaUri"],
        flags=re.IGNORECASE,
    )
    return bool(
        match
        and match.group(1).lower() == tenant_id
        and setting["@odata.type"] == "#microsoft.graph.omaSettingBoolean"
        and setting["value"] is True
    )


def is_recovery_oma(setting: dict[str, Any]) -> bool:
    return setting["omaUri"].lower().endswith("/policies/enablepinrecovery")


def non_destructive_capable(os_version: str, sku_family: str) -> bool:
    """Enterprise on 1709 to 1809, Enterprise or Pro on 1903 and later, any Windows 11.

    https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset
    """
    build = int(os_version.split(".")[2])
    if build >= 22000:
        return True
    if build >= 18362:
        return sku_family in ("Enterprise", "Pro")
    return 16299 <= build <= 17763 and sku_family == "Enterprise"


# --- an independent reading of the rules over a snapshot -----------------------------------------------

# Sign-in outcomes that are part of a normal reset (success, MFA interrupts, the user's own mistakes).
NOT_SERVICE_FAILURES = {0, 50076, 50079, 50126}


def failure_spike(pin: list[dict[str, Any]]) -> bool:
    """Failures of the last spike_window_hours (whole hours, the current one included) against the hourly
    rate of the spike_baseline_days before them."""
    window_hours, days = THRESHOLDS.spike_window_hours, THRESHOLDS.spike_baseline_days
    window_start = NOW.replace(minute=0, second=0, microsecond=0) - timedelta(hours=window_hours - 1)
    baseline_start = window_start - timedelta(days=days)
    hours = [
        parse_time(s["createdDateTime"]).replace(minute=0, second=0, microsecond=0)
        for s in pin
        if s["status"]["errorCode"] not in NOT_SERVICE_FAILURES
    ]
    recent = sum(1 for h in hours if window_start <= h <= NOW)
    baseline = sum(1 for h in hours if baseline_start <= h < window_start)
    expected = baseline / (days * 24) * window_hours
    return recent >= max(THRESHOLDS.spike_min_failures, THRESHOLDS.spike_ratio * expected)


def oracle(snapshot: Snapshot) -> dict[str, list[str] | None]:
    """Which subjects each rule finds in the files (None: its data cannot be read), under THRESHOLDS."""
    tenant = snapshot.tenant_id
    result: dict[str, list[str] | None] = {}
    sps = {sp["appId"]: sp for sp in snapshot.values("v1.0/servicePrincipals.json")}
    result["consent.pin-reset-service.missing"] = [] if PIN_RESET_SERVICE in sps else [PIN_RESET_SERVICE]
    result["consent.pin-reset-client.missing"] = [] if PIN_RESET_CLIENT in sps else [PIN_RESET_CLIENT]
    result["consent.pin-reset-app.disabled"] = [
        app for app in (PIN_RESET_SERVICE, PIN_RESET_CLIENT) if app in sps and not sps[app]["accountEnabled"]
    ]

    signins_readable = not snapshot.unavailable("beta/auditLogs/signIns")
    intune_readable = not snapshot.unavailable("beta/deviceManagement/managedDevices")
    if signins_readable:
        pin = snapshot.pin_reset_signins()
        since = NOW - timedelta(hours=THRESHOLDS.consent_error_window_hours)
        recent = [s for s in pin if parse_time(s["createdDateTime"]) >= since]
        result["signin.pin-reset.consent-errors"] = (
            [tenant] if any(s["status"]["errorCode"] in CONSENT_CODES for s in recent) else []
        )
        result["signin.pin-reset.failure-spike"] = [tenant] if failure_spike(pin) else []

        risky: list[str] = []
        seen: dict[str, set[str]] = defaultdict(set)
        for s in sorted(snapshot.signins(), key=lambda s: s["createdDateTime"]):
            country = s["location"]["countryOrRegion"]
            if tap_step(s) is not None and s["status"]["errorCode"] == 0:
                elevated = {s["riskLevelDuringSignIn"], s["riskLevelAggregated"]} & {"medium", "high"}
                new_country = bool(seen[s["userId"]]) and country not in seen[s["userId"]]
                if (elevated or new_country) and s["userId"] not in risky:
                    risky.append(s["userId"])
            seen[s["userId"]].add(country)
        result["tap.signin.risky"] = risky

        burst: list[str] = []
        failed: dict[str, list[datetime]] = defaultdict(list)
        for s in snapshot.tap_signins():
            step = tap_step(s)
            if step is not None and not step["succeeded"]:
                failed[s["userId"]].append(parse_time(s["createdDateTime"]))
        for user, moments in failed.items():
            moments.sort()
            span, count = (
                timedelta(minutes=THRESHOLDS.tap_failure_burst_minutes),
                THRESHOLDS.tap_failure_burst_count,
            )
            if any(moments[i + count - 1] - moments[i] <= span for i in range(len(moments) - count + 1)):
                burst.append(user)
        result["tap.signin.failure-burst"] = burst
    else:
        for rule in (
            "signin.pin-reset.consent-errors",
            "signin.pin-reset.failure-spike",
            "tap.signin.risky",
            "tap.signin.failure-burst",
        ):
            result[rule] = None

    if intune_readable:
        synced = NOW - timedelta(days=THRESHOLDS.device_inactive_days)
        windows = [
            d
            for d in snapshot.devices()
            if d["operatingSystem"] == "Windows" and parse_time(d["lastSyncDateTime"]) >= synced
        ]
        configured = (
            any(
                c.get("pinRecoveryEnabled") is True and c["assignments"]
                for c in snapshot.device_configurations()
            )
            or any(
                c["assignments"] and any(oma_recovery_verdict(o, tenant) for o in c.get("omaSettings", []))
                for c in snapshot.device_configurations()
            )
            or any(p["assignments"] and enables_recovery(p) for p in snapshot.configuration_policies())
            or any(
                intent["isAssigned"]
                and assignments
                and any(s["definitionId"] == PIN_RECOVERY_SETTING and s["value"] is True for s in settings)
                for intent, settings, assignments in snapshot.intents()
            )
        )
        # Group Policy can enable PIN recovery on hybrid-joined devices, and Graph cannot see it.
        hybrid_only = all(d["joinType"] == "hybridAzureADJoined" for d in windows)
        result["policy.pin-recovery.not-configured"] = (
            [] if not windows or configured else None if hybrid_only else [tenant]
        )
        result["policy.pin-recovery.oma-uri-invalid"] = [
            c["id"]
            for c in snapshot.device_configurations()
            if any(
                is_recovery_oma(o) and not oma_recovery_verdict(o, tenant) for o in c.get("omaSettings", [])
            )
        ]
        result["device.pin-reset.unsupported-os"] = [
            d["id"] for d in windows if not non_destructive_capable(d["osVersion"], d["skuFamily"])
        ]
        # Device reports come from devices, never from a snapshot: none, so nothing fires.
        result["device.pin-reset.destructive-only"] = []
        web = any(
            c["assignments"]
            and any(
                o["omaUri"].endswith("/Authentication/ConfigureWebSignInAllowedUrls")
                for o in c.get("omaSettings", [])
            )
            for c in snapshot.device_configurations()
        )
    else:
        for rule in (
            "policy.pin-recovery.not-configured",
            "policy.pin-recovery.oma-uri-invalid",
            "device.pin-reset.unsupported-os",
            "device.pin-reset.destructive-only",
        ):
            result[rule] = None
        web = False
    federated = any(d["authenticationType"] == "Federated" for d in snapshot.values("v1.0/domains.json"))
    result["policy.web-signin-urls.missing"] = [tenant] if federated and not web else []

    policy = snapshot.read(TAP_POLICY_PATH)
    subject = [policy["id"]]  # a policy rule names the policy
    result["tap.policy.disabled"] = subject if policy["state"] != "enabled" else []
    result["tap.policy.multi-use"] = subject if policy["isUsableOnce"] is False else []
    result["tap.policy.lifetime-too-long"] = (
        subject if policy["maximumLifetimeInMinutes"] > THRESHOLDS.tap_max_lifetime_hours * 60 else []
    )
    privileged = snapshot.privileged_holders()
    issued = [
        a["targetResources"][0]["id"]
        for a in snapshot.audits("Admin registered security info")
        if a["resultReason"] == "Admin registered temporary access pass method for user"
    ]
    result["tap.issued.privileged-user"] = sorted({u for u in issued if u in privileged})
    result["tap.recovery.old-methods-kept"] = recovery_kept_old(snapshot) if signins_readable else None
    return result


def recovery_kept_old(snapshot: Snapshot) -> list[str]:
    """Users who signed in with a pass, registered a method after it at least the configured days ago,
    and whose methods file still lists one created before the pass (passwords do not count)."""
    issued: dict[str, list[datetime]] = defaultdict(list)
    for a in snapshot.audits("Admin registered security info"):
        if "temporary access pass" in a["resultReason"].lower():
            issued[a["targetResources"][0]["id"]].append(parse_time(a["activityDateTime"]))
    registered: dict[str, list[datetime]] = defaultdict(list)
    for activity in ("User registered security info", "Admin registered security info"):
        for a in snapshot.audits(activity):
            if "temporary access pass" not in a["resultReason"].lower():
                registered[a["targetResources"][0]["id"]].append(parse_time(a["activityDateTime"]))
    due = NOW - timedelta(days=THRESHOLDS.tap_recovery_old_methods_days)
    found = set()
    for s in snapshot.tap_signins():
        step = tap_step(s)
        user, at = s["userId"], parse_time(s["createdDateTime"])
        if step is None or not step["succeeded"] or s["status"]["errorCode"] != 0 or not issued[user]:
            continue
        passes = [t for t in issued[user] if t <= at]
        if not passes or not any(at <= r <= due for r in registered[user]):
            continue
        methods = snapshot.values(f"v1.0/users/{user}/authentication/methods.json")
        if any(
            m["@odata.type"] != "#microsoft.graph.passwordAuthenticationMethod"
            and m.get("createdDateTime")
            and parse_time(m["createdDateTime"]) < max(passes)
            for m in methods
        ):
            found.add(user)
    return sorted(found)


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh() -> tuple[dict[str, bytes], list[tenantgen.TenantDescription]]:
    return tenantgen.render_bundled()


@pytest.fixture(scope="module")
def descriptions(
    fresh: tuple[dict[str, bytes], list[tenantgen.TenantDescription]],
) -> dict[str, tenantgen.TenantDescription]:
    return {d.name: d for d in fresh[1]}


def snapshot(name: str) -> Snapshot:
    return Snapshot(ROOT / name)


# --- determinism and freshness ------------------------------------------------------------------------


def test_generating_twice_gives_identical_bytes(
    fresh: tuple[dict[str, bytes], list[tenantgen.TenantDescription]],
) -> None:
    again, _ = tenantgen.render_bundled()
    assert again == fresh[0]


@pytest.fixture
def generated_once(
    fresh: tuple[dict[str, bytes], list[tenantgen.TenantDescription]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generator's output, computed once for this module: each render gives the same bytes
    (test_generating_twice_gives_identical_bytes), so the CLI's checks below compare the disk with it."""
    monkeypatch.setattr(tenantgen, "render_bundled", lambda: (dict(fresh[0]), list(fresh[1])))


def test_committed_tenants_are_up_to_date(generated_once: None) -> None:
    assert tenantgen.stale_files(ROOT) == []
    assert generate.main(["--check"]) == 0


def test_check_lists_what_is_stale(
    generated_once: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate.main(["--root", str(tmp_path)]) == 0
    assert generate.main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "healthy" / "v1.0" / "domains.json").write_text('{"value": []}\n')
    (tmp_path / "tap-disabled" / TAP_POLICY_PATH).unlink()
    (tmp_path / "healthy" / "v1.0" / "notes.json").write_text("{}\n")
    capsys.readouterr()
    assert generate.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "changed: healthy/v1.0/domains.json" in err
    assert f"missing: tap-disabled/{TAP_POLICY_PATH}" in err
    assert "extra: healthy/v1.0/notes.json" in err


def test_the_bundled_tenants_are_the_seventeen_named_ones() -> None:
    assert list(tenantgen.BUNDLED) == [
        "healthy",
        "consent-missing",
        "consent-missing-fixed",
        "client-missing",
        "app-disabled",
        "no-recovery-policy",
        "policy-mistakes",
        "federated-ok",
        "legacy-devices",
        "tap-misconfigured",
        "tap-disabled",
        "tap-suspicious",
        "failure-spike",
        "no-licence",
        "privileged-pim",
        "hybrid-gpo",
        "legacy-intent",
    ]
    assert sorted(p.name for p in ROOT.iterdir() if p.is_dir()) == sorted(tenantgen.BUNDLED)


def test_ids_are_uuid5_and_role_assignment_ids_follow_graph() -> None:
    assert tenantgen.guid("healthy", "user", 7) == str(uuid.uuid5(tenantgen._NAMESPACE, "healthy/user/7"))
    # The docs' example: Global Administrator assigned to ace08ec9-aa11-4ada-9145-addf0398233e.
    assert (
        tenantgen.role_assignment_id(
            "62e90394-69f5-4237-9190-012177145e10", "ace08ec9-aa11-4ada-9145-addf0398233e"
        )
        == "lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-1"
    )


# --- the snapshot shape -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(tenantgen.BUNDLED))
def test_every_file_is_json_in_the_snapshot_shape(name: str) -> None:
    directory = ROOT / name
    files = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
    assert files, name
    for relative in files:
        assert relative in FIXED_FILES | PIM_FILES or PER_OBJECT_FILES.match(relative), relative
        document = json.loads((directory / relative).read_text(encoding="utf-8"))
        if relative == TAP_POLICY_PATH:
            assert (
                document["@odata.type"]
                == "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration"
            )
            assert document["id"] == "TemporaryAccessPass"
        elif relative == "_simulator.json":
            assert all({"path", "status", "code", "message"} <= set(r) for r in document["responses"])
        else:
            assert list(document) == ["value"], relative
            assert isinstance(document["value"], list), relative
            assert all(isinstance(item, dict) for item in document["value"]), relative


def test_signins_file_has_one_signin_per_line_newest_first() -> None:
    lines = (ROOT / "healthy" / SIGNINS_PATH).read_text(encoding="utf-8").split("\n")
    assert lines[0] == '{"value": ['
    assert lines[-2:] == ["]}", ""]
    items = [json.loads(line.rstrip(",")) for line in lines[1:-2]]
    assert len(items) == len(snapshot("healthy").signins())
    created = [item["createdDateTime"] for item in items]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("name", [n for n in tenantgen.BUNDLED if n != "no-licence"])
def test_signins_carry_the_beta_fields(name: str) -> None:
    tenant = snapshot(name)
    ids = set()
    for s in tenant.signins():
        assert set(s) >= SIGNIN_KEYS, SIGNIN_KEYS - set(s)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s["createdDateTime"])
        assert NOW - timedelta(days=30) <= parse_time(s["createdDateTime"]) <= NOW - timedelta(minutes=2)
        assert s["signInEventTypes"] == ["interactiveUser" if s["isInteractive"] else "nonInteractiveUser"]
        assert isinstance(s["status"]["errorCode"], int)
        assert s["homeTenantId"] == tenant.tenant_id
        assert set(s["location"]) == {"city", "state", "countryOrRegion", "geoCoordinates"}
        assert set(s["deviceDetail"]) == {
            "deviceId",
            "displayName",
            "operatingSystem",
            "browser",
            "isCompliant",
            "isManaged",
            "trustType",
        }
        ids.add(s["id"])
    assert len(ids) == len(tenant.signins())


@pytest.mark.parametrize("name", list(tenantgen.BUNDLED))
def test_audits_are_directory_audits_within_retention(name: str) -> None:
    tenant = snapshot(name)
    retention = 7 if name == "no-licence" else 30
    audits = tenant.audits()
    assert audits
    for a in audits:
        assert list(a) == [
            "id",
            "category",
            "correlationId",
            "result",
            "resultReason",
            "activityDisplayName",
            "activityDateTime",
            "loggedByService",
            "operationType",
            "initiatedBy",
            "targetResources",
            "additionalDetails",
        ]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", a["activityDateTime"])
        assert NOW - timedelta(days=retention) <= parse_time(a["activityDateTime"]) <= NOW
        assert set(a["initiatedBy"]) == {"app", "user"}
    assert [a["activityDateTime"] for a in audits] == sorted(
        (a["activityDateTime"] for a in audits), reverse=True
    )


@pytest.mark.parametrize("name", list(tenantgen.BUNDLED))
def test_directory_objects_hang_together(name: str) -> None:
    tenant = snapshot(name)
    users = {u["id"]: u for u in tenant.values("v1.0/users.json")}
    org = tenant.values("v1.0/organization.json")
    domains = tenant.values("v1.0/domains.json")
    assert len(org) == 1
    assert {d["name"] for d in org[0]["verifiedDomains"]} == {d["id"] for d in domains}
    assert 1 <= len(domains) <= 3
    assert sum(d["isInitial"] for d in domains) == 1
    assert 40 <= len(users) <= 150
    assert all(u["userPrincipalName"].split("@")[1] in {d["id"] for d in domains} for u in users.values())
    roles = tenant.values("v1.0/roleManagement/directory/roleAssignments.json")
    groups = {g["id"] for g in tenant.values("v1.0/groups.json") if g["isAssignableToRole"]}
    assert all(r["principalId"] in users.keys() | groups and r["directoryScopeId"] == "/" for r in roles)
    for group in groups:
        assert all(m["id"] in users for m in tenant.values(GROUP_MEMBERS.format(group)))
    assert sum(r["roleDefinitionId"] == "62e90394-69f5-4237-9190-012177145e10" for r in roles) == 2
    sps = tenant.values("v1.0/servicePrincipals.json")
    assert len(sps) >= 15
    assert all(sp["servicePrincipalType"] == "Application" for sp in sps)
    assert all(sp["appOwnerOrganizationId"] == "f8cdef31-a31e-4b4a-93e4-5f571e91255a" for sp in sps)
    for user_id, method in tenant.tap_methods().items():
        assert user_id in users
        assert method["temporaryAccessPass"] is None  # Graph never returns the pass


@pytest.mark.parametrize("name", [n for n in tenantgen.BUNDLED if n != "no-licence"])
def test_pin_reset_signins_come_from_the_users_managed_windows_devices(name: str) -> None:
    tenant = snapshot(name)
    devices = {d["azureADDeviceId"]: d for d in tenant.devices()}
    pin = tenant.pin_reset_signins()
    assert pin
    for s in pin:
        device = devices[s["deviceDetail"]["deviceId"]]
        assert device["userId"] == s["userId"]
        assert device["operatingSystem"] == "Windows"
        assert s["deviceDetail"]["operatingSystem"] == "Windows10"
        assert s["deviceDetail"]["isManaged"] is True
        assert s["deviceDetail"]["trustType"] in (
            "Azure AD joined",
            "Hybrid Azure AD joined",
            "Azure AD registered",
        )
    kinds = Counter((s["appId"], s["resourceId"], s["isInteractive"]) for s in pin)
    assert kinds[(PIN_RESET_SERVICE, "00000002-0000-0000-c000-000000000000", True)] > 0
    assert kinds[(PIN_RESET_CLIENT, PIN_RESET_SERVICE, False)] > 0
    assert set(kinds) <= {
        (PIN_RESET_SERVICE, "00000002-0000-0000-c000-000000000000", True),
        (PIN_RESET_CLIENT, PIN_RESET_SERVICE, False),
    }


@pytest.mark.parametrize("name", [n for n in tenantgen.BUNDLED if n not in ("no-licence", "tap-disabled")])
def test_every_tap_issuance_is_followed_by_a_tap_signin_within_its_lifetime(name: str) -> None:
    tenant = snapshot(name)
    issued = [
        (a["targetResources"][0]["id"], parse_time(a["activityDateTime"]))
        for a in tenant.audits("Admin registered security info")
    ]
    assert issued
    policy = tenant.read(TAP_POLICY_PATH)
    for user, when in issued:
        end = when + timedelta(minutes=policy["maximumLifetimeInMinutes"])
        uses = [
            s
            for s in tenant.tap_signins()
            if s["userId"] == user and when <= parse_time(s["createdDateTime"]) <= end
        ]
        assert 1 <= len({s["correlationId"] for s in uses}) <= 9, (user, when)
    for audit in tenant.audits("Admin registered security info"):
        assert audit["loggedByService"] == "Authentication Methods"
        assert audit["category"] == "UserManagement"
        assert audit["targetResources"][0]["type"] == "User"
        assert audit["initiatedBy"]["user"]["userPrincipalName"]


# --- every tenant holds exactly what its README row says ----------------------------------------------


@pytest.mark.parametrize("name", list(tenantgen.BUNDLED))
def test_the_planted_problems_and_nothing_else(
    name: str, descriptions: dict[str, tenantgen.TenantDescription]
) -> None:
    expected = descriptions[name].expectations
    found = oracle(snapshot(name))
    unjudged, unknown = sorted(set(RULES) - set(found)), sorted(set(found) - set(RULES))
    assert not unjudged, f"rules oracle() in tests/examples/test_tenantgen.py does not judge: {unjudged}"
    assert not unknown, (
        f"oracle() in tests/examples/test_tenantgen.py judges rules the catalog lacks: {unknown}"
    )
    for rule in RULES:
        if rule in expected.unasserted:
            continue
        if rule in expected.skipped:
            assert found[rule] is None, rule
        elif rule in expected.fires:
            assert sorted(found[rule] or []) == sorted(expected.fires[rule]), rule
        else:
            assert found[rule] == [], (rule, found[rule])


def test_readme_lists_every_tenant_and_its_findings(
    descriptions: dict[str, tenantgen.TenantDescription],
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for d in descriptions.values():
        assert f"### {d.name}" in readme
        assert d.tenant_id in readme
        for subjects in d.expectations.fires.values():
            assert all(s in readme for s in subjects)


# --- spot checks of each story ---------------------------------------------------------------------------


def failures_by_code(signins: list[dict[str, Any]], since: datetime) -> Counter[int]:
    return Counter(
        s["status"]["errorCode"]
        for s in signins
        if s["status"]["errorCode"] and parse_time(s["createdDateTime"]) >= since
    )


def test_consent_missing_fails_only_since_the_service_principal_was_deleted() -> None:
    tenant = snapshot("consent-missing")
    (deletion,) = tenant.audits("Delete service principal")
    deleted = parse_time(deletion["activityDateTime"])
    assert timedelta(days=9) <= NOW - deleted < timedelta(days=9, hours=12)
    assert deletion["targetResources"][0]["displayName"] == "Microsoft Pin Reset Service Production"
    assert deletion["category"] == "ApplicationManagement"
    pin = tenant.pin_reset_signins()
    before = [s for s in pin if parse_time(s["createdDateTime"]) < deleted]
    after = [s for s in pin if parse_time(s["createdDateTime"]) >= deleted]
    assert not {s["status"]["errorCode"] for s in before} & CONSENT_CODES
    assert {s["status"]["errorCode"] for s in before} >= {0}
    assert all(s["status"]["errorCode"] == 700016 for s in after if s["appId"] == PIN_RESET_SERVICE)
    client_codes = Counter(s["status"]["errorCode"] for s in after if s["appId"] == PIN_RESET_CLIENT)
    assert set(client_codes) == {500011, 65001}
    assert client_codes[500011] > client_codes[65001]
    assert len(after) >= 24
    assert sum(failures_by_code(pin, NOW - timedelta(hours=24))[c] for c in CONSENT_CODES) >= 3
    assert "was not found in the tenant named Northwind Traders" in next(
        s["status"]["failureReason"] for s in after if s["status"]["errorCode"] == 500011
    )


def test_client_missing_fails_every_client_signin_across_the_window() -> None:
    tenant = snapshot("client-missing")
    pin = tenant.pin_reset_signins()
    client = [s for s in pin if s["appId"] == PIN_RESET_CLIENT]
    assert client
    assert all(s["status"]["errorCode"] == 700016 for s in client)
    assert min(parse_time(s["createdDateTime"]) for s in client) < NOW - timedelta(days=25)
    assert sum(1 for s in client if parse_time(s["createdDateTime"]) >= NOW - timedelta(hours=24)) >= 3
    assert (
        "Application with identifier '9115dd05-fad5-4f9c-acc7-305d08b1b04e' was not found"
        in (client[0]["status"]["failureReason"])
    )


def test_app_disabled_fails_with_application_disabled_since_it_was_switched_off() -> None:
    tenant = snapshot("app-disabled")
    (update,) = tenant.audits("Update service principal")
    disabled = parse_time(update["activityDateTime"])
    assert timedelta(days=4) < NOW - disabled < timedelta(days=6)
    assert {"displayName": "AccountEnabled", "oldValue": "[true]", "newValue": "[false]"} in update[
        "targetResources"
    ][0]["modifiedProperties"]
    pin = tenant.pin_reset_signins()
    codes_after = Counter(
        s["status"]["errorCode"] for s in pin if parse_time(s["createdDateTime"]) >= disabled
    )
    assert set(codes_after) <= {7000112, 70001}
    assert codes_after[7000112] > codes_after[70001] > 0
    assert (
        not {s["status"]["errorCode"] for s in pin if parse_time(s["createdDateTime"]) < disabled}
        & CONSENT_CODES
    )


def test_failure_spike_follows_a_new_conditional_access_policy() -> None:
    tenant = snapshot("failure-spike")
    (added,) = tenant.audits("Add conditional access policy")
    created = parse_time(added["activityDateTime"])
    assert timedelta(hours=3, minutes=25) <= NOW - created <= timedelta(hours=3, minutes=35)
    pin = tenant.pin_reset_signins()
    spike = failures_by_code(pin, NOW - timedelta(hours=3))
    assert 40 <= sum(spike.values()) <= 55
    assert spike[53003] >= 0.8 * sum(spike.values())
    blocked = [s for s in pin if s["status"]["errorCode"] == 53003]
    assert all(s["conditionalAccessStatus"] == "failure" for s in blocked)
    assert all(
        any(
            p["id"] == added["targetResources"][0]["id"] and p["result"] == "failure"
            for p in s["appliedConditionalAccessPolicies"]
        )
        for s in blocked
    )
    daily = Counter(
        (NOW - parse_time(s["createdDateTime"])).days
        for s in pin
        if s["status"]["errorCode"] and parse_time(s["createdDateTime"]) < created
    )
    assert max(daily.values()) <= 3
    assert sum(1 for day in range(1, 15) if daily.get(day, 0) > 0) >= 5  # a baseline, not silence
    assert {
        c
        for c, n in Counter(
            s["status"]["errorCode"] for s in pin if parse_time(s["createdDateTime"]) < created
        ).items()
        if c
    } >= {50126, 50076}


def test_healthy_tenants_keep_pin_reset_failures_rare_and_old() -> None:
    for name in (
        "healthy",
        "federated-ok",
        "legacy-devices",
        "no-recovery-policy",
        "policy-mistakes",
        "tap-disabled",
        "tap-misconfigured",
        "tap-suspicious",
        "privileged-pim",
        "hybrid-gpo",
        "legacy-intent",
    ):
        pin = snapshot(name).pin_reset_signins()
        failures = [s for s in pin if s["status"]["errorCode"]]
        assert len(failures) <= 0.05 * len(pin), name
        assert not [s for s in failures if parse_time(s["createdDateTime"]) >= NOW - timedelta(hours=12)], (
            name
        )
        assert not {s["status"]["errorCode"] for s in failures} & CONSENT_CODES, name


def test_pin_recovery_is_enabled_a_different_way_in_each_healthy_shape() -> None:
    kinds = {
        c["@odata.type"] for c in snapshot("healthy").device_configurations() if c.get("pinRecoveryEnabled")
    }
    assert kinds == {"#microsoft.graph.windowsIdentityProtectionConfiguration"}
    nested = snapshot("consent-missing").configuration_policies()
    (recovery,) = [p for p in nested if enables_recovery(p)]
    top = recovery["settings"][0]["settingInstance"]
    assert (
        top["@odata.type"] == "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance"
    )
    assert top["settingDefinitionId"] == "device_vendor_msft_passportforwork_{tenantid}"
    (flat,) = [p for p in snapshot("policy-mistakes").configuration_policies() if enables_recovery(p)]
    assert flat["settings"][0]["settingInstance"]["settingDefinitionId"] == (
        "device_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery"
    )
    (account,) = [p for p in snapshot("app-disabled").configuration_policies() if enables_recovery(p)]
    assert account["templateReference"]["templateFamily"] == "endpointSecurityAccountProtection"
    tenant = snapshot("client-missing")
    (oma,) = [
        c for c in tenant.device_configurations() if any(map(is_recovery_oma, c.get("omaSettings", [])))
    ]
    assert oma["@odata.type"] == "#microsoft.graph.windows10CustomConfiguration"
    assert oma["omaSettings"][0]["omaUri"] == (
        f"./Device/Vendor/MSFT/Policy/PassportForWork/{tenant.tenant_id}/Policies/EnablePinRecovery"
    )
    assert oma["omaSettings"][0]["@odata.type"] == "#microsoft.graph.omaSettingBoolean"
    assert oma["omaSettings"][0]["value"] is True
    assert oma["assignments"]


def test_no_recovery_policy_has_recovery_only_off_or_unassigned() -> None:
    tenant = snapshot("no-recovery-policy")
    (template,) = [c for c in tenant.device_configurations() if "pinRecoveryEnabled" in c]
    assert template["pinRecoveryEnabled"] is False
    assert template["assignments"]
    (draft,) = [p for p in tenant.configuration_policies() if enables_recovery(p)]
    assert draft["assignments"] == []
    assert draft["isAssigned"] is False


def test_policy_mistakes_plants_one_mistake_per_profile() -> None:
    tenant = snapshot("policy-mistakes")
    settings = {
        c["displayName"]: c["omaSettings"][0]
        for c in tenant.device_configurations()
        if any(map(is_recovery_oma, c.get("omaSettings", [])))
    }
    assert settings["WIN - Custom - PIN recovery (from blog)"]["omaUri"] == (
        "./Device/Vendor/MSFT/Policy/PassportForWork//Policies/EnablePinRecovery"
    )
    other = settings["WIN - Custom - PIN recovery (copied from lab tenant)"]["omaUri"].split("/")[6]
    assert uuid.UUID(other)
    assert other != tenant.tenant_id
    string = settings["WIN - Custom - PIN recovery (string)"]
    assert string["@odata.type"] == "#microsoft.graph.omaSettingString"
    assert (string["value"], string["isEncrypted"]) == ("****", True)
    assert uuid.UUID(string["secretReferenceValueId"])
    assert settings["WIN - Custom - PIN recovery (pilot rollback)"]["value"] is False
    domains = {d["id"]: d["authenticationType"] for d in tenant.values("v1.0/domains.json")}
    assert domains["litware.fr"] == "Federated"
    assert not any(
        o["omaUri"].endswith("ConfigureWebSignInAllowedUrls")
        for c in tenant.device_configurations()
        for o in c.get("omaSettings", [])
    )


@pytest.mark.parametrize("name", list(tenantgen.BUNDLED))
def test_string_oma_values_are_masked_as_intune_returns_them(name: str) -> None:
    settings = [o for c in snapshot(name).device_configurations() for o in c.get("omaSettings", [])]
    for setting in settings:
        masked = setting["@odata.type"] == "#microsoft.graph.omaSettingString"
        assert setting["isEncrypted"] is masked, setting
        assert (setting["value"] == "****") is masked, setting
        assert (setting["secretReferenceValueId"] is not None) is masked, setting


def test_federated_ok_sets_the_web_signin_urls() -> None:
    tenant = snapshot("federated-ok")
    assert {d["id"]: d["authenticationType"] for d in tenant.values("v1.0/domains.json")}["fabrikam.com"] == (
        "Federated"
    )
    (web,) = [
        c
        for c in tenant.device_configurations()
        if any(o["omaUri"] == tenantgen.WEB_SIGNIN_URLS_URI for o in c.get("omaSettings", []))
    ]
    assert web["assignments"]
    assert web["omaSettings"][0]["@odata.type"] == "#microsoft.graph.omaSettingString"


def test_legacy_devices_mix_capable_and_incapable_builds(
    descriptions: dict[str, tenantgen.TenantDescription],
) -> None:
    planted = descriptions["legacy-devices"].notes["legacy_devices"]
    devices = {d["id"]: d for d in snapshot("legacy-devices").devices()}
    for v in planted:
        device = devices[v["id"]]
        assert (device["osVersion"], device["skuFamily"]) == (v["osVersion"], v["skuFamily"])
        assert non_destructive_capable(device["osVersion"], device["skuFamily"]) is v["nonDestructiveReset"]
    assert sum(not v["nonDestructiveReset"] for v in planted) == 5
    assert sum(v["nonDestructiveReset"] for v in planted) == 4


def test_tap_misconfigured_gives_a_global_admin_a_reusable_day_long_pass() -> None:
    tenant = snapshot("tap-misconfigured")
    policy = tenant.read(TAP_POLICY_PATH)
    assert (
        policy["isUsableOnce"],
        policy["maximumLifetimeInMinutes"],
        policy["defaultLifetimeInMinutes"],
    ) == (False, 1440, 480)
    admins = {
        r["principalId"]
        for r in tenant.values("v1.0/roleManagement/directory/roleAssignments.json")
        if r["roleDefinitionId"] == "62e90394-69f5-4237-9190-012177145e10"
    }
    (audit,) = [
        a for a in tenant.audits("Admin registered security info") if a["targetResources"][0]["id"] in admins
    ]
    admin = audit["targetResources"][0]["id"]
    assert (
        timedelta(days=1, hours=20)
        <= NOW - parse_time(audit["activityDateTime"])
        <= timedelta(days=2, hours=4)
    )
    method = tenant.tap_methods()[admin]
    assert (method["lifetimeInMinutes"], method["isUsableOnce"]) == (1440, False)
    uses = [s for s in tenant.tap_signins() if s["userId"] == admin]
    assert len(uses) >= 2
    assert all(s["status"]["errorCode"] == 0 for s in uses)


def test_tap_disabled_has_no_pass_in_the_window() -> None:
    tenant = snapshot("tap-disabled")
    assert tenant.read(TAP_POLICY_PATH)["state"] == "disabled"
    assert not tenant.audits("Admin registered security info")
    assert not tenant.tap_signins()
    assert not tenant.tap_methods()


def test_tap_suspicious_plants_risk_a_new_country_and_a_failure_burst(
    descriptions: dict[str, tenantgen.TenantDescription],
) -> None:
    notes = descriptions["tap-suspicious"].notes
    tenant = snapshot("tap-suspicious")
    taps = tenant.tap_signins()
    (a,) = [s for s in taps if s["userId"] == notes["user_a_high_risk"]]
    assert (a["riskLevelDuringSignIn"], a["riskState"], a["riskEventTypes_v2"]) == (
        "high",
        "atRisk",
        ["unfamiliarFeatures"],
    )
    (b,) = [s for s in taps if s["userId"] == notes["user_b_new_country"]]
    assert b["location"]["countryOrRegion"] == "NG"
    others = {
        s["location"]["countryOrRegion"]
        for s in tenant.signins()
        if s["userId"] == b["userId"] and s["id"] != b["id"]
    }
    assert others == {"DE"}
    c = sorted(
        (s for s in taps if s["userId"] == notes["user_c_failure_burst"]), key=lambda s: s["createdDateTime"]
    )
    assert [tap_step(s)["succeeded"] for s in c] == [False] * 8 + [True]  # type: ignore[index]
    assert parse_time(c[7]["createdDateTime"]) - parse_time(c[0]["createdDateTime"]) <= timedelta(minutes=10)
    registered = {
        a["targetResources"][0]["id"]: parse_time(a["activityDateTime"])
        for a in tenant.audits("Admin registered security info")
    }
    for s in (a, b, c[0]):
        assert timedelta(0) < parse_time(s["createdDateTime"]) - registered[s["userId"]] < timedelta(hours=1)


def test_no_licence_answers_like_graph_without_p1_and_intune() -> None:
    tenant = snapshot("no-licence")
    responses = {r["path"]: r for r in tenant.read("_simulator.json")["responses"]}
    assert responses["beta/auditLogs/signIns"]["status"] == 403
    assert (
        responses["beta/auditLogs/signIns"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    )
    assert responses["beta/deviceManagement"]["status"] == 400
    assert not (ROOT / "no-licence" / SIGNINS_PATH).exists()
    assert not (ROOT / "no-licence" / "beta" / "deviceManagement").exists()
    sps = {sp["appId"]: sp["accountEnabled"] for sp in tenant.values("v1.0/servicePrincipals.json")}
    assert sps[PIN_RESET_SERVICE] is True
    assert sps[PIN_RESET_CLIENT] is True


def test_privileged_pim_holds_each_role_a_different_way(
    descriptions: dict[str, tenantgen.TenantDescription],
) -> None:
    notes = descriptions["privileged-pim"].notes
    tenant = snapshot("privileged-pim")
    direct = {r["principalId"] for r in tenant.values("v1.0/roleManagement/directory/roleAssignments.json")}
    eligible, activated = notes["pim_eligible_global_admin"], notes["pim_activated_privileged_role_admin"]
    group, member = notes["role_assignable_group"], notes["group_member_with_a_pass"]
    assert eligible not in direct
    assert member not in direct
    assert group in direct
    assert [(e["principalId"], e["roleDefinitionId"]) for e in tenant.values(ELIGIBILITIES)] == [
        (eligible, "62e90394-69f5-4237-9190-012177145e10"),
        (activated, "e8611ab8-c189-46e8-94e1-60213ab1f814"),
    ]
    (activation,) = [i for i in tenant.values(ACTIVE_INSTANCES) if i["assignmentType"] == "Activated"]
    assert (activation["principalId"], activation["memberType"]) == (activated, "Direct")
    assert parse_time(activation["startDateTime"]) < NOW < parse_time(activation["endDateTime"])
    assert parse_time(activation["endDateTime"]) - parse_time(activation["startDateTime"]) == timedelta(
        hours=8
    )
    (role_group,) = [g for g in tenant.values("v1.0/groups.json") if g["isAssignableToRole"]]
    assert (role_group["id"], role_group["securityEnabled"], role_group["mailEnabled"]) == (
        group,
        True,
        False,
    )
    members = tenant.values(GROUP_MEMBERS.format(group))
    assert {m["@odata.type"] for m in members} == {"#microsoft.graph.user"}
    assert member in {m["id"] for m in members}
    issued = {a["targetResources"][0]["id"] for a in tenant.audits("Admin registered security info")}
    assert {eligible, activated, member} <= issued
    assert notes["group_member_without_a_pass"] not in issued
    assert tenant.privileged_holders()[member] == f"group {group}"


def test_hybrid_gpo_has_only_hybrid_joined_windows_devices_and_no_recovery_policy() -> None:
    tenant = snapshot("hybrid-gpo")
    windows = [d for d in tenant.devices() if d["operatingSystem"] == "Windows"]
    assert windows
    assert {d["joinType"] for d in windows} == {"hybridAzureADJoined"}
    assert not any(c.get("pinRecoveryEnabled") for c in tenant.device_configurations())
    assert not any(map(enables_recovery, tenant.configuration_policies()))
    assert not any(
        map(is_recovery_oma, (o for c in tenant.device_configurations() for o in c.get("omaSettings", [])))
    )
    assert not tenant.intents()


def test_legacy_intent_enables_recovery_only_through_an_assigned_account_protection_intent() -> None:
    tenant = snapshot("legacy-intent")
    ((intent, settings, assignments),) = tenant.intents()
    assert (intent["@odata.type"], intent["templateId"], intent["isAssigned"]) == (
        "#microsoft.graph.deviceManagementIntent",
        ACCOUNT_PROTECTION_TEMPLATE,
        True,
    )
    (recovery,) = [s for s in settings if s["definitionId"] == PIN_RECOVERY_SETTING]
    assert recovery == {
        "@odata.type": "#microsoft.graph.deviceManagementBooleanSettingInstance",
        "id": recovery["id"],
        "definitionId": PIN_RECOVERY_SETTING,
        "valueJson": "true",
        "value": True,
    }
    assert all(json.loads(s["valueJson"]) == s["value"] for s in settings)
    (assignment,) = assignments
    assert assignment["target"]["@odata.type"] == "#microsoft.graph.groupAssignmentTarget"
    assert not any(c.get("pinRecoveryEnabled") for c in tenant.device_configurations())
    assert not any(map(enables_recovery, tenant.configuration_policies()))


# --- the load generator ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signins", "tap_users", "share"),
    [(0, 0, 1.0), (1, 1, 1.0), (57, 3, 0.3), (2500, 5, 1.0), (1200, 4, 0.0)],
)
def test_load_tenant_honours_its_counts(tmp_path: Path, signins: int, tap_users: int, share: float) -> None:
    description = tenantgen.write_load_tenant(
        tmp_path, signins=signins, tap_users=tap_users, pin_reset_share=share
    )
    tenant = Snapshot(tmp_path)
    items = tenant.signins()
    assert len(items) == description.signins == signins
    assert len(tenant.pin_reset_signins()) == description.pin_reset_signins == round(signins * share)
    assert len(description.tap_user_ids) == tap_users
    issued = {a["targetResources"][0]["id"] for a in tenant.audits("Admin registered security info")}
    assert issued == set(description.tap_user_ids)
    assert tenant.tenant_id == description.tenant_id
    window = [parse_time(s["createdDateTime"]) for s in items]
    assert all(NOW - timedelta(days=14) <= t <= NOW for t in window)
    if signins >= 2 * 3 * tap_users:
        assert {s["userId"] for s in tenant.tap_signins()} == set(description.tap_user_ids)
        assert len(tenant.tap_signins()) == description.tap_signins


@pytest.mark.parametrize("tap_users", [50, 500, 2000])
def test_load_tenant_gives_each_of_an_onboarding_wave_a_pass_and_a_tap_signin(tap_users: int) -> None:
    tenant = tenantgen.load_tenant(signins=12_000, tap_users=tap_users)
    description = tenant.description
    assert len(set(description.tap_user_ids)) == tap_users
    audits = tenant.documents[AUDITS_PATH]["value"]
    issued = [a for a in audits if a["activityDisplayName"] == "Admin registered security info"]
    assert len(issued) == tap_users
    assert description.signins == 12_000
    assert tap_users <= description.tap_signins <= 3 * tap_users


def test_load_tenant_is_deterministic(tmp_path: Path) -> None:
    first = tenantgen.render(tenantgen.load_tenant(signins=800, tap_users=2, pin_reset_share=0.5).documents)
    second = tenantgen.render(tenantgen.load_tenant(signins=800, tap_users=2, pin_reset_share=0.5).documents)
    other = tenantgen.render(
        tenantgen.load_tenant(signins=800, tap_users=2, pin_reset_share=0.5, seed=1).documents
    )
    assert first == second
    assert first[SIGNINS_PATH] != other[SIGNINS_PATH]


def test_load_cli_writes_the_requested_tenant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "load"
    assert (
        generate.main(
            ["--load", str(out), "--signins", "300", "--tap-users", "2", "--pin-reset-share", "0.5"]
        )
        == 0
    )
    assert "300 sign-ins" in capsys.readouterr().out
    tenant = Snapshot(out)
    assert len(tenant.signins()) == 300
    assert len(tenant.pin_reset_signins()) == 150
    assert len(tenant.audits("Admin registered security info")) == 2


def test_load_cli_rejects_bad_arguments() -> None:
    with pytest.raises(SystemExit):
        generate.main(["--load", "/tmp/x"])
    with pytest.raises(SystemExit):
        generate.main(["--load", "/tmp/x", "--signins", "10", "--pin-reset-share", "1.5"])
    with pytest.raises(ValueError, match="pin_reset_share"):
        tenantgen.load_tenant(signins=10, pin_reset_share=-0.1)


def test_consent_missing_fixed_is_the_same_tenant_with_the_service_app_consented_again() -> None:
    from examples.scenarios.consent_missing import CONSENT_RESTORED_AGO

    broken = tenantgen.generate_tenant("consent-missing")
    fixed = tenantgen.generate_tenant("consent-missing-fixed")

    assert fixed.description.tenant_id == broken.description.tenant_id
    assert fixed.documents["v1.0/users.json"] == broken.documents["v1.0/users.json"]
    apps = {sp["appId"]: sp for sp in fixed.documents["v1.0/servicePrincipals.json"]["value"]}
    assert apps[PIN_RESET_SERVICE]["accountEnabled"] is True
    restored = NOW - CONSENT_RESTORED_AGO
    pin = [s for s in fixed.documents[SIGNINS_PATH]["value"] if s["appId"] in PIN_APPS]
    assert pin
    assert all(s["status"]["errorCode"] == 0 for s in pin if parse_time(s["createdDateTime"]) >= restored)
    activities = [a["activityDisplayName"] for a in fixed.documents[AUDITS_PATH]["value"]]
    assert {"Delete service principal", "Add service principal", "Consent to application"} <= set(activities)
