"""The SOC review page through the azure-functions library, with the principal header as App Service
authentication (Easy Auth) sends it and without it, and in headless chromium behind a loopback front
that plays Easy Auth's part (Easy Auth itself cannot run here)."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import azure.functions as func
import pytest

from graphsim import GraphSimulator
from monitor.service.runtime import Runtime
from monitor.soc.principal import REVIEW_ROLE, encode_principal
from monitor.soc.service import histories
from tests import entry as service
from tests.chromium import CHROMIUM
from tests.conftest import ROOT
from tests.soc.browser import Chromium, EasyAuthFront
from tests.support import NOW, configure_monitor, indexed_functions

TENANT = ROOT / "examples" / "tenants" / "tap-suspicious"
RISKY = "d7c1b1f2-c9d7-509f-813c-5cbb88ccc980"
NIGERIA = "d71246e5-190f-59bc-a6d2-0f139c8d92ff"
BURST = "deed6210-87d0-5331-8bb9-b16c33128b30"
FLAGGED = {RISKY, NIGERIA, BURST}
WINDOW = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-21T00:00:00Z"}
REVIEWER = encode_principal("dana@contoso.com", "7d0f2a51-0000-4000-8000-00000000da7a", (REVIEW_ROLE,))
NO_ROLE = encode_principal("eve@contoso.com", "7d0f2a51-0000-4000-8000-000000000e7e", ("Reader",))
_prefixes = itertools.count()


@pytest.fixture(scope="module")
def functions() -> dict[str, Any]:
    return indexed_functions()


@pytest.fixture(scope="module")
def stored(azurite: str) -> Iterator[None]:
    """One pass over the tenant at NOW, stored in Azurite; the page's app settings for the module."""
    with pytest.MonkeyPatch.context() as patch, GraphSimulator(TENANT) as sim:
        configure_monitor(patch, sim.url, azurite, f"soc{os.getpid()}p{next(_prefixes)}")
        patch.setenv("MONITOR_SOC_EASY_AUTH", "on")
        asyncio.run(service.run_configured_pass(now=NOW))
        yield


def reviews_of(signin: str) -> list[tuple[str, str, str, str]]:
    with Runtime.from_env() as runtime:
        tenants = [run.tenant_id for run in runtime.state.latest_runs()]
        assert len(tenants) == 1
        kept = histories(runtime.reviews, tenants).get(signin, [])
        return [(r.verdict, r.reviewer, r.reviewer_id, r.via) for r in kept]


def call(
    functions: dict[str, Any],
    method: str,
    principal: str | None,
    params: dict[str, str],
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> func.HttpResponse:
    sent = dict(headers or {})
    if principal is not None:
        sent["X-MS-CLIENT-PRINCIPAL"] = principal
    url = f"http://monitor.example/api/soc/review?{urlencode(params)}"
    request = func.HttpRequest(method, url, headers=sent, params=params, body=body)
    response: func.HttpResponse = functions["soc_review_page"].get_user_function()(request)
    return response


def form(signin: str, verdict: str, note: str, **extra: str) -> bytes:
    return urlencode(
        {"signin": signin, "verdict": verdict, "note": note, "back": urlencode(WINDOW), **extra}
    ).encode()


def test_the_page_lists_the_windows_tap_signins_for_a_reviewer(
    functions: dict[str, Any], stored: None
) -> None:
    response = call(functions, "GET", REVIEWER, {**WINDOW, "flagged": "true"})
    page = response.get_body().decode()
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert sorted(page.count(f'id="s-{s}"') for s in FLAGGED) == [1, 1, 1]
    assert "Signed in as dana@contoso.com" in page
    assert "tap.signin.risky" in page
    assert "issued by " in page
    assert "<script" not in page
    assert "http://" not in page.replace("http://monitor.example", "")


@pytest.mark.parametrize(
    ("principal", "reason"),
    [
        (None, "not signed in: App Service authentication passed no X-MS-CLIENT-PRINCIPAL"),
        (NO_ROLE, f"eve@contoso.com does not hold the app role {REVIEW_ROLE}."),
        ("bm90IGpzb24=", "the X-MS-CLIENT-PRINCIPAL header is not Base64 JSON"),
    ],
)
def test_without_the_role_the_page_and_the_post_answer_403_and_nothing_is_stored(
    functions: dict[str, Any], stored: None, principal: str | None, reason: str
) -> None:
    from html import escape

    page = call(functions, "GET", principal, WINDOW)
    posted = call(
        functions,
        "POST",
        principal,
        {},
        form(RISKY, "false-positive", "x"),
        {"Origin": "http://monitor.example"},
    )
    assert (page.status_code, posted.status_code) == (403, 403)
    assert escape(reason) in page.get_body().decode()
    assert reviews_of(RISKY) == []


def test_the_page_refuses_everyone_where_easy_auth_is_not_on(
    functions: dict[str, Any], stored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONITOR_SOC_EASY_AUTH")
    assert call(functions, "GET", REVIEWER, WINDOW).status_code == 403


def test_a_cross_site_post_is_refused_and_stores_nothing(functions: dict[str, Any], stored: None) -> None:
    for headers in ({"Origin": "https://attacker.example"}, {}, {"Sec-Fetch-Site": "cross-site"}):
        posted = call(functions, "POST", REVIEWER, {}, form(NIGERIA, "false-positive", "x"), headers)
        assert posted.status_code == 403, headers
    assert reviews_of(NIGERIA) == []


def test_the_reviewer_recorded_is_the_principal_not_a_name_the_form_sends(
    functions: dict[str, Any], stored: None
) -> None:
    body = form(BURST, "benign-positive", "the user mistyped", reviewer="mallory", by="mallory")
    posted = call(functions, "POST", REVIEWER, {}, body, {"Origin": "http://monitor.example"})
    assert posted.status_code == 303
    assert posted.headers["Location"] == f"/api/soc/review?{urlencode(WINDOW)}"
    assert reviews_of(BURST) == [
        ("benign-positive", "dana@contoso.com", "7d0f2a51-0000-4000-8000-00000000da7a", "page")
    ]


def test_in_chromium_a_reviewer_filters_reviews_and_sees_the_sign_in_leave_new(
    functions: dict[str, Any], stored: None, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run scripts/bootstrap.sh (it installs Debian's chromium)")
    with EasyAuthFront(functions["soc_review_page"].get_user_function(), REVIEWER) as front:
        browser = Chromium(tmp_path / "profile")
        try:
            browser.navigate(f"{front.url}/api/soc/review?{urlencode(WINDOW)}")
            listed = "Array.from(document.querySelectorAll('li.signin')).map(e => e.id.slice(2)).sort()"
            assert len(browser.evaluate(listed)) == 12
            browser.submit(
                "document.querySelector('input[name=flagged]').checked = true;"
                "document.querySelector('select[name=review]').value = 'new';"
                "document.querySelector('form.filters').submit();",
                "beforeFilter",
            )
            new_flagged = set(browser.evaluate(listed))
            assert RISKY in new_flagged
            # The rules' sign-ins, with a burst's failed sign-ins beside it; not the unflagged ones.
            assert len(new_flagged) < 12
            browser.submit(
                f"const f = document.querySelector('#s-{RISKY} form.verdict');"
                "f.querySelector('select[name=verdict]').value = 'true-positive';"
                "f.querySelector('textarea[name=note]').value = 'Not the user: the device is unknown to us';"
                "f.submit();",
                "beforeReview",
            )
            assert RISKY not in browser.evaluate(listed)
            assert "review=new" in browser.evaluate("location.search")
            browser.navigate(f"{front.url}/api/soc/review?{urlencode({**WINDOW, 'review': 'true-positive'})}")
            assert browser.evaluate(listed) == [RISKY]
            browser.submit(
                f"const f = document.querySelector('#s-{RISKY} form.verdict');"
                "f.querySelector('select[name=verdict]').value = 'false-positive';"
                "f.querySelector('textarea[name=note]').value = 'The manager confirmed the trip';"
                "f.submit();",
                "beforeChange",
            )
            browser.navigate(f"{front.url}/api/soc/review?{urlencode({**WINDOW, 'review': 'reviewed'})}")
            history = browser.evaluate(
                f"Array.from(document.querySelectorAll('#s-{RISKY} ol.history li')).map(e => e.textContent)"
            )
            state = browser.evaluate(f"document.querySelector('#s-{RISKY}').dataset.state")
            shot = ROOT / ".run" / "soc-review.png"
            shot.parent.mkdir(exist_ok=True)
            import base64

            picture = browser.call("Page.captureScreenshot", {"format": "png"})["data"]
            shot.write_bytes(base64.b64decode(picture))
        finally:
            browser.close()
    assert state == "false-positive"
    assert [line.split(" at ")[0] for line in history] == [
        "true-positive by dana@contoso.com",
        "false-positive by dana@contoso.com",
    ]
    assert history[0].endswith("Not the user: the device is unknown to us")
    posts = [r for r in front.requests if r[0] == "POST"]
    assert [h.get("Origin") for _, _, h in posts] == [front.url, front.url]
    assert [r[:2] for r in reviews_of(RISKY)] == [
        ("true-positive", "dana@contoso.com"),
        ("false-positive", "dana@contoso.com"),
    ]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"since": "yesterday"}, 400),
        ({"continuation": "not-a-token"}, 400),
        ({"review": "closed"}, 400),
        ({"risk": "<script>"}, 400),
        ({"colour": "red", **WINDOW}, 200),  # not a filter of the page: ignored
    ],
)
def test_a_bad_filter_is_a_page_that_says_so_never_a_500(
    functions: dict[str, Any], stored: None, params: dict[str, str], status: int
) -> None:
    response = call(functions, "GET", REVIEWER, params)
    assert response.status_code == status
    assert "<script>" not in response.get_body().decode()


def test_a_bad_verdict_or_an_unknown_sign_in_from_the_form_is_a_400_that_stores_nothing(
    functions: dict[str, Any], stored: None
) -> None:
    origin = {"Origin": "http://monitor.example"}
    bad_verdict = call(functions, "POST", REVIEWER, {}, form(NIGERIA, "malicious", "x"), origin)
    unknown = call(functions, "POST", REVIEWER, {}, form("no-such-sign-in", "true-positive", "x"), origin)
    assert (bad_verdict.status_code, unknown.status_code) == (400, 400)
    assert "verdict must be one of" in bad_verdict.get_body().decode()
    assert reviews_of(NIGERIA) == []


def test_without_storage_the_page_answers_503(
    functions: dict[str, Any], stored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONITOR_STORAGE_CONNECTION_STRING")
    assert call(functions, "GET", REVIEWER, WINDOW).status_code == 503
