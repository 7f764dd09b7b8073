"""What many bundled tenants share: everyday activity and routine passes from the helpdesk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Final

from examples.builder.constants import (
    PIN_RESET_CLIENT,
    PIN_RESET_CLIENT_NAME,
    PIN_RESET_SERVICE,
    PIN_RESET_SERVICE_NAME,
)
from examples.builder.model import Person, TapIssuance
from examples.builder.reference import App
from examples.builder.tenant import TenantBuilder

SERVICE_APP: Final = App(PIN_RESET_SERVICE, PIN_RESET_SERVICE_NAME)
CLIENT_APP: Final = App(PIN_RESET_CLIENT, PIN_RESET_CLIENT_NAME)


def everyday(b: TenantBuilder) -> None:
    """What every tenant has: everyday sign-ins and audits, and Intune profiles unrelated to PIN reset."""
    b.add_noise_signins(b.spec.noise_signins)
    b.add_noise_audits(b.spec.noise_audits)
    if b.spec.devices:
        b.add_intune_noise()


def routine_taps(
    b: TenantBuilder,
    days_ago: Sequence[int],
    *,
    pin_reset_with_tap: bool = True,
    exclude: Iterable[Person] = (),
) -> list[TapIssuance]:
    """The helpdesk gives a few ordinary users a pass to re-register their Authenticator; one of them also
    resets the Windows Hello PIN with it.

    https://learn.microsoft.com/entra/identity/authentication/howto-authentication-temporary-access-pass
    """
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


def subjects(people: Iterable[Person]) -> list[str]:
    return [p.id for p in people]
