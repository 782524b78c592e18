"""A tag's own draws in one compiled pass over its EPC words: the identity hash of its fading draws (`rf.tag_hash`)
and the uniforms behind its chip offset and dead flag (`rf.tag_quality`), whose inverse normal stays scipy's. The
same values as those two (splitmix64 on unsigned 64-bit words is exact), three hashes per tag in one loop instead of
some thirty numpy passes.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit
from scipy.special import ndtri

from twin.readers import rf

_M1, _M2, _GOLD = rf._M1, rf._M2, rf._GOLD
_S11, _S27, _S30, _S31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)


@njit(cache=True)
def _mix(h):
    h = h ^ (h >> _S30)
    h = h * _M1
    h = h ^ (h >> _S27)
    h = h * _M2
    return h ^ (h >> _S31)


@njit(cache=True)
def _hashes(words, s_tag, s_off, s_dead):
    """Per row of EPC words: `rf.hash_u64` under the three seeds (tag identity; uniforms of offset and dead)."""
    n = words.shape[0]
    th = np.empty(n, np.uint64)
    u_off = np.empty(n)
    u_dead = np.empty(n)
    for i in range(n):
        w0, w1, w2 = words[i, 0] + _GOLD, words[i, 1] + _GOLD, words[i, 2] + _GOLD
        th[i] = _mix(_mix(_mix(s_tag ^ w0) ^ w1) ^ w2)
        h = _mix(_mix(_mix(s_off ^ w0) ^ w1) ^ w2)
        u_off[i] = (np.float64(h >> _S11) + 0.5) * (1.0 / 9007199254740992.0)
        h = _mix(_mix(_mix(s_dead ^ w0) ^ w1) ^ w2)
        u_dead[i] = (np.float64(h >> _S11) + 0.5) * (1.0 / 9007199254740992.0)
    return th, u_off, u_dead


@functools.lru_cache(maxsize=64)
def _seeds(seed: int) -> tuple:
    """The three hash seeds of `tag_draws` for a run seed (tag identity; offset and dead uniforms)."""
    m = 0xFFFFFFFFFFFFFFFF
    return tuple(np.uint64((seed ^ rf.stable_key(k)) & m) for k in ("tag", "tag-offset", "tag-dead"))


def tag_draws(seed: int, epc: np.ndarray, params: rf.RFParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tag hash, chip offset dB, dead) per tag: `rf.tag_hash` and `rf.tag_quality` (the same values)."""
    th, u_off, u_dead = _hashes(np.ascontiguousarray(rf.epc_words(epc)), *_seeds(int(seed)))
    z = ndtri(u_off)
    offset = params.tag_offset_sigma_db * np.clip(z, -params.shadow_clip_sigma, params.shadow_clip_sigma)
    d = params.dead_share
    if d <= 0:
        return th, offset, np.zeros(len(th), bool)
    # ndtri(u) < ndtri(d) is u < d wherever they are 1e-9 apart (ndtri rises by >= 2.5 per unit, its error is
    # ~1e-16); the inverse normal only for the rest, so the same flags
    dead = u_dead < d
    near = np.flatnonzero(np.abs(u_dead - d) <= 1e-9)
    if len(near):
        dead[near] = ndtri(u_dead[near]) < ndtri(d)
    return th, offset, dead
