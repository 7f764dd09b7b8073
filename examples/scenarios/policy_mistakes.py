"""The bundled tenant `policy-mistakes`."""

from __future__ import annotations

from datetime import UTC, datetime

from examples.builder.graph import group_target
from examples.builder.ids import guid
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def policy_mistakes() -> GeneratedTenant:
    spec = TenantSpec(
        name="policy-mistakes",
        display_name="Litware Inc",
        story=(
            "A valid assigned settings catalog policy (flat form) enables PIN recovery, but four assigned"
            " custom OMA-URI profiles each get EnablePinRecovery wrong (tenant ID left out, another "
            "tenant's ID, a String instead of a Boolean (Graph returns its value masked as '****'), "
            "Boolean false); litware.fr is federated to AD FS and no profile sets "
            "ConfigureWebSignInAllowedUrls."
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
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    routine_taps(b, (19, 8))
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
