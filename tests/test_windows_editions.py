"""Windows releases, editions and the PassportForWork OMA-URI: the facts the Intune rules judge by."""

from __future__ import annotations

import pytest

from monitor.windows_editions import (
    Edition,
    OmaMistake,
    WindowsVersion,
    device_edition,
    edition_from_family,
    enable_pin_recovery_mistakes,
    enable_pin_recovery_tenant,
    is_web_signin_urls_uri,
    non_destructive_reset,
    parse_os_version,
)

TENANT_ID = "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a"
OTHER_TENANT = "9f3e7a21-5c4b-4d2e-8a6f-1b2c3d4e5f60"
BOOLEAN = "#microsoft.graph.omaSettingBoolean"
STRING = "#microsoft.graph.omaSettingString"


@pytest.mark.parametrize(
    ("os_version", "release"),
    [
        ("10.0.10240.20826", "Windows 10 1507"),
        ("10.0.15063.2679", "Windows 10 1703"),
        ("10.0.16299.2166", "Windows 10 1709"),
        ("10.0.17134.2208", "Windows 10 1803"),
        ("10.0.17763.6414", "Windows 10 1809"),
        ("10.0.18362.1256", "Windows 10 1903"),
        ("10.0.18363.2274", "Windows 10 1909"),
        ("10.0.19041.1415", "Windows 10 2004"),
        ("10.0.19042.2965", "Windows 10 20H2"),
        ("10.0.19043.2364", "Windows 10 21H1"),
        ("10.0.19044.5131", "Windows 10 21H2"),
        ("10.0.19045.3693", "Windows 10 22H2"),
        ("10.0.22000.2538", "Windows 11 21H2"),
        ("10.0.22621.4460", "Windows 11 22H2"),
        ("10.0.22631.4460", "Windows 11 23H2"),
        ("10.0.26100.2314", "Windows 11 24H2"),
        ("10.0.27764.1000", "Windows 11 (build 27764)"),
        ("10.0.18990.1", "Windows 10 (build 18990)"),
        ("6.3.9600.20778", "Windows 8.1"),
        ("10.0.19045", "Windows 10 22H2"),
    ],
)
def test_builds_name_their_release(os_version: str, release: str) -> None:
    version = parse_os_version(os_version)
    assert version is not None
    assert version.release == release


def test_an_os_version_is_parsed_into_its_numbers() -> None:
    assert parse_os_version(" 10.0.19045.3693 ") == WindowsVersion(10, 0, 19045, 3693)
    assert parse_os_version("10.0.19045") == WindowsVersion(10, 0, 19045, None)


@pytest.mark.parametrize("os_version", ["", "Windows 10", "10.0", "10.0.x.1", "10.0.19045.3693.7"])
def test_what_is_not_a_version_number_is_none(os_version: str) -> None:
    assert parse_os_version(os_version) is None


@pytest.mark.parametrize(
    ("sku_family", "edition"),
    [
        ("Enterprise", Edition.ENTERPRISE),
        ("EnterpriseN", Edition.ENTERPRISE),
        ("EnterpriseS", Edition.ENTERPRISE),
        ("Windows 10 Enterprise LTSC", Edition.ENTERPRISE),
        ("IoTEnterprise", Edition.ENTERPRISE),
        ("ServerRdsh", Edition.ENTERPRISE),
        ("Education", Edition.EDUCATION),
        ("EducationN", Edition.EDUCATION),
        ("Professional", Edition.PRO),
        ("Pro", Edition.PRO),
        ("ProfessionalN", Edition.PRO),
        ("Windows 11 Pro", Edition.PRO),
        ("ProfessionalEducation", Edition.PRO_EDUCATION),
        ("Pro Education", Edition.PRO_EDUCATION),
        ("ProfessionalWorkstation", Edition.PRO_WORKSTATION),
        ("Pro for Workstations", Edition.PRO_WORKSTATION),
        ("Core", Edition.HOME),
        ("CoreSingleLanguage", Edition.HOME),
        ("Home", Edition.HOME),
        ("", Edition.UNKNOWN),
        ("ServerDatacenter", Edition.UNKNOWN),
        ("Holographic", Edition.UNKNOWN),
        ("PPIPro", Edition.UNKNOWN),
        ("CloudEdition", Edition.UNKNOWN),
    ],
)
def test_sku_family_strings_are_read_loosely(sku_family: str, edition: Edition) -> None:
    assert edition_from_family(sku_family) is edition


def test_sku_number_backs_up_a_missing_or_unknown_sku_family() -> None:
    assert device_edition("", 4) is Edition.ENTERPRISE
    assert device_edition("Unrecognised", 48) is Edition.PRO
    assert device_edition("", 101) is Edition.HOME
    assert device_edition("", 164) is Edition.PRO_EDUCATION
    assert device_edition("", 0) is Edition.UNKNOWN
    assert device_edition("", None) is Edition.UNKNOWN


def test_sku_family_wins_over_sku_number_when_both_name_an_edition() -> None:
    assert device_edition("Enterprise", 48) is Edition.ENTERPRISE


@pytest.mark.parametrize(
    ("os_version", "sku_family", "supported"),
    [
        ("10.0.15063.2679", "Enterprise", False),
        ("10.0.16299.2166", "Enterprise", True),
        ("10.0.17763.6414", "Enterprise", True),
        ("10.0.16299.2166", "Education", True),
        ("10.0.17763.6414", "Professional", False),
        ("10.0.18362.1256", "Professional", True),
        ("10.0.18363.2274", "ProfessionalEducation", True),
        ("10.0.17763.6414", "ProfessionalEducation", False),
        ("10.0.17763.6414", "ProfessionalWorkstation", False),
        ("10.0.22000.2538", "Professional", True),
        ("10.0.26100.2314", "Enterprise", True),
        ("10.0.19045.5131", "Core", False),
        ("10.0.22631.4460", "Core", False),
        ("", "Core", False),
        ("6.3.9600.20778", "Enterprise", False),
        ("10.0.17763.6414", "", None),
        ("10.0.17763.6414", "Holographic", None),
        ("", "Enterprise", None),
        ("garbage", "Professional", None),
    ],
)
def test_non_destructive_reset_by_edition_and_build(
    os_version: str, sku_family: str, supported: bool | None
) -> None:
    assert non_destructive_reset(os_version, sku_family, None).supported is supported


def test_the_requirement_is_said_for_the_device_edition() -> None:
    assert non_destructive_reset("10.0.17763.1", "Pro", None).requirement == (
        "Windows 10 1903 (build 18362) or later, or Windows 11, on Pro"
    )
    assert non_destructive_reset("10.0.15063.1", "Education", None).requirement == (
        "Windows 10 1709 (build 16299) or later, or Windows 11, on Education"
    )


@pytest.mark.parametrize(
    ("oma_uri", "tenant"),
    [
        (f"./Device/Vendor/MSFT/Policy/PassportForWork/{TENANT_ID}/Policies/EnablePinRecovery", TENANT_ID),
        (f"./Vendor/MSFT/Policy/PassportForWork/{TENANT_ID}/Policies/EnablePinRecovery", TENANT_ID),
        (f"./User/Vendor/MSFT/PassportForWork/{TENANT_ID}/Policies/EnablePinRecovery", TENANT_ID),
        (f" ./device/vendor/msft/passportforwork/{TENANT_ID}/policies/enablepinrecovery/ ", TENANT_ID),
        ("./Vendor/MSFT/Policy/PassportForWork//Policies/EnablePinRecovery", ""),
        ("./Vendor/MSFT/Policy/PassportForWork/TenantId/Policies/EnablePinRecovery", "TenantId"),
        (f"./Device/Vendor/MSFT/Policy/PassportForWork/{TENANT_ID}/Policies/UsePassportForWork", None),
        (f"./Device/Vendor/MSFT/PassportForWork/{TENANT_ID}/Policies/PINComplexity/MinimumPINLength", None),
        ("./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls", None),
    ],
)
def test_enable_pin_recovery_uris_are_recognised_in_every_form(oma_uri: str, tenant: str | None) -> None:
    assert enable_pin_recovery_tenant(oma_uri) == tenant


PFW = "./Device/Vendor/MSFT/Policy/PassportForWork"


@pytest.mark.parametrize(
    ("segment", "odata_type", "value", "mistakes"),
    [
        (TENANT_ID, BOOLEAN, True, ()),
        (TENANT_ID.upper(), BOOLEAN, True, ()),
        ("", BOOLEAN, True, (OmaMistake.TENANT_ID_MISSING,)),
        ("TenantId", BOOLEAN, True, (OmaMistake.TENANT_ID_PLACEHOLDER,)),
        ("{TenantId}", BOOLEAN, True, (OmaMistake.TENANT_ID_PLACEHOLDER,)),
        ("<TenantId>", BOOLEAN, True, (OmaMistake.TENANT_ID_PLACEHOLDER,)),
        (f"{{{TENANT_ID}}}", BOOLEAN, True, (OmaMistake.TENANT_ID_IN_BRACES,)),
        (OTHER_TENANT, BOOLEAN, True, (OmaMistake.OTHER_TENANT,)),
        (f"{{{OTHER_TENANT}}}", BOOLEAN, True, (OmaMistake.OTHER_TENANT,)),
        ("contoso.onmicrosoft.com", BOOLEAN, True, (OmaMistake.NOT_A_TENANT_ID,)),
        (TENANT_ID, STRING, "true", (OmaMistake.NOT_BOOLEAN,)),
        (TENANT_ID, "#microsoft.graph.omaSettingInteger", 1, (OmaMistake.NOT_BOOLEAN,)),
        (TENANT_ID, STRING, "false", (OmaMistake.NOT_BOOLEAN, OmaMistake.NOT_TRUE)),
        (TENANT_ID, "", True, (OmaMistake.NOT_BOOLEAN,)),
        (TENANT_ID, BOOLEAN, False, (OmaMistake.NOT_TRUE,)),
        (TENANT_ID, BOOLEAN, "true", (OmaMistake.NOT_TRUE,)),
        (TENANT_ID, BOOLEAN, None, (OmaMistake.NOT_TRUE,)),
        ("", STRING, "0", (OmaMistake.TENANT_ID_MISSING, OmaMistake.NOT_BOOLEAN, OmaMistake.NOT_TRUE)),
    ],
)
def test_enable_pin_recovery_mistakes(
    segment: str, odata_type: str, value: object, mistakes: tuple[OmaMistake, ...]
) -> None:
    oma_uri = f"{PFW}/{segment}/Policies/EnablePinRecovery"
    assert enable_pin_recovery_mistakes(oma_uri, odata_type, value, TENANT_ID) == mistakes


@pytest.mark.parametrize(
    ("oma_uri", "recognised"),
    [
        ("./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls", True),
        ("./Device/Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls", True),
        ("./device/vendor/msft/policy/config/authentication/configurewebsigninallowedurls", True),
        ("./Vendor/MSFT/Policy/Config/Authentication/EnableWebSignIn", False),
        ("./User/Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls", False),
    ],
)
def test_web_signin_urls_uri(oma_uri: str, recognised: bool) -> None:
    assert is_web_signin_urls_uri(oma_uri) is recognised
