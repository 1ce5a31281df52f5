"""The advisory report of every exemption applied in this run, so none is silent."""

from __future__ import annotations

from policy_frame import exemptions_report

from ._frame import Rule

# Must run after every other stack policy: the engine runs stack policies in the pack's order.
RULE = exemptions_report(Rule, "security-exemptions")
