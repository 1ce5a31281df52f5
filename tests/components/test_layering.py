"""The dependency points down: __main__ -> components -> accunode.specs / catalog / awsrules.

Components take typed args and never read settings, so importing one must not drag in the settings
model (pydantic) or the cost model; and nothing in ``accunode/`` imports ``components`` (the offline
engine runs the program as a black box).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = sorted(p.stem for p in (ROOT / "components").glob("*.py") if p.stem != "__init__")


def test_there_are_components_to_check():
    assert {"network", "database", "service", "load_balancer"} <= set(COMPONENTS)


@pytest.mark.parametrize("module", COMPONENTS)
def test_a_component_imports_neither_the_settings_nor_the_cost_model(module: str):
    code = (f"import sys, components.{module}; "
            "print(sorted(m for m in ('accunode.settings', 'accunode.costs', 'pydantic') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                            check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr[-2000:]


def test_nothing_in_accunode_imports_components():
    offenders = []
    for path in sorted((ROOT / "accunode").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "components"]
    assert offenders == []
