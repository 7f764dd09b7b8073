"""The own test cases of policy.pin-recovery.oma-uri-invalid."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import TENANT, healthy, unavailable
from monitor.rules.cases._intune import (
    OTHER_TENANT,
    STRING,
    custom_profile,
    pin_recovery_oma,
    pin_recovery_profile,
    policies,
)

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
        "fails when the tenant ID is left out (PassportForWork//Policies), with the exact evidence",
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
