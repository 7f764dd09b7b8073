"""The own test cases of consent.pin-reset-app.disabled."""

from __future__ import annotations

from monitor.rules.base import Case
from monitor.rules.cases._builders import CLIENT, SERVICE, consent, healthy, unavailable

CASES = (
    Case("passes when both apps are enabled", healthy(), "pass"),
    Case(
        "passes when an app is missing rather than disabled",
        healthy(consent=consent(client="missing")),
        "pass",
    ),
    Case(
        "fails for the disabled service app", healthy(consent=consent(service="disabled")), "fail", (SERVICE,)
    ),
    Case(
        "fails once per disabled app",
        healthy(consent=consent(service="disabled", client="disabled")),
        "fail",
        (SERVICE, CLIENT),
    ),
    Case(
        "is skipped without Application.Read.All",
        healthy(consent=unavailable("skipped", "permission missing: Application.Read.All")),
        "skipped",
    ),
)
