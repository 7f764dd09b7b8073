"""The alert lifecycle over the findings ledger: open, remind, resolve, flap, acknowledge, snooze."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.alerts import actions
from monitor.alerts.lifecycle import AlertPolicy, Transition, next_alert
from monitor.alerts.model import Alert
from monitor.store.base import StoredFinding
from tests.alerts.support import T0, TENANT, failing, passing

POLICY = AlertPolicy(reminder=timedelta(hours=24), settle=timedelta(minutes=30))


def step(finding: StoredFinding, alert: Alert | None, minutes: float) -> Transition | None:
    return next_alert(finding, alert, TENANT.id, TENANT.display_name, T0 + timedelta(minutes=minutes), POLICY)


def opened() -> Alert:
    transition = step(failing(), None, 0)
    assert transition is not None
    return transition.after


def test_a_new_failing_finding_opens_an_alert_and_notifies() -> None:
    transition = step(failing(), None, 0)

    assert transition is not None
    assert transition.event == "opened"
    alert = transition.after
    assert (alert.state, alert.cycle, alert.opened_at, alert.notified_at, alert.reminders) == (
        "open",
        1,
        T0,
        T0,
        0,
    )
    assert alert.tenant_name == "Contoso"


def test_a_finding_still_failing_before_the_reminder_interval_sends_nothing() -> None:
    assert step(failing(), opened(), 60 * 23) is None


def test_a_finding_still_failing_after_the_reminder_interval_sends_one_reminder() -> None:
    transition = step(failing(), opened(), 60 * 24)

    assert transition is not None
    assert (transition.event, transition.number, transition.after.notified_at) == (
        "reminder",
        1,
        T0 + timedelta(hours=24),
    )
    assert step(failing(), transition.after, 60 * 25) is None


def test_a_passing_finding_resolves_once_it_stayed_resolved_for_the_settle_time() -> None:
    finding = passing(failing(), T0 + timedelta(minutes=15))

    assert step(finding, opened(), 30) is None  # resolved 15 minutes ago: not settled
    transition = step(finding, opened(), 45)

    assert transition is not None
    assert transition.event == "resolved"
    assert (transition.after.state, transition.after.resolved_at) == ("resolved", T0 + timedelta(minutes=15))


def test_a_flap_within_the_settle_time_neither_resolves_nor_reopens() -> None:
    alert = opened()
    resolved = passing(failing(), T0 + timedelta(minutes=15))
    back = failing(since=T0 + timedelta(minutes=30))  # the ledger re-opens it 15 minutes later

    assert step(resolved, alert, 20) is None
    assert step(back, alert, 30) is None
    assert step(back, alert, 60) is None


def test_a_finding_failing_again_after_its_alert_resolved_opens_the_next_cycle() -> None:
    resolved = step(passing(failing(), T0 + timedelta(minutes=15)), opened(), 60)
    assert resolved is not None

    transition = step(failing(since=T0 + timedelta(hours=5)), resolved.after, 300)

    assert transition is not None
    assert (transition.event, transition.after.cycle, transition.after.state) == ("opened", 2, "open")
    assert transition.after.finding_since == T0 + timedelta(hours=5)


def test_an_acknowledged_alert_gets_no_reminders_but_still_resolves() -> None:
    alert = actions.acknowledge(opened(), "alex", T0 + timedelta(minutes=5))

    assert step(failing(), alert, 60 * 48) is None
    transition = step(passing(failing(), T0 + timedelta(hours=47)), alert, 60 * 48)
    assert transition is not None
    assert transition.event == "resolved"


def test_an_acknowledgement_ends_with_its_cycle() -> None:
    alert = actions.acknowledge(opened(), "alex", T0 + timedelta(minutes=5))
    resolved = step(passing(failing(), T0 + timedelta(hours=1)), alert, 120)
    assert resolved is not None

    again = step(failing(since=T0 + timedelta(hours=3)), resolved.after, 180)

    assert again is not None
    assert (again.event, again.after.acknowledged_at) == ("opened", None)


def test_a_snoozed_alert_gets_no_reminders_until_the_snooze_ends() -> None:
    alert = actions.snooze(opened(), T0 + timedelta(hours=30), T0 + timedelta(minutes=5))

    assert step(failing(), alert, 60 * 25) is None
    transition = step(failing(), alert, 60 * 30)
    assert transition is not None
    assert (transition.event, transition.number) == ("reminder", 1)


def test_a_snoozed_alert_still_resolves_with_a_notice() -> None:
    alert = actions.snooze(opened(), T0 + timedelta(days=7), T0 + timedelta(minutes=5))

    transition = step(passing(failing(), T0 + timedelta(hours=1)), alert, 120)

    assert transition is not None
    assert (transition.event, transition.after.state) == ("resolved", "resolved")


def test_an_alert_that_opens_again_during_a_snooze_is_announced_when_the_snooze_ends() -> None:
    resolved = step(passing(failing(), T0 + timedelta(minutes=10)), opened(), 60)
    assert resolved is not None
    snoozed = replace(resolved.after, snoozed_until=T0 + timedelta(hours=6))
    reopened = failing(since=T0 + timedelta(hours=2))

    quiet = step(reopened, snoozed, 120)
    assert quiet is not None
    assert (quiet.event, quiet.after.cycle, quiet.after.notified_at) == (None, 2, None)
    announced = step(reopened, quiet.after, 60 * 6)

    assert announced is not None
    assert (announced.event, announced.after.notified_at) == ("opened", T0 + timedelta(hours=6))


def test_snooze_durations_and_times_are_read() -> None:
    assert actions.snooze_until(T0, "2h", None) == T0 + timedelta(hours=2)
    assert actions.snooze_until(T0, None, "2026-11-21T08:00:00Z") == T0 + timedelta(hours=20)


@pytest.mark.parametrize(
    ("duration", "until", "message"),
    [
        ("2 weeks", None, "not a duration: '2 weeks' (examples: 30m, 2h, 7d)"),
        ("0h", None, "a snooze lasts between 1 minute and 90 days, got '0h'"),
        (None, None, "snooze needs exactly one of 'for' (a duration such as 2h) or 'until' (a time)"),
        (None, "tomorrow", "not an ISO 8601 time: 'tomorrow' (example: 2026-11-21T08:00:00Z)"),
    ],
)
def test_a_bad_snooze_says_what_is_wrong(duration: str | None, until: str | None, message: str) -> None:
    with pytest.raises(actions.ActionError) as failure:
        actions.snooze_until(T0, duration, until)
    assert str(failure.value) == message
