"""policy.web-signin-urls.missing: a federated tenant, no assigned ConfigureWebSignInAllowedUrls policy."""

from __future__ import annotations

from typing import Any

from monitor.entra import PIN_RESET_DOC
from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._intune import (
    INTUNE_CUSTOM_PROFILE_DOC,
    SETTINGS_CATALOG_DOC,
    WEB_SIGNIN_CSP_DOC,
    device_activity,
    web_signin_policies,
)
from monitor.thresholds import Thresholds

RULE = Rule(
    id="policy.web-signin-urls.missing",
    title="Federated tenant without web sign-in allowed URLs for PIN reset",
    severity="medium",
    subject="tenant",
    rationale=(
        "Microsoft's PIN reset page ('Configure Web Sign-in Allowed URLs for Third Party "
        "Identity Providers on Azure AD Joined Devices'): PIN reset on Entra joined devices runs in web "
        "sign-in, which only navigates to allowed domains. When a domain is federated to AD FS or another "
        "identity provider, the ConfigureWebSignInAllowedUrls policy must list that provider's hosts, or "
        "the reset shows 'We can't open that page right now'."
    ),
    remediation=(
        "Find the sign-in hosts of your identity provider (for AD FS, the federation service name, "
        "e.g. sts.contoso.com; add any other host its pages load). In the Intune admin center, create a "
        "Settings catalog policy for Windows 10 and later with Authentication > Configure Web Sign In "
        "Allowed Urls set to those hosts, semicolon-separated (for example "
        "sts.contoso.com;login.contoso.com), or a custom profile with OMA-URI "
        "./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls, data type String, "
        "and the same value. Assign it to the groups holding your Entra joined Windows devices."
    ),
    reads=("domains", "device_policies"),
    also_reads=("windows_devices",),
    references=(
        PIN_RESET_DOC,
        WEB_SIGNIN_CSP_DOC,
        SETTINGS_CATALOG_DOC,
        INTUNE_CUSTOM_PROFILE_DOC,
    ),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    domains = [d.name for d in facts.domains.get() if d.federated]
    if not domains:
        return passed("no domain of the tenant is federated")
    related = web_signin_policies(facts.device_policies.get())
    counting = [p for p in related if p.counts]
    if counting:
        names = ", ".join(p.policy.name or p.policy.id for p in counting)
        return passed(f"{len(domains)} federated domain(s); web sign-in allowed URLs set by {names}")
    evidence: dict[str, Any] = {
        "federatedDomains": domains,
        "webSignInPolicies": [p.to_json() for p in related],
    }
    joined = ""
    if facts.windows_devices.available:
        # The setting matters for Entra joined devices (Microsoft's PIN reset page): say how many there
        # are, when known.
        active = device_activity(facts, thresholds).active
        count = sum(1 for d in active if d.join_type.lower() == "azureadjoined")
        evidence["activeAzureADJoinedDevices"] = count
        joined = f" {count} active Entra joined Windows device(s) are affected."
    detail = (
        f"Domain(s) {', '.join(domains)} are federated, but no assigned Intune policy sets "
        "ConfigureWebSignInAllowedUrls, so PIN reset from the lock screen of an Entra joined device "
        "cannot load the identity provider's sign-in page ('We can't open that page right now')." + joined
    )
    if related:
        detail += " Policies that set it but do not count: " + "; ".join(
            f"{p.policy.name or p.policy.id}: {p.why}" for p in related
        )
    return failed(
        [RULE.finding(facts.tenant.id, detail, evidence)],
        f"{len(domains)} federated domain(s), no assigned ConfigureWebSignInAllowedUrls",
    )


# --- cases ------------------------------------------------------------------------------------------
