"""The advisory report of every exemption applied in this run, so none is silent."""

from __future__ import annotations

from collections.abc import Iterator

from ._config import EXEMPTION_LOG
from ._rules import ADVISORY, LOW, Context, Graph, Res, Rule

AREA = "exemptions"


def check_exemptions(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for entry in EXEMPTION_LOG.take():
        res = graph.by_urn(entry.urn)
        if res is None:
            continue
        yield res, (f"exempted from {entry.policy} by '{entry.pattern}': {entry.reason}. Remove the exemption "
                    "from the policy config once it is no longer needed.")


# Must run after every other stack policy: the engine runs stack policies in the pack's order.
RULE = Rule("security-exemptions", AREA, "Exemptions from security policies are reported with their reasons.",
            LOW, check_exemptions, stack=True, enforcement=ADVISORY)
