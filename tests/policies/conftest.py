"""Policy-pack tests import the packs' rule modules directly: put every pack directory on sys.path
(the engine runs a pack with its own directory as cwd, which is what makes ``import <pack module>`` work)
and policies/ itself, where the shared ``policy_frame`` lives (each pack's ``__main__.py`` adds it)."""

from __future__ import annotations

import sys
from pathlib import Path

POLICIES = Path(__file__).resolve().parents[2] / "policies"

for pack_dir in [POLICIES, *sorted(p for p in POLICIES.iterdir() if (p / "PulumiPolicy.yaml").exists())]:
    if str(pack_dir) not in sys.path:
        sys.path.insert(0, str(pack_dir))
