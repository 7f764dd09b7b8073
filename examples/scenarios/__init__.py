"""The bundled tenants, one story per module; each module's function returns its GeneratedTenant.

BUNDLED is the order of examples/tenants/README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from examples.builder.model import GeneratedTenant
from examples.scenarios.app_disabled import app_disabled
from examples.scenarios.client_missing import client_missing
from examples.scenarios.consent_missing import consent_missing, consent_missing_fixed
from examples.scenarios.failure_spike import failure_spike
from examples.scenarios.federated_ok import federated_ok
from examples.scenarios.healthy import healthy
from examples.scenarios.hybrid_gpo import hybrid_gpo
from examples.scenarios.legacy_devices import legacy_devices
from examples.scenarios.legacy_intent import legacy_intent
from examples.scenarios.no_licence import no_licence
from examples.scenarios.no_recovery_policy import no_recovery_policy
from examples.scenarios.policy_mistakes import policy_mistakes
from examples.scenarios.privileged_pim import privileged_pim
from examples.scenarios.tap_disabled import tap_disabled
from examples.scenarios.tap_misconfigured import tap_misconfigured
from examples.scenarios.tap_suspicious import tap_suspicious

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
    "privileged-pim": privileged_pim,
    "hybrid-gpo": hybrid_gpo,
    "legacy-intent": legacy_intent,
}
