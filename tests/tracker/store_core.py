"""A small state-machine core used by the store tests: it knows nothing of the locating core.

Run as a script: `python store_core.py STORE N_CHUNKS [--sleep-s S] [--resume] [--stall-after K]` processes a seeded synthetic stream
chunk by chunk and commits one store chunk (with a checkpoint) per stream chunk. Its state (tag -> space, holder,
open alerts) travels as an opaque pickled blob.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time

import numpy as np

T0_US = 1_700_000_000_000_000
CHUNK_US = 60_000_000
SPACES = ("office", "corridor", "archive", "car_park")
OFFICERS = ("", "o-01", "o-02")
N_TAGS = 40


def stream_chunk(i: int) -> list[tuple[int, str, str, str]]:
    """The i-th chunk of the synthetic stream: (t_us, epc, space, holder) sightings; a pure function of i."""
    rng = np.random.Generator(np.random.PCG64([7, i]))
    n = int(rng.integers(5, 30))
    t = np.sort(rng.integers(0, CHUNK_US, n)) + T0_US + i * CHUNK_US
    tags = rng.integers(0, N_TAGS, n)
    sp = rng.integers(0, len(SPACES), n)
    ho = rng.integers(0, len(OFFICERS), n)
    return [(int(a), f"{0x2C:02X}{b:022X}", SPACES[c], OFFICERS[d]) for a, b, c, d in zip(t, tags, sp, ho)]


def step(state: dict, rows: list) -> tuple[list, list, list]:
    """Apply one chunk: estimate changes, custody changes, alerts (raised when a tag reaches the car park)."""
    est, cus, alr = [], [], []
    for t_us, epc, space, holder in rows:
        old = state["tags"].get(epc, ("", ""))
        if old[0] != space:
            est.append({"t_us": t_us, "epc": epc, "space": space, "storage": "", "holder": holder, "confidence": 0.9})
        if old[1] != holder:
            cus.append({"t_us": t_us, "epc": epc, "holder": holder, "from": old[1], "how": "badge"})
        state["tags"][epc] = (space, holder)
        key = ("left_building", epc)
        if space == "car_park" and key not in state["open"]:
            state["open"].add(key)
            alr.append({"t_us": t_us, "state": "raised", "kind": "left_building", "epc": epc, "space": space})
        elif space != "car_park" and key in state["open"]:
            state["open"].discard(key)
            alr.append({"t_us": t_us, "state": "cleared", "kind": "left_building", "epc": epc, "space": space})
    return est, cus, alr


def run(path: str, n_chunks: int, sleep_s: float = 0.0, resume: bool = False, stall_after: int = 0) -> dict:
    sys.path.insert(0, ".")
    from twin.tracker.store import Store

    store = Store(path)
    state, start = {"tags": {}, "open": set()}, 0
    if resume:
        cp = store.resume()
        if cp is not None:
            state, start = pickle.loads(cp.state), cp.input_offset
    for i in range(start, n_chunks):
        est, cus, alr = step(state, stream_chunk(i))
        t_us = T0_US + (i + 1) * CHUNK_US
        store.append_chunk(t_us, est, cus, alr, state=pickle.dumps(state), input_offset=i + 1)
        if sleep_s:
            time.sleep(sleep_s)
        if stall_after and i + 1 == stall_after:
            time.sleep(60)  # never finish before the test has had its chance to kill us
    store.close()
    return state


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("n_chunks", type=int)
    ap.add_argument("--sleep-s", type=float, default=0.0)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--stall-after", type=int, default=0)
    a = ap.parse_args()
    run(a.store, a.n_chunks, a.sleep_s, a.resume, a.stall_after)
