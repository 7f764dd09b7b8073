"""policy.pin-recovery.oma-uri-invalid: a custom EnablePinRecovery OMA-URI that cannot work as written."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from monitor.entra import PIN_RESET_DOC
from monitor.records import TenantFacts
from monitor.rules.base import Case, Finding, Outcome, Rule, failed, passed
from monitor.rules.cases import TENANT, healthy, unavailable
from monitor.rules.catalog._intune import (
    INTUNE_CUSTOM_PROFILE_DOC,
    PASSPORT_CSP_DOC,
    enable_pin_recovery_settings,
    mistakes_text,
    oma_mistakes,
    shown_value,
)
from monitor.rules.intune_cases import (
    OTHER_TENANT,
    STRING,
    custom_profile,
    pin_recovery_oma,
    pin_recovery_profile,
    policies,
)
from monitor.thresholds import Thresholds

RULE = Rule(
    id="policy.pin-recovery.oma-uri-invalid",
    title="Custom OMA-URI for PIN recovery is invalid",
    severity="medium",
    subject="policy",
    rationale=(
        "Microsoft's PIN reset page (seed 001) documents the custom profile as OMA-URI "
        "./Vendor/MSFT/Policy/PassportForWork/TenantId/Policies/EnablePinRecovery, data type Boolean, "
        "value True, and says to replace TenantId with the tenant's ID. Seed 002 reports that copying "
        "the URI as the docs showed it (PassportForWork//Policies) does not work: it must carry the "
        "directory ID, and True must be a Boolean. Seed 003 shows the literal TenantId placeholder in "
        "the wild. A profile with any of these mistakes is applied 'successfully' yet enables nothing: "
        "the CSP node of another (or no) tenant is written. Medium when assigned, low when not."
    ),
    remediation=(
        "In the Intune admin center, open Devices > Windows > Configuration, select the profile named "
        "in the finding, and edit its EnablePinRecovery row: OMA-URI "
        "./Device/Vendor/MSFT/Policy/PassportForWork/<your tenant ID>/Policies/EnablePinRecovery with "
        "the tenant ID from the evidence (Entra admin center > Overview > Tenant ID, no braces), data "
        "type Boolean, value True. Or retire the custom profile and use the settings catalog instead "
        "(Windows Hello For Business > Enable Pin Recovery = true), which needs no tenant ID."
    ),
    references=(
        PIN_RESET_DOC,
        PASSPORT_CSP_DOC,
        INTUNE_CUSTOM_PROFILE_DOC,
        "seeds/002_1d38b1e4fdd48f70.txt (the OMA-URI must carry the directory ID; True is a Boolean)",
        "seeds/003_b47aee5c928e364e.txt (the TenantId placeholder; settings catalog instead of OMA-URI)",
    ),
)


def _setting_json(oma_uri: str, odata_type: str, value: object, mistakes: tuple[str, ...]) -> dict[str, Any]:
    shown = value if isinstance(value, (bool, int, float, str)) or value is None else repr(value)
    return {"omaUri": oma_uri, "dataType": odata_type, "value": shown, "mistakes": [str(m) for m in mistakes]}


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    tenant_id = facts.tenant.id
    findings: list[Finding] = []
    checked = 0
    for policy in facts.device_policies.get():
        settings = enable_pin_recovery_settings(policy)
        checked += len(settings)
        judged = [(s, oma_mistakes(s, tenant_id)) for s in settings]
        invalid = [(s, m) for s, m in judged if m]
        if not invalid:
            continue
        rows = [_setting_json(s.oma_uri, s.odata_type, shown_value(s), tuple(m)) for s, m in invalid]
        mistakes = list(dict.fromkeys(m for _, found in invalid for m in found))
        first = rows[0]
        evidence: dict[str, Any] = {
            "policyId": policy.id,
            "policyName": policy.name,
            "assigned": policy.assigned,
            "targets": list(policy.targets),
            "expectedTenantId": tenant_id,
            "omaUri": first["omaUri"],
            "dataType": first["dataType"],
            "value": first["value"],
            "mistakes": [str(m) for m in mistakes],
        }
        if len(rows) > 1:
            evidence["settings"] = rows
        where = "assigned" if policy.assigned else "not assigned"
        detail = (
            f"Custom profile '{policy.name or policy.id}' ({where}) sets EnablePinRecovery with OMA-URI "
            f"{first['omaUri']} ({first['dataType'] or 'no data type'}) = "
            f"{first['value'] if invalid[0][0].is_encrypted else repr(first['value'])}, which does "
            f"not enable PIN recovery for tenant {tenant_id}: {mistakes_text(mistakes)}."
        )
        findings.append(
            RULE.finding(policy.id, detail, evidence, severity="medium" if policy.assigned else "low")
        )
    if not findings:
        return passed(f"{checked} EnablePinRecovery OMA-URI setting(s) checked, none invalid")
    return failed(findings, f"{len(findings)} custom profile(s) with an invalid EnablePinRecovery OMA-URI")


# --- cases ------------------------------------------------------------------------------------------

PFW = "./Device/Vendor/MSFT/Policy/PassportForWork"


def _evidence_of(policy_id: str, findings: tuple[Finding, ...]) -> dict[str, Any]:
    return dict(next(f for f in findings if f.subject == policy_id).evidence)


def _missing_tenant(findings: tuple[Finding, ...]) -> None:
    evidence = _evidence_of("oma-gap", findings)
    assert evidence == {
        "policyId": "oma-gap",
        "policyName": "WIN - Custom - PIN recovery",
        "assigned": True,
        "targets": ["all devices"],
        "expectedTenantId": TENANT.id,
        "omaUri": f"{PFW}//Policies/EnablePinRecovery",
        "dataType": "#microsoft.graph.omaSettingBoolean",
        "value": True,
        "mistakes": ["tenant-id-missing"],
    }, evidence
    assert findings[0].severity == "medium"


def _each_mistake(findings: tuple[Finding, ...]) -> None:
    mistakes = {f.subject: f.evidence["mistakes"] for f in findings}
    assert mistakes == {
        "oma-placeholder": ["tenant-id-placeholder"],
        "oma-braced-placeholder": ["tenant-id-placeholder"],
        "oma-braces": ["tenant-id-in-braces"],
        "oma-other": ["other-tenant"],
        "oma-domain": ["not-a-tenant-id"],
        "oma-string": ["not-boolean"],
        "oma-false": ["not-true"],
        "oma-string-false": ["not-boolean", "not-true"],
    }, mistakes


def _all_mistakes_of_one_policy(findings: tuple[Finding, ...]) -> None:
    (finding,) = findings
    assert finding.evidence["mistakes"] == ["tenant-id-missing", "not-boolean", "other-tenant", "not-true"]
    assert [row["omaUri"] for row in finding.evidence["settings"]] == [
        "./Vendor/MSFT/Policy/PassportForWork//Policies/EnablePinRecovery",
        f"{PFW}/{OTHER_TENANT}/Policies/EnablePinRecovery",
    ]
    assert "the tenant ID segment is empty (PassportForWork//Policies); the data type is not Boolean" in (
        finding.detail
    ), finding.detail


def _masked_string_is_only_not_boolean(findings: tuple[Finding, ...]) -> None:
    (finding,) = findings
    assert finding.evidence["mistakes"] == ["not-boolean"], finding.evidence
    assert finding.evidence["value"] == "(encrypted: Intune shows '****')", finding.evidence
    assert "the data type is not Boolean." in finding.detail, finding.detail
    assert "not true" not in finding.detail, finding.detail


def _unassigned_is_low(findings: tuple[Finding, ...]) -> None:
    (finding,) = findings
    assert (finding.severity, finding.evidence["assigned"], finding.evidence["targets"]) == ("low", False, [])
    assert "(not assigned)" in finding.detail


CASES = (
    Case("passes when there is no custom profile", healthy(), "pass"),
    Case(
        "passes with a valid OMA-URI in each accepted form",
        healthy(
            device_policies=policies(
                pin_recovery_profile("oma-device"),
                pin_recovery_profile(
                    "oma-vendor",
                    f"./Vendor/MSFT/Policy/PassportForWork/{TENANT.id}/Policies/EnablePinRecovery",
                ),
                pin_recovery_profile(
                    "oma-user", f"./User/Vendor/MSFT/PassportForWork/{TENANT.id}/Policies/EnablePinRecovery"
                ),
                pin_recovery_profile(
                    "oma-case",
                    f"./device/vendor/msft/policy/passportforwork/{TENANT.id.upper()}/policies/enablepinrecovery",
                ),
            )
        ),
        "pass",
    ),
    Case(
        "fails when the tenant ID is left out (seed 002), with the exact evidence",
        healthy(
            device_policies=policies(pin_recovery_profile("oma-gap", f"{PFW}//Policies/EnablePinRecovery"))
        ),
        "fail",
        ("oma-gap",),
        check=_missing_tenant,
    ),
    Case(
        "fails once per profile for each kind of mistake",
        healthy(
            device_policies=policies(
                pin_recovery_profile(
                    "oma-placeholder",
                    "./Vendor/MSFT/Policy/PassportForWork/TenantId/Policies/EnablePinRecovery",
                ),
                pin_recovery_profile(
                    "oma-braced-placeholder", f"{PFW}/{{TenantId}}/Policies/EnablePinRecovery"
                ),
                pin_recovery_profile("oma-braces", f"{PFW}/{{{TENANT.id}}}/Policies/EnablePinRecovery"),
                pin_recovery_profile("oma-other", f"{PFW}/{OTHER_TENANT}/Policies/EnablePinRecovery"),
                pin_recovery_profile(
                    "oma-domain", f"{PFW}/contoso.onmicrosoft.com/Policies/EnablePinRecovery"
                ),
                pin_recovery_profile("oma-string", odata_type=STRING, value="true"),
                pin_recovery_profile("oma-false", value=False),
                pin_recovery_profile("oma-string-false", odata_type=STRING, value="False"),
            )
        ),
        "fail",
        (
            "oma-placeholder",
            "oma-braced-placeholder",
            "oma-braces",
            "oma-other",
            "oma-domain",
            "oma-string",
            "oma-false",
            "oma-string-false",
        ),
        check=_each_mistake,
    ),
    Case(
        "lists every mistake of a profile in one finding",
        healthy(
            device_policies=policies(
                custom_profile(
                    "oma-two",
                    pin_recovery_oma(
                        "./Vendor/MSFT/Policy/PassportForWork//Policies/EnablePinRecovery", STRING, "true"
                    ),
                    pin_recovery_oma(f"{PFW}/{OTHER_TENANT}/Policies/EnablePinRecovery", value=0),
                )
            )
        ),
        "fail",
        ("oma-two",),
        check=_all_mistakes_of_one_policy,
    ),
    Case(
        "fails a String EnablePinRecovery that Intune masks as '****' for its type only",
        healthy(
            device_policies=policies(
                custom_profile(
                    "oma-masked",
                    replace(pin_recovery_oma(odata_type=STRING, value="****"), is_encrypted=True),
                )
            )
        ),
        "fail",
        ("oma-masked",),
        check=_masked_string_is_only_not_boolean,
    ),
    Case(
        "is low when the profile is not assigned (or only excludes groups)",
        healthy(device_policies=policies(pin_recovery_profile("oma-draft", value=False, targets=()))),
        "fail",
        ("oma-draft",),
        check=_unassigned_is_low,
    ),
    Case(
        "is skipped without DeviceManagementConfiguration.Read.All",
        healthy(
            device_policies=unavailable(
                "skipped", "permission missing: DeviceManagementConfiguration.Read.All"
            )
        ),
        "skipped",
    ),
)
