"""The channel registry: every channel renders a notice, a digest and the weekly report; a channel is
one module (a throw-away one, added to the package path and nowhere else, gets all three through the
settings, the alert step and the weekly send); an unknown channel is refused by name when the settings
are read and again at dispatch; and the README's "Add a channel" names the files that takes."""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import httpx
import orjson
import pytest

from monitor.alerts import channels
from monitor.alerts.channels import webhook
from monitor.alerts.channels.base import Notices, Via, Weekly, what
from monitor.alerts.delivery import Outcome
from monitor.alerts.process import compose, deliver_due, process_alerts, reconcile_alerts, send
from monitor.alerts.settings import AlertDestination, AlertSettings
from monitor.service.weekly import WeeklyRun
from monitor.settings import Settings, SettingsError
from monitor.store.alerts import MemoryAlertStore
from monitor.weekly.report import to_html
from monitor.weekly.send import send_weekly
from tests.alerts.support import HMAC_KEY, T0, TENANT, failing
from tests.alerts.test_cards import NOTICES
from tests.conftest import ROOT
from tests.entry import weekly_from_snapshot

PROBE_DIR = Path(__file__).parent / "channel_probe"
SNAPSHOT = ROOT / "examples" / "tenants" / "consent-missing"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DESTINATIONS = {
    "teams": AlertDestination("ops", "teams", url="https://contoso.example/teams"),
    "webhook": AlertDestination("siem", "webhook", url="https://contoso.example/hook", hmac_key=HMAC_KEY),
    "email": AlertDestination("owners", "email", recipients=("alex@contoso.com", "sam@contoso.com")),
}
PROBE_ENV = {
    "MONITOR_ALERT_DESTINATIONS": "pager=probe",
    "MONITOR_ALERT_PAGER_URL": "https://pager.contoso.example/hook",
    "MONITOR_ALERT_DIGEST_THRESHOLD": "2",
}


@pytest.fixture(scope="module")
def weekly_run(tmp_path_factory: pytest.TempPathFactory) -> WeeklyRun:
    return asyncio.run(weekly_from_snapshot(SNAPSHOT, NOW, tmp_path_factory.mktemp("weekly"), environ={}))


@pytest.fixture
def probe() -> Iterator[ModuleType]:
    """tests/alerts/channel_probe/probe.py as a module of monitor.alerts.channels, for one test."""
    channels.__path__.append(str(PROBE_DIR))
    channels._discovered.cache_clear()
    try:
        module = importlib.import_module("monitor.alerts.channels.probe")
        module.RECEIVED.clear()
        yield module
    finally:
        channels.__path__.remove(str(PROBE_DIR))
        channels._discovered.cache_clear()
        channels._load.cache_clear()
        sys.modules.pop("monitor.alerts.channels.probe", None)


def via(settings: AlertSettings, http: httpx.AsyncClient) -> Via:
    return Via(settings, http, None, NOW)


def notices(destination: AlertDestination, count: int) -> Notices:
    items = tuple(NOTICES[i].values[0] for i in range(count))
    target = channels.get(destination.channel).targets(destination)[0]
    ids = tuple(str(i["alert"]["id"]) for i in items)  # type: ignore[index]
    return Notices(destination, target, items, "delivery-1", count > 1, ids)  # type: ignore[arg-type]


def test_the_known_channels_are_the_modules_of_the_package() -> None:
    assert channels.known() == ("teams", "email", "webhook")


@pytest.mark.parametrize("name", ["teams", "email", "webhook"])
def test_every_channel_renders_a_notice_a_digest_and_the_weekly_report(
    name: str, weekly_run: WeeklyRun
) -> None:
    destination = DESTINATIONS[name]
    channel = channels.get(name)
    settings = AlertSettings(destinations=(destination,), email_sender="monitor@contoso.com")
    report = weekly_run.report
    title = "Weekly PIN reset and TAP compliance"

    async def render() -> list[bytes]:
        async with httpx.AsyncClient() as http:
            sending = via(settings, http)
            one = channel.render_notices(notices(destination, 1), sending)
            many = channel.render_notices(notices(destination, 3), sending)
            weekly = channel.render_weekly(Weekly(destination, report, to_html(report), "attached"), sending)
        out = []
        for rendered in (one, many, *(weekly if isinstance(weekly, list) else [weekly])):
            out.append(rendered.as_bytes() if isinstance(rendered, EmailMessage) else rendered.body)
        return out

    one, many, *weekly = asyncio.run(render())
    first = NOTICES[0].values[0]["alert"]  # type: ignore[index]
    assert str(first["id"]).encode() in one
    assert b"delivery-1" in one
    ids = [str(NOTICES[i].values[0]["alert"]["id"]).encode() for i in range(3)]  # type: ignore[index]
    assert all(alert_id in many for alert_id in ids)
    assert len(weekly) == (2 if name == "email" else 1)
    assert all(title.encode() in w or b"weeklyReport" in w for w in weekly)


def test_the_webhook_signs_what_it_renders(weekly_run: WeeklyRun) -> None:
    destination = DESTINATIONS["webhook"]
    report = weekly_run.report

    async def render() -> list[webhook.Post]:
        async with httpx.AsyncClient() as http:
            sending = via(AlertSettings(destinations=(destination,)), http)
            return [
                webhook.render_notices(notices(destination, 1), sending),
                webhook.render_weekly(Weekly(destination, report, "", ""), sending),
            ]

    for post in asyncio.run(render()):
        assert webhook.verify(HMAC_KEY, post.body, post.headers[webhook.SIGNATURE_HEADER])
        assert post.headers[webhook.DELIVERY_HEADER] == orjson.loads(post.body)["deliveryId"]


def test_a_channel_is_one_module_notices_digests_and_the_weekly_report_reach_it(
    probe: ModuleType, weekly_run: WeeklyRun
) -> None:
    settings = Settings.from_env(PROBE_ENV).alerts
    assert settings.destinations == (
        AlertDestination("pager", "probe", url=PROBE_ENV["MONITOR_ALERT_PAGER_URL"]),
    )
    store = MemoryAlertStore()
    first = failing()
    asyncio.run(process_alerts(store, [first], TENANT, T0, settings, graph=None))
    three = [failing(rule=f"tap.probe.{n}", subject=f"user-{n}") for n in range(3)]
    later = T0 + timedelta(minutes=15)
    summary = asyncio.run(process_alerts(store, [first, *three], TENANT, later, settings, graph=None))
    said = asyncio.run(send_weekly(weekly_run.report, "", settings, None, NOW))

    assert (summary.sent, summary.digests) == (3, 1)
    received = probe.RECEIVED
    assert received == [
        f"notice to pager: opened {first.rule}",
        "digest to pager: opened tap.probe.0, opened tap.probe.1, opened tap.probe.2",
        "weekly report to pager: Northwind Traders",
    ]
    assert said == ["probe destination pager: sent"]


def test_a_channel_module_reads_its_own_settings(probe: ModuleType) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"MONITOR_ALERT_DESTINATIONS": "pager=probe"})
    assert raised.value.problems == ["MONITOR_ALERT_PAGER_URL is required for the probe destination pager"]


def test_an_unknown_channel_is_refused_by_name_when_the_settings_are_read() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"MONITOR_ALERT_DESTINATIONS": "ops=pager"})
    assert raised.value.problems == [
        "MONITOR_ALERT_DESTINATIONS: ops needs a channel (teams, email, webhook), got 'pager'"
    ]
    with pytest.raises(channels.UnknownChannel) as unknown:
        AlertDestination("ops", "pager", url="https://contoso.example/pager")
    assert str(unknown.value) == "unknown alert channel 'pager': the known channels are teams, email, webhook"


class Pager:
    """A channel registered through the hook (no module), then taken away again."""

    BUNDLES = False
    sent: ClassVar[list[str]] = []

    def configure(self, name: str, prefix: str, env: object, problems: list[str]) -> dict[str, str]:
        return {}

    def targets(self, destination: AlertDestination) -> tuple[str, ...]:
        return (destination.name,)

    def render_notices(self, notices: Notices, via: Via) -> str:
        return notices.delivery_id

    def render_weekly(self, weekly: Weekly, via: Via) -> str:
        return "weekly"

    async def send_notices(self, notices: Notices, via: Via) -> Outcome:
        self.sent.append(notices.delivery_id)
        return Outcome("sent")

    async def send_weekly(self, weekly: Weekly, via: Via) -> list[tuple[str, Outcome]]:
        return [(what(weekly.destination), Outcome("sent"))]


def test_an_unknown_channel_is_refused_again_at_dispatch_before_anything_is_claimed(
    weekly_run: WeeklyRun,
) -> None:
    channels.register("pager", Pager())  # type: ignore[arg-type]
    try:
        settings = AlertSettings(destinations=(AlertDestination("ops", "pager"),), default_route=("ops",))
        store = MemoryAlertStore()
        reconcile_alerts(store, [failing()], TENANT, T0, settings)
    finally:
        channels.unregister("pager")

    with pytest.raises(channels.UnknownChannel, match="the known channels are teams, email, webhook"):
        asyncio.run(deliver_due(store, TENANT.id, T0, settings, None))
    pending = store.notifications(TENANT.id, "pending")
    assert [(n.channel, n.attempts, n.delivery_id) for n in pending] == [("pager", 0, "")]

    async def dispatch() -> Outcome:
        async with httpx.AsyncClient() as http:
            return await send(compose(pending, settings)[0], Via(settings, http, None, T0))

    with pytest.raises(channels.UnknownChannel, match="unknown alert channel 'pager'"):
        asyncio.run(dispatch())
    assert Pager.sent == []
    with pytest.raises(channels.UnknownChannel, match="unknown alert channel 'pager'"):
        asyncio.run(send_weekly(weekly_run.report, "", settings, None, NOW))


def test_a_channel_module_missing_a_member_is_refused_by_name() -> None:
    with pytest.raises(channels.ChannelError, match=r"alert channel half must define .*send_weekly"):
        channels.register("half", object())  # type: ignore[arg-type]


def add_a_channel_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Add a channel\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_names_the_files_a_channel_takes_and_they_exist_for_every_channel() -> None:
    steps = re.findall(r"^\d+\. `([^`]+)`", add_a_channel_section(), flags=re.M)
    assert steps == ["monitor/alerts/channels/<name>.py", "tests/alerts/test_<what it sends>.py"]
    for name in channels.known():
        assert (ROOT / steps[0].replace("<name>", name)).is_file()
    tests = re.findall(r"`(tests/alerts/test_\w+\.py)`", add_a_channel_section())
    assert tests
    assert all((ROOT / path).is_file() for path in tests)
    for member in channels.REQUIRED:
        assert f"`{member}`" in add_a_channel_section()
