"""docs/rules.md, generated from the catalog's metadata (`python -m monitor rules --format markdown`).

tests/rules/test_reference.py fails when the committed file differs from what this renders.
"""

from __future__ import annotations

from dataclasses import fields

from monitor import sources
from monitor.rules import CatalogEntry, load_catalog, rule_cases
from monitor.thresholds import Thresholds

SUBJECTS = {
    "app": "the app ID",
    "tenant": "the tenant ID",
    "policy": "the policy ID",
    "device": "the Intune device ID",
    "user": "the user ID",
}


def _threshold_rows() -> list[str]:
    defaults = Thresholds()
    users: dict[str, list[str]] = {}
    for entry in load_catalog():
        for name in entry.rule.thresholds:
            users.setdefault(name, []).append(entry.rule.id)
    rows = []
    for f in fields(Thresholds):
        used_by = ", ".join(f"`{rule}`" for rule in users.get(f.name, []))
        rows.append(f"| `MONITOR_{f.name.upper()}` | {getattr(defaults, f.name)} | {used_by} |")
    return rows


def _section(entry: CatalogEntry) -> list[str]:
    rule = entry.rule
    lines = [
        f"## `{rule.id}`",
        "",
        f"**{rule.title}.** Severity **{rule.severity}**; one finding per subject, {SUBJECTS[rule.subject]}.",
        "",
        f"*Why.* {rule.rationale}",
        "",
        f"*Fix.* {rule.remediation}",
        "",
        *_needs(rule.reads, rule.also_reads),
    ]
    if rule.thresholds:
        defaults = Thresholds()
        settings = ", ".join(f"`MONITOR_{n.upper()}` = {getattr(defaults, n)}" for n in rule.thresholds)
        lines += [f"*Thresholds.* {settings}.", ""]
    lines += ["*References.*", ""] + [f"- {ref}" for ref in rule.references] + [""]
    lines += (
        ["*Its own test cases.*", ""] + [f"- {case.status}: {case.name}" for case in rule_cases(entry)] + [""]
    )
    return lines


def _needs(reads: tuple[str, ...], also: tuple[str, ...]) -> list[str]:
    facts = [sources.FACTS[name] for name in reads]
    lines = [
        "*Reads.* "
        + "; ".join(f"{f.description} ({', '.join(f'`{s}`' for s in f.sources)})" for f in facts)
        + ".",
        "",
        "*Needs.* Graph application permission(s) "
        + ", ".join(f"`{p}`" for p in sources.permissions_of(reads))
        + "; licence: "
        + (", ".join(sources.licences_of(reads)) or "none beyond Microsoft Entra ID Free")
        + ". Skipped, with the reason, when they are missing.",
        "",
    ]
    partial = [f.partial for f in facts if f.partial]
    if partial:
        lines += [
            "*Partly.* Without more, the rule checks only part and says so in its reason: "
            + "; ".join(partial)
            + ".",
            "",
        ]
    if also:
        lines += ["*Uses when there.* " + "; ".join(sources.FACTS[n].description for n in also) + ".", ""]
    return lines


def render() -> str:
    catalog = load_catalog()
    lines = [
        "# Rules",
        "",
        "Generated from the rule modules in `monitor/rules/catalog/` by "
        "`python -m monitor rules --format markdown --output docs/rules.md`; do not edit by hand.",
        "",
        "Every rule reports `pass`, `fail`, `skipped` (its data could not be read: a missing permission "
        "or licence, with the reason) or `error` (reading failed). A rule never passes on data it could "
        "not read.",
        "",
        "| rule | severity | subject | title |",
        "|---|---|---|---|",
    ]
    for e in catalog:
        anchor = e.rule.id.replace(".", "")
        lines.append(
            f"| [`{e.rule.id}`](#{anchor}) | {e.rule.severity} | {e.rule.subject} | {e.rule.title} |"
        )
    lines += [
        "",
        "## Thresholds",
        "",
        "Defaults live in `monitor/thresholds.py`; each is overridden by the app setting named here.",
        "",
        "| app setting | default | used by |",
        "|---|---|---|",
        *_threshold_rows(),
        "",
    ]
    for entry in catalog:
        lines += _section(entry)
    return "\n".join(lines).rstrip() + "\n"


def render_table() -> str:
    catalog = load_catalog()
    width = max(len(e.rule.id) for e in catalog)
    return "\n".join(f"{e.rule.id:<{width}}  {e.rule.severity:<8}  {e.rule.title}" for e in catalog) + "\n"
