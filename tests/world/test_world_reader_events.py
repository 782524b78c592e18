"""The world's reader status stream: per chunk, inside the chunk, silent over link outages, reproducible."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from twin.errors import InputError
from twin.scenario import Outage
from twin.world import World

from .test_world import FAKE, collect, small


def test_status_stream_follows_the_outages_chunk_by_chunk():
    scn = small(4, 1.0, 10, 200, 60.0)
    readers = World(scn, **FAKE).placement.readers
    reader = min(r for r in readers if readers[r].kind != "handheld")
    outs = (Outage(reader=reader, start=scn.at(600.0), duration_s=1200.0),)
    scn = scn.model_copy(update={"faults": scn.faults.model_copy(update={"outages": outs, "keepalive_s": 5.0})})
    world = World(scn, **FAKE)
    chunks, reads, _, _ = collect(world)
    for c in chunks:
        t = c.reader_events.column("t_us").to_numpy()
        assert np.all((t >= c.t0_us) & (t < c.t1_us)) and np.all(np.diff(t) >= 0)
    rows = pa.concat_tables([c.reader_events for c in chunks]).to_pylist()
    fixed = [r for r in world.placement.readers.values() if r.kind != "handheld"]
    mode = world.status.outages[0].mode
    t0, t1 = scn.start_us + 600_000_000, scn.start_us + 1_800_000_000
    mine = [r for r in rows if r["reader"] == reader]
    ka = np.array([r["t_us"] for r in mine if r["kind"] == "KEEPALIVE"])
    if mode == "hung":
        assert len(ka) == 720
    else:
        assert not np.any((ka >= t0) & (ka < t1)) and len(ka) == 720 - 240
        assert [r["kind"] for r in mine if r["kind"] != "KEEPALIVE"][-1] == "ConnectionAttemptEvent"
    others = [r for r in rows if r["reader"] != reader]
    assert len(others) == 720 * (len(fixed) - 1)  # one keepalive per 5 s per connected reader
    again = pa.concat_tables([c.reader_events for c in World(scn, **FAKE).run()])
    assert again.to_pylist() == rows


def test_scheduled_outages_are_checked_against_the_placement():
    """A scheduled outage naming no reader of the placement, or a port its reader lacks, is an InputError naming the
    scenario file, the field and the value (it would otherwise be ground truth for a reader no core can know)."""
    scn = small(4, 1.0, 10, 200, 60.0)
    readers = World(scn, **FAKE).placement.readers
    reader = min(r for r in readers if readers[r].kind != "handheld")
    ports = sorted(a.port for a in readers[reader].antennas)
    outs = (Outage(reader="R-nowhere", start=scn.at(600.0), duration_s=60.0),
            Outage(reader=reader, antenna=max(ports) + 1, start=scn.at(600.0), duration_s=60.0),
            Outage(reader=reader, antenna=ports[0], start=scn.at(900.0), duration_s=60.0))
    bad = scn.model_copy(update={"faults": scn.faults.model_copy(update={"outages": outs})})
    with pytest.raises(InputError) as e:
        World(bad, **FAKE)
    msg = str(e.value)
    assert "ci-baseline.toml: faults.outages[0].reader = 'R-nowhere': expected a reader of the placement" in msg
    assert (f"faults.outages[1].antenna = {max(ports) + 1}: expected an antenna port of reader {reader} "
            f"({', '.join(map(str, ports))})") in msg
    assert "outages[2]" not in msg
    good = scn.model_copy(update={"faults": scn.faults.model_copy(update={"outages": outs[2:]})})
    assert [(o.reader, o.antenna) for o in World(good, **FAKE).outages] == [(reader, ports[0])]
