"""signin.pin-reset.failure-spike: PIN reset failures far above the tenant's own baseline."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from monitor.entra import PIN_RESET_DOC, ErrorClass
from monitor.records import SignInHour, TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.evidence import FailureSummary, iso
from monitor.thresholds import Thresholds

# Interrupts (50076/50079: MFA needed) and the user's own mistakes (50126) are part of a normal reset;
# they are shown in the evidence but do not count as failures of the service.
NOT_COUNTED = frozenset({ErrorClass.SUCCESS, ErrorClass.USER_ACTION})

RULE = Rule(
    id="signin.pin-reset.failure-spike",
    title="PIN reset failures spiked",
    severity="high",
    subject="tenant",
    rationale=(
        "Admins today learn that PIN reset broke when users call the help desk. The sign-in log shows it "
        "first (the article 'PIN recovery, Temporary Access Pass, what can go wrong?': the logs name the "
        "failing PIN reset app): a new Conditional Access policy (53003), a compliance change (53000), a "
        "removed consent or a disabled app make every reset fail at once. Comparing the last hours with the "
        "tenant's own baseline catches any of them, without a fixed number that is too high for a small "
        "tenant and too low for a large one."
    ),
    remediation=(
        "Open Entra admin center > Sign-in logs, filter on the application 'Microsoft Pin Reset' and the "
        "window in the evidence, and read the failure reason of the top error code. 53003: a Conditional "
        "Access policy now applies to the PIN reset apps; exclude them or adjust the policy. 53000: the "
        "device is not compliant. 65001/500011/700016/7000112: consent is missing or an app is disabled "
        "(see the consent findings). Check the directory audit log for the change that preceded the spike."
    ),
    reads=("pin_reset_hours",),
    references=(
        PIN_RESET_DOC,
        "https://learn.microsoft.com/entra/identity-platform/reference-error-codes",
    ),
    thresholds=("spike_window_hours", "spike_baseline_days", "spike_min_failures", "spike_ratio"),
)


def counted(h: SignInHour) -> bool:
    return h.error_class not in NOT_COUNTED


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    hours = facts.pin_reset_hours.get()
    current_hour = facts.now.replace(minute=0, second=0, microsecond=0)
    # The window is whole hours: the current one and the ones before it.
    window_start = current_hour - timedelta(hours=thresholds.spike_window_hours - 1)
    baseline_start = window_start - timedelta(days=thresholds.spike_baseline_days)
    recent = [h for h in hours if window_start <= h.hour <= facts.now and counted(h)]
    baseline = [h for h in hours if baseline_start <= h.hour < window_start and counted(h)]
    recent_total = sum(h.count for h in recent)
    baseline_total = sum(h.count for h in baseline)
    per_hour = baseline_total / (thresholds.spike_baseline_days * 24)
    expected = per_hour * thresholds.spike_window_hours
    needed = max(thresholds.spike_min_failures, thresholds.spike_ratio * expected)
    window = f"the last {thresholds.spike_window_hours} h"
    summary = f"{recent_total} failure(s) in {window} against {expected:.1f} expected"
    if recent_total < needed:
        return passed(summary)
    failures = FailureSummary.of(recent)
    classes = Counter[str]()
    for h in recent:
        classes[h.error_class.value] += h.count
    top_code, top_count = max(failures.by_code.items(), key=lambda item: item[1])
    detail = (
        f"{recent_total} PIN reset sign-ins failed in the last {thresholds.spike_window_hours} h, where the "
        f"previous {thresholds.spike_baseline_days} days predict {expected:.1f} "
        f"({baseline_total} in {thresholds.spike_baseline_days * 24} h). Most common error: {top_code} "
        f"({top_count}); first failure of the window at {iso(failures.first) if failures.first else '?'}."
    )
    evidence = {
        "windowHours": thresholds.spike_window_hours,
        "windowStart": iso(window_start),
        "failures": recent_total,
        "baselineDays": thresholds.spike_baseline_days,
        "baselineFailures": baseline_total,
        "expected": round(expected, 2),
        "ratio": round(recent_total / max(expected, 1.0), 1),
        "byErrorClass": dict(sorted(classes.items())),
        "window": failures.to_json(),
        "hourly": [
            {
                "hour": iso(window_start + timedelta(hours=i)),
                "failures": sum(h.count for h in recent if h.hour == window_start + timedelta(hours=i)),
            }
            for i in range(thresholds.spike_window_hours)
        ],
    }
    return failed([RULE.finding(facts.tenant.id, detail, evidence)], summary)
