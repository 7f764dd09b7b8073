"""Rendering what people see, the way they see it: Teams cards drawn by Microsoft's own Adaptive Cards
renderer (the npm package `adaptivecards`, installed under tools/adaptivecards by scripts/bootstrap.sh)
and emails and the weekly report as pages, all in headless Debian chromium at a phone's width.

Each page measures itself in the browser (horizontal overflow, cut button titles, `None`, unlabelled
GUIDs, tiny chart labels) and writes what it found as JSON into the DOM, read back over the DevTools
protocol from one chromium per test process (tests/rendering/devtools.py), each page in a fresh tab.
Screenshots go under .run/rendering/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import CHROMIUM
from tests.conftest import ROOT
from tests.rendering.devtools import Tab, shared_browser

RENDERER = (
    ROOT / "tools" / "adaptivecards" / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"
)
HOST_CONFIG = ROOT / "tests" / "data" / "teams-host-config.json"
SHOTS = ROOT / ".run" / "rendering"
PHONE = 360  # a Teams card on a phone: the narrowest common screen, less Teams' own margins
MAIL_PHONE = 390

# The same rule as tests/alerts/test_messages.py: a GUID a person reads is labelled ("User ID …").
_CHECKS = r"""
const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const LABELLED = /(?:ID|Id|\btenant|client_id=|\/)\s*\{?$/;
function unlabelled(text) {
  const found = [];
  for (const m of text.matchAll(GUID)) {
    if (!LABELLED.test(text.slice(Math.max(0, m.index - 12), m.index))) found.push(m[0]);
  }
  return found;
}
function overflowing(box) {
  const right = box.getBoundingClientRect().right + 1;
  const wide = [];
  for (const el of box.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > right && !insideScroller(el, box)) {
      wide.push((el.tagName + " " + (el.innerText || el.textContent || "").slice(0, 60)).trim());
    }
  }
  return wide.slice(0, 5);
}
function insideScroller(el, box) {
  for (let p = el.parentElement; p && p !== box; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === "auto" || o === "scroll") return true;
  }
  return false;
}
function cutTitles(box) {
  const cut = [];
  for (const button of box.querySelectorAll("button, .ac-pushButton")) {
    for (const el of [button, ...button.querySelectorAll("*")]) {
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== "visible") {
        cut.push(button.innerText.trim() || button.title);
        break;
      }
    }
  }
  return cut;
}
function textIssues(text) {
  return {none: /\bNone\b/.test(text), guids: unlabelled(text)};
}
"""

_CARD_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{margin:0;background:#f5f5f5;font-family:'Segoe UI',Arial,sans-serif}}
.card{{width:{width}px;margin:0 0 24px;background:#fff;box-sizing:border-box}}
/* Teams draws buttons of one height that share the row and cut a long title with an ellipsis. */
.ac-pushButton{{min-width:0;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;height:32px;
padding:0 12px;border:1px solid #d1d1d1;border-radius:4px;background:#fff;color:#242424;
font:600 14px 'Segoe UI',system-ui,Arial,sans-serif}}</style>
<script>{renderer}</script></head><body><div id="cards"></div><pre id="result"></pre>
<script>{checks}
const hostConfig = new AdaptiveCards.HostConfig({host});
const cards = {cards};
const results = {{}};
for (const [name, payload] of Object.entries(cards)) {{
  const box = document.createElement("div");
  box.className = "card";
  box.id = name;
  document.getElementById("cards").appendChild(box);
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = hostConfig;
  const errors = [];
  card.parse(payload, new AdaptiveCards.SerializationContext());
  const rendered = card.render();
  if (!rendered) errors.push("did not render");
  else box.appendChild(rendered);
  const text = box.innerText;
  results[name] = {{errors, cut: cutTitles(box), wide: overflowing(box),
    scroll: box.scrollWidth > box.clientWidth + 1,
    buttons: [...box.querySelectorAll("button")].map(b => b.innerText.trim()),
    text, ...textIssues(text)}};
}}
document.getElementById("result").textContent = JSON.stringify(results);
</script></body></html>
"""

# The page goes into an iframe exactly `width` px wide (headless chromium will not make a window
# narrower than 500 px): its media queries and layout see a phone's viewport.
_PAGE_WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{{margin:0}}
iframe{{width:{width}px;height:{height}px;border:0;display:block}}</style></head><body>
<iframe id="page" srcdoc="{srcdoc}"></iframe><pre id="result"></pre><script>{checks}
window.addEventListener("load", () => {{
  const doc = document.getElementById("page").contentDocument;
  const labels = [...doc.querySelectorAll("svg text")].map(t => t.getBoundingClientRect().height)
    .filter(h => h > 0);
  const text = doc.body.innerText;
  document.getElementById("result").textContent = JSON.stringify({{
    width: doc.documentElement.scrollWidth, viewport: doc.documentElement.clientWidth,
    wide: overflowing(doc.body), smallestLabel: labels.length ? Math.min(...labels) : null,
    text, ...textIssues(text)}});
}});
</script></body></html>"""


def need_browser() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run scripts/bootstrap.sh (it installs Debian's chromium)")
    if not RENDERER.exists():
        pytest.fail(
            "the Adaptive Cards renderer is missing: run scripts/bootstrap.sh (npm, tools/adaptivecards)"
        )


def _measure(page: Path, width: int, height: int = 2400) -> Any:
    """Load the page in a `width` x `height` viewport; what its scripts wrote into #result."""
    tab = Tab(shared_browser(), page.as_uri(), width, height)
    try:
        return json.loads(tab.text_of("result"))
    finally:
        tab.close()


def _screenshot(page: Path, shot: Path, width: int, height: int) -> None:
    tab = Tab(shared_browser(), page.as_uri(), width, height)
    try:
        tab.screenshot(shot)
    finally:
        tab.close()


def render_cards(cards: Mapping[str, Mapping[str, Any]], work: Path, width: int = PHONE) -> dict[str, Any]:
    """Render each Adaptive Card in a `width`-px column; return what each page measured."""
    need_browser()
    page = work / "cards.html"
    page.write_text(
        _CARD_PAGE.format(
            width=width,
            renderer=RENDERER.read_text(encoding="utf-8"),
            checks=_CHECKS,
            host=HOST_CONFIG.read_text(encoding="utf-8"),
            cards=json.dumps(cards).replace("</", "<\\/"),
        ),
        encoding="utf-8",
    )
    results: dict[str, Any] = _measure(page, width + 40)
    return results


def screenshot_cards(cards: Mapping[str, Mapping[str, Any]], work: Path, width: int = PHONE) -> list[Path]:
    """One PNG per card under .run/rendering/cards/, drawn by the same renderer at the same width."""
    need_browser()
    out = SHOTS / "cards"
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    for name, card in cards.items():
        page = work / f"{name}.html"
        page.write_text(
            _CARD_PAGE.format(
                width=width,
                renderer=RENDERER.read_text(encoding="utf-8"),
                checks=_CHECKS,
                host=HOST_CONFIG.read_text(encoding="utf-8"),
                cards=json.dumps({name: card}).replace("</", "<\\/"),
            ).replace('<pre id="result"></pre>', ""),
            encoding="utf-8",
        )
        shot = out / f"{name}.png"
        _screenshot(page, shot, width, 1100)
        shots.append(shot)
    return shots


def render_page(markup: str, work: Path, name: str, width: int = MAIL_PHONE) -> dict[str, Any]:
    """Load an HTML page (an email, the weekly report) in a `width`-px viewport: what it measured,
    and a screenshot at .run/rendering/NAME.png."""
    need_browser()
    height = 4000
    page = work / f"{name}.html"
    page.write_text(
        _PAGE_WRAPPER.format(
            width=width, height=height, srcdoc=html.escape(markup, quote=True), checks=_CHECKS
        ),
        encoding="utf-8",
    )
    result: dict[str, Any] = _measure(page, width + 200)
    SHOTS.mkdir(parents=True, exist_ok=True)
    _screenshot(page, SHOTS / f"{name}.png", width, height)
    return result
