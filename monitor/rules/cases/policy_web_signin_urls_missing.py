"""The own test cases of policy.web-signin-urls.missing."""

from __future__ import annotations

from monitor.records import CatalogSetting
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import TENANT, healthy, unavailable
from monitor.rules.cases._intune import (
    PILOT_GROUP,
    WEB_SIGNIN_SETTING,
    catalog_policy,
    federated,
    policies,
    web_signin_profile,
)


def _names_domains(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    assert evidence == {
        "federatedDomains": ["fabrikam.com", "litware.fr"],
        "webSignInPolicies": [],
        "activeAzureADJoinedDevices": 2,
    }, evidence


def _says_why_not(findings: tuple[Finding, ...]) -> None:
    why = {p["id"]: (p["value"], p["why"]) for p in findings[0].evidence["webSignInPolicies"]}
    assert why == {
        "ws-draft": (
            "sts.fabrikam.com;login.fabrikam.com",
            "it is not assigned (no included group, all devices or all users; exclusions do not count)",
        ),
        "ws-empty": ("", "the allowed URLs are empty"),
        "ws-catalog-empty": ("", "the allowed URLs are empty"),
    }, why


CASES = (
    Case("passes when no domain is federated", healthy(), "pass"),
    Case(
        "passes when no domain is federated, even without Intune",
        healthy(device_policies=unavailable("skipped", "licence missing: needs Microsoft Intune")),
        "pass",
    ),
    Case(
        "passes with an assigned custom OMA-URI",
        healthy(domains=federated("fabrikam.com"), device_policies=policies(web_signin_profile("ws-1"))),
        "pass",
    ),
    Case(
        "passes with the ./Device form and a value Intune keeps encrypted",
        healthy(
            domains=federated("fabrikam.com"),
            device_policies=policies(
                web_signin_profile(
                    "ws-2",
                    "****",
                    oma_uri="./Device/Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls",
                    encrypted=True,
                )
            ),
        ),
        "pass",
    ),
    Case(
        "passes with an assigned settings catalog list",
        healthy(
            domains=federated("fabrikam.com"),
            device_policies=policies(
                catalog_policy(
                    "ws-sc",
                    CatalogSetting(WEB_SIGNIN_SETTING, ("sts.fabrikam.com", "login.fabrikam.com")),
                    targets=(PILOT_GROUP,),
                )
            ),
        ),
        "pass",
    ),
    Case(
        "fails for federated domains with no policy, naming them",
        healthy(domains=federated("fabrikam.com", "litware.fr")),
        "fail",
        (TENANT.id,),
        check=_names_domains,
    ),
    Case(
        "fails when the policies that set it are unassigned or empty",
        healthy(
            domains=federated("fabrikam.com"),
            device_policies=policies(
                web_signin_profile("ws-draft", targets=()),
                web_signin_profile("ws-empty", "  "),
                catalog_policy("ws-catalog-empty", CatalogSetting(WEB_SIGNIN_SETTING, "")),
            ),
        ),
        "fail",
        (TENANT.id,),
        check=_says_why_not,
    ),
    Case(
        "is skipped when domains cannot be read",
        healthy(domains=unavailable("skipped", "permission missing: Domain.Read.All")),
        "skipped",
    ),
    Case(
        "is skipped for a federated tenant without Intune",
        healthy(domains=federated("fabrikam.com"), device_policies=unavailable("skipped", "licence missing")),
        "skipped",
    ),
)
BASE = healthy(domains=federated("fabrikam.com"))
