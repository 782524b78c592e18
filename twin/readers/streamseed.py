"""The read engine's named Generators, spawned cheaply: the same numbers as `Streams.generator(name)`.

`Streams.generator` builds a SeedSequence (its entropy pool mixed in Python-level numpy scalars), a fresh PCG64 and
a Generator: ~60 us, once per chunk and once per reader clock. The same PCG64 state follows from integer arithmetic
alone: numpy's SeedSequence mixing (`_pool`, `_words`, one compiled pass over uint32 words) gives the four 64-bit
seed words PCG64 takes, and PCG64's seeding (two steps of its 128-bit LCG) is a few Python integer operations. The
state is set on a bit generator the engine keeps (`Spawner`), so a chunk's Generator costs a hash of its name and
two small calls. The algorithm is numpy's (numpy/random/bit_generator.pyx: SeedSequence.mix_entropy and
generate_state; numpy/random/src/pcg64: pcg_setseq_128_srandom_r); `tests/readers/test_streamseed.py` checks the
states equal numpy's for random seeds and names.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import njit

from twin.rng import Streams

_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_M32 = 0xFFFFFFFF
_M128 = (1 << 128) - 1
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645  # PCG_DEFAULT_MULTIPLIER_128


@njit(cache=True)
def _mix_into(x, word, hc):
    """SeedSequence's `mix(x, hashmix(word))` on uint32 values in int64; returns (mixed, next hash constant)."""
    m32 = np.int64(0xFFFFFFFF)
    v = (word ^ hc) & m32
    hc = (hc * 0x931E8875) & m32
    v = (v * hc) & m32
    v ^= v >> 16
    r = (0xCA01F9DD * x - 0x4973F715 * v) & m32
    return r ^ (r >> 16), hc


@njit(cache=True)
def _words(entropy):
    """SeedSequence(pool_size 4).generate_state(4, uint64) of the assembled entropy words (uint32 values in int64):
    the mixed pool, then eight output words, as little-endian pairs into four uint64."""
    m32 = np.int64(0xFFFFFFFF)
    pool = np.zeros(4, np.int64)
    hc = np.int64(0x43B0D7E5)
    for i in range(4):  # hashmix of each of the first four words (0 past the end)
        v = entropy[i] if i < entropy.shape[0] else 0
        v = (v ^ hc) & m32
        hc = (hc * 0x931E8875) & m32
        v = (v * hc) & m32
        pool[i] = v ^ (v >> 16)
    for s in range(4):
        for d in range(4):
            if s != d:
                pool[d], hc = _mix_into(pool[d], pool[s], hc)
    for s in range(4, entropy.shape[0]):
        for d in range(4):
            pool[d], hc = _mix_into(pool[d], entropy[s], hc)
    out = np.empty(8, np.int64)
    hb = np.int64(0x8B51F9DD)
    for i in range(8):
        v = (pool[i % 4] ^ hb) & m32
        hb = (hb * 0x58F38DED) & m32
        v = (v * hb) & m32
        out[i] = v ^ (v >> 16)
    return out


def _seed_words(seed: int) -> list[int]:
    """numpy's `_int_to_uint32_array`: the seed's little-endian 32-bit words ([0] for 0)."""
    if seed == 0:
        return [0]
    w = []
    while seed > 0:
        w.append(seed & _M32)
        seed >>= 32
    return w


def _entropy(seed: int, n_key: int) -> list[int]:
    """The run entropy words of `seed` as SeedSequence assembles them before a spawn key of n_key words."""
    run = _seed_words(int(seed))
    if n_key and len(run) < 4:  # numpy pads the run entropy to the pool size before a spawn key
        run = run + [0] * (4 - len(run))
    return run


def pcg64_state(seed: int, spawn_key: tuple[int, ...]) -> tuple[int, int]:
    """(state, inc) of `PCG64(SeedSequence(entropy=seed, spawn_key=spawn_key))` (pool size 4)."""
    w = _words(np.array(_entropy(seed, len(spawn_key)) + [int(k) & _M32 for k in spawn_key], np.int64)).tolist()
    return _seeded(w)


@njit(cache=True)
def _words_key(run, digest):
    """`_words` of the run words followed by the first 16 bytes of a digest as four little-endian uint32 words
    (`Streams._key`)."""
    e = np.empty(run.shape[0] + 4, np.int64)
    e[:run.shape[0]] = run
    for k in range(4):
        v = np.int64(0)
        for b in range(4):
            v |= np.int64(digest[4 * k + b]) << (8 * b)
        e[run.shape[0] + k] = v
    return _words(e)


def _seeded(w: list[int]) -> tuple[int, int]:
    """PCG64's (state, inc) from SeedSequence's eight output words (as four little-endian uint64)."""
    s0, s1, i0, i1 = (w[2 * k] | (w[2 * k + 1] << 32) for k in range(4))
    initstate, initseq = (s0 << 64) | s1, (i0 << 64) | i1  # pcg64_set_seed: seed[0] high, seed[1] low
    inc = ((initseq << 1) | 1) & _M128
    state = inc  # srandom_r: state 0, one step (0 * mult + inc), add initstate, one step
    state = (state + initstate) & _M128
    state = (state * _PCG_MULT + inc) & _M128
    return state, inc


class Spawner:
    """`streams.generator(name)` as one kept PCG64 reseeded in place: each call returns a Generator over that bit
    generator with the named stream's state, so the previous one returned must no longer be in use."""

    def __init__(self, streams: Streams):
        self.streams = streams
        self.bg = np.random.PCG64(0)
        self.gen = np.random.Generator(self.bg)
        self._run = np.array(_entropy(streams.seed, 4), np.int64)

    def generator(self, name: str) -> np.random.Generator:
        digest = np.frombuffer(hashlib.sha256(name.encode("utf-8")).digest(), np.uint8)  # `Streams._key`
        state, inc = _seeded(_words_key(self._run, digest).tolist())
        self.bg.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0,
                         "uinteger": 0}
        return self.gen


def warm() -> None:
    """Compile (first install) or load (later) `_words`."""
    _words(np.zeros(8, np.int64))
    _words_key(np.zeros(4, np.int64), np.zeros(32, np.uint8))
