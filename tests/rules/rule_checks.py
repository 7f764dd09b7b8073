"""The checks that hold a rule to the files the README's "Add a rule" names, run in a copy of the
repository by tests/rules/test_add_a_rule.py (which adds a throw-away rule there). Each check calls the
repository's own test functions; the result is one JSON object: check name -> null (it passed) or the
first line of why it failed.

    python -m tests.rules.rule_checks [--regenerate] [--exitfirst]      (from the root of the copy)

--regenerate first runs `python -m monitor rules --format markdown --output docs/rules.md` in this
interpreter (its failure is reported as the check "regenerate"); --exitfirst stops at the first check
that fails, as pytest -x does (the checks run cheapest first).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable


def catalog() -> None:
    """tests/rules/test_catalog.py: every rule loads, has its cases, and each case holds."""
    from monitor.rules import load_catalog, rule_cases
    from tests.rules import test_catalog as t

    for entry in load_catalog():
        t.test_rule_has_pass_fail_and_a_generated_skip_case_per_fact_it_reads(entry)
        t.test_a_rule_cites_public_sources_only(entry)
        for case in rule_cases(entry):
            t.test_rule_case(entry, case)
    t.test_no_rule_fires_on_the_healthy_tenant()
    t.test_every_cases_module_belongs_to_a_rule()


def messages() -> None:
    from tests.alerts.test_messages import test_every_rule_has_a_designed_message

    test_every_rule_has_a_designed_message()


def oracle() -> None:
    """tests/examples/test_tenantgen.py: oracle() judges every rule, as each bundled tenant expects."""
    from examples import tenantgen
    from tests.examples.test_tenantgen import test_the_planted_problems_and_nothing_else

    descriptions = {name: build().description for name, build in tenantgen.BUNDLED.items()}
    for name in tenantgen.BUNDLED:
        test_the_planted_problems_and_nothing_else(name, descriptions)


def reference() -> None:
    from tests.rules.test_reference import test_docs_rules_md_is_current

    test_docs_rules_md_is_current()


def count() -> None:
    from tests.test_docs import test_the_readme_counts_the_rules_the_catalog_has

    test_the_readme_counts_the_rules_the_catalog_has()


CHECKS: dict[str, Callable[[], None]] = {
    "catalog": catalog,
    "messages": messages,
    "reference": reference,
    "count": count,
    "oracle": oracle,  # reads every bundled tenant: seconds
}


def regenerate() -> None:
    import contextlib
    import io

    from monitor.cli import main

    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        code = main(["rules", "--format", "markdown", "--output", "docs/rules.md"])
    if code != 0:
        command = "python -m monitor rules --format markdown --output docs/rules.md"
        raise RuntimeError(f"{command} failed: {said.getvalue().strip()}")


def main() -> int:
    checks = ({"regenerate": regenerate} if "--regenerate" in sys.argv[1:] else {}) | CHECKS
    results: dict[str, str | None] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = None
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the next check still runs
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            results[name] = f"{type(exc).__name__}: {first}"
            if "--exitfirst" in sys.argv[1:]:
                break
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
