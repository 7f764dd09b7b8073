"""policy.pin-recovery.oma-uri-invalid: a custom EnablePinRecovery OMA-URI that cannot work as written."""

from __future__ import annotations

from typing import Any

from monitor.entra import PIN_RESET_DOC
from monitor.records import TenantFacts
from monitor.rules.base import Finding, Outcome, Rule, failed, passed
from monitor.rules.catalog._intune import (
    INTUNE_CUSTOM_PROFILE_DOC,
    PASSPORT_CSP_DOC,
    enable_pin_recovery_settings,
    mistakes_text,
    oma_mistakes,
)
from monitor.thresholds import Thresholds

RULE = Rule(
    id="policy.pin-recovery.oma-uri-invalid",
    title="Custom OMA-URI for PIN recovery is invalid",
    severity="medium",
    subject="policy",
    rationale=(
        "Microsoft's PIN reset page documents the custom profile as OMA-URI "
        "./Vendor/MSFT/Policy/PassportForWork/TenantId/Policies/EnablePinRecovery, data type Boolean, value "
        "True, and says to replace TenantId with the tenant's ID. The article 'Intune – Passcode Reset and "
        "Microsoft PIN Reset Service' reports that copying the URI as the docs showed it "
        "(PassportForWork//Policies) does not work: it must carry the directory ID, and True must be a "
        "Boolean. The article 'Enable PIN reset' shows the literal TenantId placeholder in the wild. A "
        "profile with any of these mistakes is applied 'successfully' yet enables nothing: the CSP node of "
        "another (or no) tenant is written. Medium when assigned, low when not."
    ),
    remediation=(
        "In the Intune admin center, open Devices > Windows > Configuration, select the profile named "
        "in the finding, and edit its EnablePinRecovery row: OMA-URI "
        "./Device/Vendor/MSFT/Policy/PassportForWork/<your tenant ID>/Policies/EnablePinRecovery with "
        "the tenant ID from the evidence (Entra admin center > Overview > Tenant ID, no braces), data "
        "type Boolean, value True. Or retire the custom profile and use the settings catalog instead "
        "(Windows Hello For Business > Enable Pin Recovery = true), which needs no tenant ID."
    ),
    reads=("device_policies",),
    references=(
        PIN_RESET_DOC,
        PASSPORT_CSP_DOC,
        INTUNE_CUSTOM_PROFILE_DOC,
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
        rows = [_setting_json(s.oma_uri, s.odata_type, s.value, tuple(m)) for s, m in invalid]
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
            f"{first['omaUri']} ({first['dataType'] or 'no data type'}) = {first['value']!r}, which does "
            f"not enable PIN recovery for tenant {tenant_id}: {mistakes_text(mistakes)}."
        )
        findings.append(
            RULE.finding(policy.id, detail, evidence, severity="medium" if policy.assigned else "low")
        )
    if not findings:
        return passed(f"{checked} EnablePinRecovery OMA-URI setting(s) checked, none invalid")
    return failed(findings, f"{len(findings)} custom profile(s) with an invalid EnablePinRecovery OMA-URI")


# --- cases ------------------------------------------------------------------------------------------
