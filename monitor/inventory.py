"""What the monitor records of the tenant's configuration each pass, for reports and "what changed".

Each function turns records into `key -> state`; the store keeps the state and when it last changed.
States leave out what changes every pass (a device's last sync time), so an unchanged tenant writes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from monitor.records import DevicePolicy, ManagedDevice, TapPolicy, TenantDomain
from monitor.windows_editions import non_destructive_reset

State = Mapping[str, Any]


def devices(found: Iterable[ManagedDevice]) -> dict[str, State]:
    states: dict[str, State] = {}
    for d in found:
        support = non_destructive_reset(d.os_version, d.sku_family, d.sku_number)
        states[d.id] = {
            "name": d.name,
            "userPrincipalName": d.user_principal_name,
            "azureADDeviceId": d.azure_ad_device_id,
            "osVersion": d.os_version,
            "release": support.release,
            "edition": str(support.edition),
            "joinType": d.join_type,
            # True, False, or None when the edition or build is unknown
            "nonDestructiveReset": support.supported,
        }
    return states


def policies(found: Iterable[DevicePolicy]) -> dict[str, State]:
    return {
        p.id: {
            "name": p.name,
            "kind": p.kind,
            "odataType": p.odata_type,
            "template": p.template,
            "targets": list(p.targets),
            "pinRecoveryEnabled": p.pin_recovery_enabled,
            "pinMinimumLength": p.pin_minimum_length,
            "omaSettings": [
                {"omaUri": o.oma_uri, "type": o.odata_type, "value": None if o.is_encrypted else o.value}
                for o in p.oma_settings
            ],
            "settings": {s.definition_id: _plain(s.value) for s in p.catalog_settings},
        }
        for p in found
    }


def tap_policy_state(policy: TapPolicy) -> dict[str, Any]:
    """The TAP policy in Graph's property names (also the evidence of the tap.policy rules)."""
    return {
        "state": policy.state,
        "isUsableOnce": policy.is_usable_once,
        "defaultLifetimeInMinutes": policy.default_lifetime_minutes,
        "minimumLifetimeInMinutes": policy.minimum_lifetime_minutes,
        "maximumLifetimeInMinutes": policy.maximum_lifetime_minutes,
        "defaultLength": policy.default_length,
        "includeTargets": list(policy.include_targets),
    }


def tap_policy(policy: TapPolicy) -> dict[str, State]:
    return {"TemporaryAccessPass": tap_policy_state(policy)}


def domains(found: Iterable[TenantDomain]) -> dict[str, State]:
    return {d.name: {"authenticationType": d.authentication_type, "isVerified": d.is_verified} for d in found}


def _plain(value: object) -> Any:
    """A settings value as JSON can hold it (collections of strings come as tuples)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
