"""The SOC's review page (GET and POST /api/soc/review): the TAP sign-ins of a window with their pass,
risk, location, the rules that flagged them, the recovery chain and the review history, filters, and a
verdict form per sign-in. Server-rendered HTML, no script and nothing loaded from anywhere.

Who may use it: App Service built-in authentication signs the person in with Microsoft Entra ID and
hands the principal to the app (monitor.soc.principal); the page requires the app role
`TapSignIn.Review` and records that principal as the reviewer, never a name the form sends.
Cross-site form posts (Easy Auth keeps the session in a cookie) are refused: a POST must come from the
page's own origin (the browser's Origin header, or Sec-Fetch-Site: same-origin).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from monitor.service.answer import Answer
from monitor.soc.principal import REVIEW_ROLE, NotSignedIn, Principal, principal_of
from monitor.soc.review import VERDICT_MEANING, VERDICTS, ReviewError
from monitor.views.tap_signins import FILTERS

if TYPE_CHECKING:
    from monitor.service.runtime import Runtime

log = logging.getLogger(__name__)
PATH = "/api/soc/review"
# The view's filters but its page size: the page shows one page of the view's default size.
PAGE_FILTERS = tuple(name for name in FILTERS if name != "limit")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _html(status: int, body: str) -> Answer:
    headers = {**SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8"}
    return Answer(status, body.encode(), "text/html", headers)


def _document(title: str, content: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{content}</body></html>"
    )


SIGN_IN = "/.auth/login/aad?post_login_redirect_uri=" + PATH


def _refused(reason: str, sign_in: bool = False) -> Answer:
    link = f'<p><a href="{escape(SIGN_IN)}">Sign in with Microsoft Entra ID</a></p>' if sign_in else ""
    return _html(
        403,
        _document(
            "Not allowed",
            f"<h1>Not allowed</h1><p>{escape(reason)}</p>{link}<p>The review page needs the app role "
            f"<code>{REVIEW_ROLE}</code> of the monitor's app registration (Microsoft Learn: \"Add app "
            'roles to your application and receive them in the token").</p>',
        ),
    )


def _reviewer(runtime: Runtime, headers: Mapping[str, str]) -> Principal | Answer:
    if not runtime.settings.soc.easy_auth:
        # Without built-in authentication in front, anyone could send the principal header.
        return _refused("App Service authentication is not turned on for this app (MONITOR_SOC_EASY_AUTH).")
    try:
        principal = principal_of(headers)
    except NotSignedIn as exc:
        return _refused(str(exc), sign_in=True)
    if not principal.may_review:
        return _refused(f"{principal.name} does not hold the app role {REVIEW_ROLE}.")
    return principal


def same_origin(url: str, headers: Mapping[str, str]) -> bool:
    lowered = {k.lower(): v for k, v in headers.items()}
    origin = lowered.get("origin", "").strip()
    if not origin or origin == "null":
        return lowered.get("sec-fetch-site", "").strip().lower() == "same-origin"
    hosts = {
        urlsplit(url).netloc.lower(),
        lowered.get("host", "").lower(),
        lowered.get("x-forwarded-host", "").lower(),
    }
    return urlsplit(origin).netloc.lower() in hosts - {""}


def review_page(
    runtime: Runtime,
    method: str,
    url: str,
    headers: Mapping[str, str],
    params: Mapping[str, str],
    body: bytes,
) -> Answer:
    """The page's answer. Storage and configuration errors are raised, and answered by `error_page`."""
    who = _reviewer(runtime, headers)
    if not isinstance(who, Principal):
        return who
    if method.upper() == "POST":
        return _post(runtime, who, url, headers, body)
    return _get(runtime, who, params, notice="")


def error_page(answer: Answer) -> Answer:
    """An error answer (monitor.service.answer.failure) as a page."""
    if answer.status == 503:
        title, said = "Unavailable", "The monitor or its Table Storage is unavailable; try again"
    else:
        title, said = "Not available", str(answer.json().get("error", "The request cannot be served"))
    return _html(answer.status, _document(title, f"<h1>{escape(said)}</h1>"))


def _post(runtime: Runtime, who: Principal, url: str, headers: Mapping[str, str], body: bytes) -> Answer:
    from monitor.soc.service import review_signin
    from monitor.soc.workflow import UnknownSignIn

    if not same_origin(url, headers):
        return _refused("The form was not sent from this page (cross-site request refused).")
    if len(body) > 16_384:
        return _html(413, _document("Too large", "<h1>The form is larger than 16384 bytes</h1>"))
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    back = {k: v for k, v in parse_qsl(form.get("back", "")) if k in PAGE_FILTERS}
    try:
        review_signin(
            runtime,
            form.get("signin", ""),
            form.get("verdict", ""),
            who.name,
            form.get("note", ""),
            reviewer_id=who.object_id,
            via="page",
        )
    except (ReviewError, UnknownSignIn) as exc:
        return _get(runtime, who, back, notice=str(exc).strip("'\""), status=400)
    location = PATH + ("?" + urlencode(back) if back else "")
    return Answer(303, b"", "text/html", {**SECURITY_HEADERS, "Location": location})


def _get(
    runtime: Runtime, who: Principal, params: Mapping[str, str], notice: str, status: int = 200
) -> Answer:
    from monitor.service.soc import tap_signins_from_store
    from monitor.views.tap_signins import FilterError, parse_filters

    chosen = {k: v for k, v in params.items() if k in PAGE_FILTERS and v.strip()}
    try:
        result = tap_signins_from_store(runtime, parse_filters(chosen))
    except FilterError as exc:
        return _html(
            400, _document("Bad filter", _filters(chosen) + f'<p class="error">{escape(str(exc))}</p>')
        )
    back = urlencode({k: v for k, v in chosen.items() if k != "continuation"})
    rows = "".join(_row(r, back) for r in result.rows)
    following = urlencode({**chosen, "continuation": result.continuation or ""})
    more = f'<p><a href="{PATH}?{escape(following)}">Next page</a></p>' if result.continuation else ""
    content = (
        f'<header><h1>Temporary Access Pass sign-ins: SOC review</h1><p class="who">Signed in as '
        f"{escape(who.name)}</p></header>"
        + (f'<p class="error" role="alert">{escape(notice)}</p>' if notice else "")
        + _filters(chosen)
        + f'<p class="count">{result.matched} sign-in(s) match; showing {len(result.rows)}.</p>'
        + (f'<ol class="signins">{rows}</ol>' if rows else "<p>No TAP sign-in matches these filters.</p>")
        + more
        + _legend()
    )
    return _html(status, _document("TAP sign-ins: SOC review", content))


def _filters(chosen: Mapping[str, str]) -> str:
    def text(name: str, label: str, hint: str = "") -> str:
        return (
            f'<label>{label} <input name="{name}" value="{escape(chosen.get(name, ""))}" '
            f'placeholder="{escape(hint)}"></label>'
        )

    def select(name: str, label: str, options: Sequence[str]) -> str:
        shown = "".join(
            f'<option value="{escape(o)}"{" selected" if chosen.get(name, "") == o else ""}>'
            f"{escape(o or 'any')}</option>"
            for o in ("", *options)
        )
        return f'<label>{label} <select name="{name}">{shown}</select></label>'

    flagged = " checked" if chosen.get("flagged", "").lower() in ("true", "1", "yes") else ""
    return (
        f'<form class="filters" method="get" action="{PATH}">'
        + text("since", "Since", "2026-11-01T00:00:00Z")
        + text("until", "Until", "2026-11-20T12:00:00Z")
        + text("user", "User", "UPN or ID")
        + text("country", "Country", "DE")
        + select("risk", "Risk", ("none", "low", "medium", "high", "hidden"))
        + select("result", "Result", ("success", "failure"))
        + select("review", "Review", ("new", "reviewed", *VERDICTS))
        + f'<label><input type="checkbox" name="flagged" value="true"{flagged}> Flagged by a rule</label>'
        + '<button type="submit">Filter</button></form>'
    )


def _row(row: Mapping[str, Any], back: str) -> str:
    issuance = row.get("issuance") or {}
    recovery = row.get("recovery") or {}
    review = row.get("review") or {}
    state = str(review.get("state", "new"))
    place = ", ".join(p for p in (str(row.get("city") or ""), str(row.get("countryOrRegion") or "")) if p)
    findings = "".join(
        f'<li><span class="sev-{escape(f["severity"])}">{escape(f["severity"])}</span> {escape(f["title"])} '
        f"<code>{escape(f['rule'])}</code></li>"
        for f in row.get("findings", [])
    )
    history = "".join(
        f"<li><b>{escape(h['verdict'])}</b> by {escape(h['reviewer'])} at {escape(h['reviewedDateTime'])}"
        + (f": {escape(h['note'])}" if h.get("note") else "")
        + "</li>"
        for h in review.get("history", [])
    )
    options = "".join(f'<option value="{v}">{v}</option>' for v in VERDICTS)
    signin_id = escape(str(row["id"]))
    outcome = "succeeded" if row.get("succeeded") else f"failed, error {escape(str(row.get('errorCode')))}"
    return (
        f'<li class="signin" id="s-{signin_id}" data-state="{escape(state)}">'
        f"<h2>{escape(str(row.get('userPrincipalName') or row.get('userId')))} "
        f'<span class="state state-{escape(state)}">{escape(state)}</span></h2>'
        "<dl>"
        f"<dt>When</dt><dd>{escape(str(row.get('createdDateTime')))} "
        f"({outcome})</dd>"
        f"<dt>Where</dt><dd>{escape(place or 'unknown')} from {escape(str(row.get('ipAddress') or '?'))}</dd>"
        f"<dt>Device</dt><dd>{escape(str(row.get('deviceName') or row.get('deviceId') or 'unknown'))}</dd>"
        f"<dt>Risk</dt><dd>{escape(str(row.get('riskLevel')))} during sign-in, "
        f"{escape(str(row.get('riskLevelAggregated') or 'unknown'))} aggregated</dd>"
        f"<dt>Pass</dt><dd>issued by {escape(str(issuance.get('issuedBy') or 'unknown'))} at "
        f"{escape(str(issuance.get('issuedDateTime') or 'unknown'))}, lifetime "
        f"{escape(str(issuance.get('lifetimeInMinutes') or 'unknown'))} min, "
        f"{'one-time' if issuance.get('isUsableOnce') else 'reusable or unknown'}</dd>"
        f"<dt>Recovery</dt><dd>{escape(str(recovery.get('stage') or 'none').replace('-', ' '))}</dd>"
        "</dl>"
        + (
            f'<ul class="findings">{findings}</ul>'
            if findings
            else '<p class="quiet">No rule flagged it.</p>'
        )
        + (f'<ol class="history">{history}</ol>' if history else "")
        + f'<form class="verdict" method="post" action="{PATH}">'
        f'<input type="hidden" name="signin" value="{signin_id}">'
        f'<input type="hidden" name="back" value="{escape(back)}">'
        f'<label>Verdict <select name="verdict">{options}</select></label> '
        '<label>Note <textarea name="note" rows="2" cols="50" maxlength="2000"></textarea></label> '
        '<button type="submit">Record verdict</button></form></li>'
    )


def _legend() -> str:
    items = "".join(f"<dt>{escape(v)}</dt><dd>{escape(VERDICT_MEANING[v])}</dd>" for v in VERDICTS)
    return (
        "<footer><h2>Verdicts</h2><dl>" + items + "</dl><p>The classifications Microsoft Sentinel uses to "
        'close incidents (Microsoft Learn: "Navigate and investigate incidents in Microsoft '
        'Sentinel").</p></footer>'
    )


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:20px}h2{font-size:15px;margin:.2em 0}
.filters label{margin-right:.8em}.filters{padding:.6em;background:#f4f4f4}
.signins{list-style:none;padding:0}.signin{border:1px solid #ccc;margin:.6em 0;padding:.6em}
dl{display:grid;grid-template-columns:7em 1fr;margin:.3em 0}dt{font-weight:600}dd{margin:0}
.state{font-size:12px;padding:1px 6px;border-radius:3px;background:#ddd}.state-new{background:#ffe08a}
.state-true-positive{background:#f5a3a3}.state-benign-positive,.state-false-positive{background:#b9e4b9}
.error{color:#a00;font-weight:600}.sev-high,.sev-critical{color:#a00}.quiet{color:#666}
"""
