"""Resolve `--core NAME` to a core instance: a registered name (naive, oracle, tracker) or package.module:Class.

Built-in cores register a lazy import path, so a core that does not exist yet (or fails to import) is reported as a
clear TwinError instead of a traceback; a user's class is checked against the Core protocol before a run starts.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import TwinError
from .protocol import Core, protocol_gaps

#: name -> "package.module:Class" of the built-in cores.
REGISTRY: dict[str, str] = {
    "naive": "twin.bench.naive:NaiveCore",
    "oracle": "twin.bench.oracle:OracleCore",
    "tracker": "twin.tracker.core:TrackerCore",
}


class CoreLoadError(TwinError):
    """A core named on the command line cannot be found, imported, or does not satisfy the Core protocol."""


def register_core(name: str, target: str) -> None:
    """Make `--core name` resolve to `target` ("package.module:Class")."""
    if ":" not in target:
        raise ValueError(f"core target {target!r}: expected 'package.module:Class'")
    REGISTRY[name] = target


def resolve_core_class(name: str) -> type:
    """The class behind a core name or a 'package.module:Class' path."""
    target = REGISTRY.get(name, name)
    if ":" not in target:
        known = ", ".join(sorted(REGISTRY))
        raise CoreLoadError(f"core {name!r}: expected one of {known} or 'package.module:Class'")
    mod_name, _, cls_name = target.partition(":")
    if not mod_name or not cls_name:
        raise CoreLoadError(f"core {name!r}: expected 'package.module:Class' with both parts")
    try:
        module = importlib.import_module(mod_name)
    except ImportError as e:
        hint = " (this built-in core is not available in this version)" if name in REGISTRY else ""
        raise CoreLoadError(f"core {name!r}: cannot import module {mod_name!r}: {e}{hint}") from e
    except Exception as e:  # a user's module that fails while importing
        raise CoreLoadError(f"core {name!r}: module {mod_name!r} failed to import: {type(e).__name__}: {e}") from e
    cls: Any = module
    for part in cls_name.split("."):
        cls = getattr(cls, part, None)
        if cls is None:
            raise CoreLoadError(f"core {name!r}: module {mod_name!r} has no attribute {cls_name!r}")
    if not isinstance(cls, type):
        raise CoreLoadError(f"core {name!r}: {target!r} is not a class")
    gaps = protocol_gaps(cls)
    if gaps:
        raise CoreLoadError(f"core {name!r}: class {target!r} does not satisfy the Core protocol: lacks {', '.join(gaps)}")
    return cls


def load_core(name: str, site: dict, config: dict | None = None) -> Core:
    """An instance of the core `name` built from the site dict and an optional config dict."""
    cls = resolve_core_class(name)
    try:
        core = cls(site, config)
    except TwinError:
        raise
    except Exception as e:
        raise CoreLoadError(f"core {name!r}: constructing {cls.__name__}(site, config) failed: {type(e).__name__}: {e}") from e
    return core
