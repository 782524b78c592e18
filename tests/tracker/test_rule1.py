"""DESIGN rule 1: the tracker learns the site only from site.json -- no module under twin/tracker imports the twin."""

from __future__ import annotations

import ast
from pathlib import Path

import twin.tracker

FORBIDDEN = ("building", "readers", "agents", "world", "bench")
ROOT = Path(twin.tracker.__file__).parent


def _imports(path: Path) -> list[tuple[int, str]]:
    """Absolute module names imported by a file (relative imports resolved against its package)."""
    rel = path.relative_to(ROOT.parent.parent).with_suffix("")
    return _imports_src(path.read_text(encoding="utf-8"), list(rel.parts[:-1]), str(path))


def _imports_src(src: str, package: list[str], name: str = "<src>") -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(src, name)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            out.append((node.lineno, mod))
            if not node.module:  # from .. import world
                out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
    return out


def test_tracker_imports_nothing_of_the_twin():
    bad = []
    files = sorted(ROOT.rglob("*.py"))
    assert files
    for f in files:
        for line, mod in _imports(f):
            parts = mod.split(".")
            if len(parts) >= 2 and parts[0] == "twin" and parts[1] in FORBIDDEN:
                bad.append(f"{f.relative_to(ROOT.parent.parent)}:{line} imports {mod}")
    assert not bad, "\n".join(bad)


def test_the_scan_catches_forbidden_imports():
    """The scanner itself resolves relative imports (a guard against a test that can never fail)."""
    src = "from ..bench import naive\nfrom .. import world\nimport twin.readers.site\nfrom ..records import READ_DTYPE\n"
    mods = [m for _, m in _imports_src(src, ["twin", "tracker"])]
    assert "twin.bench" in mods and "twin.world" in mods and "twin.readers.site" in mods and "twin.records" in mods
