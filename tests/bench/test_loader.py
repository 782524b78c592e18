"""`--core NAME` resolution: built-in names, a user's package.module:Class, and clear errors for the rest."""

from __future__ import annotations

import textwrap

import numpy as np
import pyarrow as pa
import pytest

from twin.bench.loader import CoreLoadError, load_core, register_core, resolve_core_class
from twin.bench.naive import NaiveCore
from twin.bench.protocol import BaseCore, Core, CoreOutput
from twin.errors import TwinError
from twin.records import ESTIMATES_SCHEMA, READ_DTYPE, rows_to_table

from .tables import SITE, T0, S

USER_CORE = '''
import pyarrow as pa
from twin.bench.protocol import BaseCore
from twin.records import ESTIMATES_SCHEMA, rows_to_table


class EverythingInTheArchive(BaseCore):
    """Says every tag it has seen is in the archive."""

    name = "archive-guess"

    def ingest(self, reads):
        rows = [{"t_us": int(r["t_us"]), "epc": r["epc"].decode(), "space": "archive"} for r in reads]
        self.emit_estimates(rows_to_table(rows, ESTIMATES_SCHEMA))


class NoAdvance:
    name = "broken"

    def __init__(self, site, config=None):
        pass

    def ingest(self, reads):
        pass

    def apply(self, events):
        pass


class Exploding(BaseCore):
    name = "exploding"

    def __init__(self, site, config=None):
        raise RuntimeError("no site for me")
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_cores.py").write_text(textwrap.dedent(USER_CORE))
    (tmp_path / "bad_module.py").write_text("import no_such_dependency_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_cores"


def test_naive_by_name():
    core = load_core("naive", SITE, {"anything": 1})
    assert isinstance(core, NaiveCore) and isinstance(core, Core)


def test_a_users_core_by_module_and_class(user_module):
    core = load_core(f"{user_module}:EverythingInTheArchive", SITE, {"k": 2})
    assert isinstance(core, Core) and core.name == "archive-guess" and core.config == {"k": 2}
    r = np.zeros(1, READ_DTYPE)
    r["t_us"], r["epc"] = T0 + S, b"2C0000000000000000000001"
    core.ingest(r)
    out = core.advance(T0 + 2 * S)
    assert isinstance(out, CoreOutput)
    assert out.estimates.to_pydict()["space"] == ["archive"]
    assert core.advance(T0 + 3 * S).estimates.num_rows == 0  # handed back once


@pytest.mark.parametrize(
    "name, message",
    [
        ("nonsense", "expected one of naive, oracle, tracker or 'package.module:Class'"),
        ("no_such_pkg.mod:Core", "cannot import module 'no_such_pkg.mod'"),
        ("bad_module:Core", "cannot import module 'bad_module'"),
        ("my_cores:Missing", "has no attribute 'Missing'"),
        ("my_cores:NoAdvance", "lacks method advance()"),
        ("my_cores:Exploding", "constructing Exploding(site, config) failed: RuntimeError: no site for me"),
        ("my_cores:", "expected 'package.module:Class' with both parts"),
        ("textwrap:dedent", "is not a class"),
    ],
)
def test_clear_errors(user_module, name, message):
    with pytest.raises(CoreLoadError) as e:
        load_core(name, SITE)
    assert isinstance(e.value, TwinError)
    assert message in str(e.value)


def test_registered_names_resolve_lazily():
    register_core("naive-again", "twin.bench.naive:NaiveCore")
    assert resolve_core_class("naive-again") is NaiveCore
    with pytest.raises(ValueError):
        register_core("bad", "no colon here")


def test_base_core_defaults_return_empty_contract_tables():
    core = BaseCore(SITE)
    core.apply(pa.table({}))
    out = core.advance(T0)
    assert out.estimates.schema == ESTIMATES_SCHEMA and out.estimates.num_rows == 0 and out.alerts.num_rows == 0
    core.emit_estimates(rows_to_table([{"t_us": T0, "epc": "E", "space": "corr"}], ESTIMATES_SCHEMA))
    assert core.advance(T0 + S).estimates.num_rows == 1
