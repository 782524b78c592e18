"""The world's reader status stream: per chunk, inside the chunk, silent over link outages, reproducible."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

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
