"""The bundled tenant `federated-ok`."""

from __future__ import annotations

from datetime import UTC, datetime

from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


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
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    routine_taps(b, (25, 12, 2))
    recovery = b.recovery_oma(
        oma_uri=f"./Vendor/MSFT/Policy/PassportForWork/{b.tenant_id}/Policies/EnablePinRecovery"
    )
    web = b.web_signin_urls("adfs.fabrikam.com;login.fabrikam.com")
    b.notes |= {"recovery_profile": recovery["id"], "web_signin_profile": web["id"]}
    return b.build(Expectations())
