"""The tracker's site tables: antennas mapped to places, the port lookup, portal pairs, hop distances; passages."""

from __future__ import annotations

import numpy as np
import pytest

from twin.errors import InputError
from twin.tracker.portal import Passages
from twin.tracker.sitemodel import KIND_CODES, site_model

from .synth import S, SITE, T0


def test_antennas_and_places():
    m = site_model(SITE)
    i = m.port_lut[m.readers.index("R-d-a"), 2]
    assert m.ant_kind[i] == KIND_CODES["portal"]
    assert m.spaces[m.ant_space[i]] == "corr" and m.spaces[m.ant_other[i]] == "room-a" and m.doors[m.ant_door[i]] == "d-a"
    j = m.port_lut[m.readers.index("R-a"), 3]
    assert m.storage[m.ant_storage[j]] == "room-a/S2" and m.spaces[m.ant_space[j]] == "room-a"
    assert m.port_lut[m.readers.index("R-b"), 2] == -1
    assert frozenset((m.space_index("corr"), m.space_index("room-a"))) in m.portal_pairs


def test_hops():
    m = site_model(SITE)
    h = m.hops()
    a, b, c = m.space_index("room-a"), m.space_index("room-b"), m.space_index("corr")
    assert h[a, a] == 0 and h[a, c] == 1 and h[a, b] == 2 and h[b, a] == 2


def test_bad_site_is_an_input_error():
    bad = {"readers": [{"id": "R", "antennas": [{"port": "x", "kind": "zone", "covers": {"space": "a"}},
                                                 {"port": 2, "kind": "laser", "covers": {"space": "a"}}]}]}  # fmt: skip
    with pytest.raises(InputError) as e:
        site_model(bad)
    msg = str(e.value)
    assert "readers[0].antennas[0].port" in msg and "readers[0].antennas[1].kind" in msg


def test_passage_bursts_open_after_quiet_and_close_after_burst():
    p = Passages(n_doors=2, quiet_s=20.0, burst_s=8.0)
    p.grow(1)
    t = T0 + (np.array([0.0, 1.0, 2.0, 9.0, 10.0, 40.0, 41.0]) * S).astype(np.int64)
    young = p.young(np.zeros(len(t), np.int32), t, np.zeros(len(t), np.int32))
    # first read of a burst never counts; 9 s and 10 s are past the 8 s burst; 40 s opens a new burst after quiet
    assert young.tolist() == [False, True, True, False, False, False, True]
    # the same rows split over two batches give the same answer (state carried per tag and door)
    q = Passages(n_doors=2, quiet_s=20.0, burst_s=8.0)
    q.grow(1)
    z = np.zeros(len(t), np.int32)
    got = q.young(z[:2], t[:2], z[:2]).tolist() + q.young(z[2:], t[2:], z[2:]).tolist()
    assert got == young.tolist()
