"""The acknowledge link end to end, the way a person uses it: the Teams card the courier sent, drawn by
Microsoft's Adaptive Cards renderer in headless chromium; a click on its "Acknowledge or snooze" button
opens the confirmation page, served on loopback by the app's own route through the azure-functions
library; a click on "Acknowledge" there sends the form, and the alert in Azurite is acknowledged. Chromium
is driven over its DevTools protocol (aiohttp's WebSocket client), with real mouse events.

Also: every card kind with a link still fits a phone (no cut button title), and so does the email.
Screenshots: .run/rendering/confirm-page*.png and cards/with-link_*.png.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import azure.functions as func
import pytest

from graphsim.receiver import CaptureReceiver
from monitor.alerts import links
from monitor.alerts.channels import email, teams
from monitor.alerts.process import process_alerts
from monitor.records import utcnow
from monitor.store.alerts import AlertStore
from tests.alerts.support import TENANT, alert_settings, failing
from tests.alerts.test_cards import NOTICES
from tests.chromium import chromium_command
from tests.rendering.browser import (
    HOST_CONFIG,
    RENDERER,
    SHOTS,
    need_browser,
    render_cards,
    render_page,
    screenshot_cards,
)
from tests.support import indexed_functions

KEY = "a-link-key-of-at-least-32-characters"
STEP = 60.0  # the longest one browser step may take before the test fails (a hang, not a measurement)


class _Route(BaseHTTPRequestHandler):
    """Loopback stand-in for the Functions host: /api/confirm/{alert_id} to the app's user function."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        match = re.fullmatch(r"/api/confirm/([^/]+)", parts.path)
        if match is None:
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = func.HttpRequest(
            self.command,
            f"{self.server.url}{self.path}",  # type: ignore[attr-defined]
            headers=dict(self.headers.items()),
            params=dict(parse_qsl(parts.query)),
            route_params={"alert_id": match.group(1)},
            body=body,
        )
        response = self.server.function(request)  # type: ignore[attr-defined]
        payload = response.get_body()
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the URL holds a token: not even a test logs it


@pytest.fixture
def app_server(azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Route)
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_address[1]}"
    server.url = url  # type: ignore[attr-defined]
    server.function = indexed_functions()["alert_confirm"].get_user_function()  # type: ignore[attr-defined]
    for name, value in {
        "MONITOR_STORAGE_CONNECTION_STRING": azurite,
        "MONITOR_TABLE_PREFIX": table_prefix,
        "MONITOR_ALERT_LINK_KEY": KEY,
        "MONITOR_PUBLIC_URL": url,
    }.items():
        monkeypatch.setenv(name, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's WebSocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            elif "method" in data:
                await self.events.put(data)

    async def send(self, method: str, **params: Any) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.socket.send_str(json.dumps({"id": self.next_id, "method": method, "params": params}))
        answer = await asyncio.wait_for(future, STEP)
        assert "error" not in answer, answer
        return answer.get("result", {})

    async def loaded(self) -> None:
        while (await asyncio.wait_for(self.events.get(), STEP))["method"] != "Page.loadEventFired":
            pass

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def click(self, label: str) -> None:
        """A real left click in the middle of the button whose text is `label`."""
        box = await self.evaluate(
            "(() => { const b = [...document.querySelectorAll('button')]"
            f".find(b => b.innerText.trim() === {json.dumps(label)});"
            " if (!b) return null; b.scrollIntoView(); const r = b.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        assert box is not None, f"no button {label!r} on the page"
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1
            )

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


async def _page_socket(profile: Path, process: subprocess.Popen[bytes]) -> str:
    port_file = profile / "DevToolsActivePort"
    for _ in range(int(STEP * 10)):
        if port_file.exists() and port_file.read_text().count("\n") >= 1:
            break
        assert process.poll() is None, "chromium exited"
        await asyncio.sleep(0.1)
    port = port_file.read_text().splitlines()[0]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/json/list") as answer,
    ):
        targets = await answer.json()
    return str(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])


CARD_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><style>body{{margin:0}}
.card{{width:360px}}</style><script>{renderer}</script></head><body><div class="card" id="card"></div><script>
const card = new AdaptiveCards.AdaptiveCard();
card.hostConfig = new AdaptiveCards.HostConfig({host});
// What Teams does with Action.OpenUrl: open the URL.
card.onExecuteAction = action => {{ window.location.href = action.url; }};
card.parse({card});
document.getElementById("card").appendChild(card.render());
</script></body></html>"""


async def _acknowledge_through_the_browser(
    card: dict[str, Any], work: Path, store: AlertStore, alert_id: str
) -> dict[str, str]:
    page = work / "card.html"
    page.write_text(
        CARD_PAGE.format(
            renderer=RENDERER.read_text(encoding="utf-8"),
            host=HOST_CONFIG.read_text(encoding="utf-8"),
            card=json.dumps(card).replace("</", "<\\/"),
        ),
        encoding="utf-8",
    )
    profile = work / "profile"
    process = subprocess.Popen(
        chromium_command(profile, "--remote-debugging-port=0", "--window-size=600,1000", "about:blank"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: dict[str, str] = {}
    try:
        url = await _page_socket(profile, process)
        async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0) as socket:
            tools = DevTools(socket)
            await tools.send("Page.enable")
            await tools.send(
                "Emulation.setDeviceMetricsOverride", width=390, height=900, deviceScaleFactor=1, mobile=True
            )
            await tools.send("Page.navigate", url=page.as_uri())
            await tools.loaded()
            await tools.click(teams.ACKNOWLEDGE)
            await tools.loaded()
            seen["url"] = await tools.evaluate("location.href")
            seen["shown"] = await tools.evaluate("document.body.innerText")
            before = store.alert_by_id(alert_id)
            seen["acknowledged after GET"] = str(before.acknowledged_at if before else "missing")
            SHOTS.mkdir(parents=True, exist_ok=True)
            await tools.screenshot(SHOTS / "confirm-page.png")
            await tools.click("Acknowledge")
            await tools.loaded()
            seen["after"] = await tools.evaluate("document.body.innerText")
            await tools.screenshot(SHOTS / "confirm-page-acknowledged.png")
            tools.reader.cancel()
    finally:
        process.terminate()
        process.wait(timeout=STEP)
    return seen


def test_a_person_acknowledges_from_the_card_in_a_browser(
    app_server: str, alert_store: AlertStore, tmp_path: Path
) -> None:
    need_browser()
    now = utcnow()
    with CaptureReceiver() as receiver:
        settings = alert_settings(
            receiver.url, default_route=("ops",), link_key=KEY.encode(), public_url=app_server
        )
        asyncio.run(process_alerts(alert_store, [failing(since=now)], TENANT, now, settings, graph=None))
        [delivery] = receiver.accepted("/teams/ops")
    card = json.loads(delivery.body)["attachments"][0]["content"]
    [alert] = alert_store.alerts(TENANT.id)

    seen = asyncio.run(_acknowledge_through_the_browser(card, tmp_path, alert_store, alert.id))

    assert seen["url"].startswith(f"{app_server}/api/confirm/{alert.id}?token=")
    assert "PIN reset service app is not consented" in seen["shown"]
    assert "Snooze for 1 week" in seen["shown"]
    assert seen["acknowledged after GET"] == "None"
    assert "Acknowledged: no more reminders about this alert" in seen["after"]
    after = alert_store.alert_by_id(alert.id)
    assert after is not None
    assert after.acknowledged_by == "link in Teams"
    assert "link in Teams" in seen["after"]


LINK = (
    "https://pinmon-abc.azurewebsites.net/api/confirm/0123456789ab?token="
    + "1.1767225600.teams.ack%2Bsnooze."
    + "x" * 43
)


def test_every_card_kind_with_its_link_fits_a_phone(tmp_path: Path) -> None:
    cards = {
        "with-link_" + p.id.replace("/", "_").replace(".", "-"): teams.alert_card(p.values[0], LINK)
        for p in NOTICES
    }

    rendered = render_cards(cards, tmp_path)

    assert {n: r["errors"] for n, r in rendered.items() if r["errors"]} == {}
    assert {n: r["cut"] for n, r in rendered.items() if r["cut"]} == {}
    assert {n: r["wide"] for n, r in rendered.items() if r["wide"] or r["scroll"]} == {}
    assert {n: r["guids"] for n, r in rendered.items() if r["guids"] or r["none"]} == {}
    opened = {n: r for n, r in rendered.items() if not n.endswith("_resolved")}
    assert all(r["buttons"][-1] == teams.ACKNOWLEDGE for r in opened.values())
    resolved = [r for n, r in rendered.items() if n.endswith("_resolved")]
    assert all(teams.ACKNOWLEDGE not in r["buttons"] for r in resolved)
    screenshot_cards({n: c for n, c in cards.items() if n.startswith("with-link_consent")}, tmp_path)


def test_the_email_with_its_links_fits_a_phone(tmp_path: Path) -> None:
    opened = [p.values[0] for p in NOTICES if p.id.endswith("/opened")]
    made = links.alert_links(opened, KEY.encode(), "https://pinmon-abc.azurewebsites.net", "email", utcnow())

    page = render_page(email.html_text(opened, made), tmp_path, "alert-email-with-links-390")

    assert (page["width"], page["wide"]) == (page["viewport"], [])
    assert page["text"].count(email.ACKNOWLEDGE) == len(opened)  # several cases of a rule share an ID
