"""Gen2 session rules as caps on the read rate (ANCHORS: S0 none; S1 0.5-5 s; S2/S3 > 2 s unpowered).

The engine hands over, per (reader, tag, report period), the expected S0 reads Λ (dual target: a tag answers every
round it is powered and decoded) and the span [s0, s1) it was in the field. S0 counts are Poisson(Λ). In S1 a read
flips the tag's flag for the persistence time τ, so reads form a renewal process with gaps τ + Exp(λ): the count and
the last read come from one normal/gamma draw each. In S2/S3 a tag is read once and then not again until it has been
out of the field for more than the reset time (a steadily powered static tag stays silent; a flickering weak tag is
re-armed by every S0 gap longer than the reset, rate λ·e^(-λ·reset)). The flag is per tag per reader (shared by its
antennas) and carries over between generation calls; a reader's reads of a tag are shared among its antennas in
proportion to their Λ. Cost follows (reader, tag, period) groups, never reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_NEG = -(1 << 62)


def order_stats(rng: np.random.Generator, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) of n uniforms on [0, 1): min, then max of the other n-1 above it (n >= 1)."""
    u = rng.random(len(n))
    v = rng.random(len(n))
    return order_stats_from(u, v, n)


def order_stats_from(u: np.ndarray, v: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`order_stats` from its two uniforms per count (u, v: overwritten). The powers are numpy's here, also for the
    compiled rules, which hand their uniforms over: numpy's pow may differ from the C library's in the last bit."""
    nf = np.maximum(n.astype(np.float64), 1.0)
    one = nf == 1.0  # u ** 1.0 is u exactly: the power only where the exponent is not 1
    first = 1.0 - np.power(u, 1.0 / nf, out=u, where=~one)
    up = np.power(v, 1.0 / np.maximum(nf - 1.0, 1.0), out=v, where=nf > 2.0)
    return first, np.where(n >= 2, first + (1.0 - first) * up, first)


@dataclass
class SessionState:
    """Per (reader, tag) key: when the S1 flag reverts, whether the S2/S3 flag is armed, when last in the field."""

    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    elig_us: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    armed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    seen_us: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def lookup(self, keys: np.ndarray):
        if not len(self.keys):
            n = len(keys)
            return np.full(n, _NEG, np.int64), np.ones(n, bool), np.full(n, _NEG, np.int64)
        i = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        hit = self.keys[i] == keys
        return (np.where(hit, self.elig_us[i], _NEG), np.where(hit, self.armed[i], True),
                np.where(hit, self.seen_us[i], _NEG))

    def update(self, keys, elig_us, armed, seen_us) -> None:
        if not len(keys):
            return
        if not len(self.keys):
            self.keys, self.elig_us, self.armed, self.seen_us = keys, elig_us, armed, seen_us
            return
        i = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        hit = self.keys[i] == keys
        self.elig_us[i[hit]], self.armed[i[hit]], self.seen_us[i[hit]] = elig_us[hit], armed[hit], seen_us[hit]
        new = ~hit
        if new.any():
            k = np.concatenate([self.keys, keys[new]])
            o = np.argsort(k, kind="stable")
            self.keys = k[o]
            self.elig_us = np.concatenate([self.elig_us, elig_us[new]])[o]
            self.armed = np.concatenate([self.armed, armed[new]])[o]
            self.seen_us = np.concatenate([self.seen_us, seen_us[new]])[o]


def s0_reads(rng, lam, s0, s1):
    """S0 rows: Poisson counts with first/last as order statistics over the span. (numpy's Poisson draws are kept
    here: numba's differs from numpy's for means >= 10 in rare draws.)"""
    n = rng.poisson(lam)
    k = np.flatnonzero(n)
    n = n[k]
    u, v = order_stats(rng, n)
    span = (s1[k] - s0[k]).astype(np.float64)
    return k, n, s0[k] + (u * span).astype(np.int64), s0[k] + (v * span).astype(np.int64)


def session_reads(s1_mode: np.ndarray, key, lam, s0, s1, steady, given, state: SessionState, rng: np.random.Generator,
                  tau_us: float, reset_us: float, compiled: bool = True):
    """Per group (sorted by key, then time): reads n, first and last (true time) under S1 (s1_mode) or S2/S3.

    Where `given`, the group's S0 reads were already drawn (rarely read pairs): [s0, s1) spans them and the first
    one is kept if the flag allows it. `compiled`: the loop over ranks in `sessionkernels.session_all` (the same
    draws in the same order); False: the numpy rule it replaced."""
    G = len(key)
    n = np.zeros(G, np.int64)
    first = np.zeros(G, np.int64)
    last = np.zeros(G, np.int64)
    if not G:
        return n, first, last
    if compiled:
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            lam_us = lam / np.maximum(s1 - s0, 1).astype(np.float64)
            flick = lam * np.exp(-lam_us * reset_us)  # as the numpy rule computes the flicker rate
            mu3 = (tau_us + 1.0 / np.maximum(lam_us, 1e-300)) ** 3  # and the renewal's mean gap cubed
        # numba's Poisson differs from numpy's for means >= 10 in rare draws: such flicker rates keep the numpy rule
        compiled = not np.any((flick >= 10.0) & ~(s1_mode | steady | given))
    if compiled:
        from twin.readers import sessionkernels as sk

        i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
        f8 = lambda a: np.ascontiguousarray(a, np.float64)  # noqa: E731
        b1 = lambda a: np.ascontiguousarray(a, np.bool_)  # noqa: E731
        lam, lam_us, flick, mu3 = f8(lam), f8(lam_us), f8(flick), f8(mu3)
        n, first, last, ukeys, elig, armed, seen, fl = sk.session_all(
            rng, i8(key), b1(s1_mode), lam, lam_us, i8(s0), i8(s1), b1(steady), b1(given), flick, mu3,
            i8(state.keys), i8(state.elig_us), b1(state.armed), i8(state.seen_us), float(tau_us), float(reset_us))
        g, m, u, v, base, span, got = fl  # flicker re-reads of S2/S3 groups: their times from numpy's powers
        if len(g):
            uf, ul = order_stats_from(u, v, m)
            first[g] = np.where(got, first[g], (base + uf * span).astype(np.int64))
            last[g] = (base + ul * span).astype(np.int64)
        state.update(ukeys, elig, armed, seen)
        return n, first, last
    new = np.r_[True, key[1:] != key[:-1]]
    starts = np.flatnonzero(new)
    ukeys = key[starts]
    u_of = np.cumsum(new) - 1
    rank = np.arange(G) - starts[u_of]
    elig, armed, seen = state.lookup(ukeys)
    lam_us = lam / np.maximum(s1 - s0, 1).astype(np.float64)
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(rank.max() + 2))
    for r in range(len(bounds) - 1):
        g_all = order[bounds[r]:bounds[r + 1]]
        s1m = s1_mode[g_all]
        g = g_all[s1m]  # S1: renewal thinning from the time the flag reverts
        if len(g):
            u, a, b, lu, gv = u_of[g], s0[g], s1[g], lam_us[g], given[g]
            exp1 = np.minimum(rng.exponential(size=len(g)) / np.maximum(lu, 1e-300), 1e15)
            f1 = np.where(gv, a, np.maximum(elig[u], a) + exp1)
            ok1 = (lam[g] > 0) & (f1 < b) & (~gv | (a >= elig[u]))
            R = np.maximum(b - f1, 0.0)
            mu = tau_us + 1.0 / np.maximum(lu, 1e-300)
            sd = np.sqrt(R / np.maximum(lu, 1e-300) ** 2 / mu**3)
            k = np.clip(np.rint(R / mu + sd * rng.standard_normal(len(g))), 0, np.floor(R / tau_us))
            k = np.where(ok1 & ~gv, k, 0)
            gap = rng.gamma(np.maximum(k, 1e-12), 1.0 / np.maximum(lu, 1e-300))
            l1 = np.minimum(np.maximum(f1 + k * tau_us + np.where(k > 0, gap, 0.0), f1 + k * tau_us), b - 1)
            n[g] = np.where(ok1, k + 1, 0)
            first[g] = f1.astype(np.int64)
            last[g] = l1.astype(np.int64)
            elig[u] = np.where(ok1, l1 + tau_us, elig[u]).astype(np.int64)
            seen[u] = np.where(lam[g] > 0, np.maximum(seen[u], b), seen[u])
        g = g_all[~s1m]  # S2/S3: one read while armed; re-armed by an absence longer than the reset
        if len(g):
            u, a, b, lu, gv = u_of[g], s0[g], s1[g], lam_us[g], given[g]
            exp1 = np.minimum(rng.exponential(size=len(g)) / np.maximum(lu, 1e-300), 1e15)
            arm = armed[u] | ((a - seen[u]) > reset_us)
            f2 = a + np.where(gv, 0.0, exp1)
            got = arm & (lam[g] > 0) & (f2 < b)
            flick = ~(steady[g] | gv)
            m = np.zeros(len(g), np.int64)
            if flick.any():
                m[flick] = rng.poisson(lam[g][flick] * np.exp(-lu[flick] * reset_us))
            n2 = got + m
            f2o, l2o = np.where(got, f2, a), np.where(got, f2, a)
            j = np.flatnonzero(m)  # flicker re-reads: order statistics over the rest of the span
            if len(j):
                uf, ul = order_stats(rng, m[j])
                base = f2o[j]
                span = np.maximum(b[j] - base, 0.0)
                f2o[j] = np.where(got[j], f2[j], base + uf * span)
                l2o[j] = base + ul * span
            n[g] = n2
            first[g] = f2o.astype(np.int64)
            last[g] = l2o.astype(np.int64)
            armed[u] = arm & (n2 == 0)
            seen[u] = np.where(lam[g] > 0, np.maximum(seen[u], b), seen[u])
    state.update(ukeys, elig, armed, seen)
    return n, first, last


def split(rng: np.random.Generator, grp: np.ndarray, lam: np.ndarray, n, first, last, compiled: bool = True):
    """Share each group's n reads (times first..last) among its members (rows of grp, sorted) by their lam.

    Returns per member: reads, first and last (on the lattice of the group's reads, so S1 spacing holds).
    `compiled`: `sessionkernels.split_draws` (the same draws); False: the numpy rule it replaced.
    """
    if compiled and len(n) and int(np.max(n)) <= 30:  # numba's binomial is numpy's inversion up to 30 reads only
        from twin.readers import sessionkernels as sk

        i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
        out, u1, u2 = sk.split_draws(rng, i8(grp), np.ascontiguousarray(lam, np.float64), i8(n))
        return _lattice(out, n[grp].astype(np.float64), grp, first, last, u1, u2)
    M = len(grp)
    new = np.r_[True, grp[1:] != grp[:-1]] if M else np.zeros(0, bool)
    starts = np.flatnonzero(new)
    rank = np.arange(M) - np.repeat(starts, np.diff(np.r_[starts, M]))
    tot = n[grp]
    out = np.zeros(M, np.int64)
    if M and rank.max() == 0:
        out[:] = tot
    elif M:
        gs = np.append(np.cumsum(lam[::-1])[::-1], 0.0)  # suffix sums of lam
        ends = np.repeat(np.r_[starts[1:], M], np.diff(np.r_[starts, M]))
        rem_l = gs[:-1] - gs[ends]  # lam of this member and the later ones of its group
        left = tot.copy()
        for r in range(int(rank.max()) + 1):
            i = np.flatnonzero(rank == r)
            take = rng.binomial(left[i], np.clip(lam[i] / np.maximum(rem_l[i], 1e-300), 0.0, 1.0))
            out[i] = take
            nxt = i + 1
            same = nxt < ends[i]
            left[nxt[same]] = left[i[same]] - take[same]
    u1 = rng.random(M)
    u2 = rng.random(M)
    return _lattice(out, tot.astype(np.float64), grp, first, last, u1, u2)


def _lattice(out, nt, grp, first, last, u1, u2):
    """Each member's first and last read on the lattice of its group's nt reads (first..last), from two uniforms
    per member (overwritten): the first of `out` draws among nt slots and the last, as order statistics."""
    step = np.where(nt > 1, (last[grp] - first[grp]) / np.maximum(nt - 1, 1), 0.0)
    k = np.maximum(out, 1).astype(np.float64)
    room = np.maximum(nt - out, 0)
    many = k != 1.0  # u ** 1.0 is u exactly: the power only where the exponent is not 1
    i_f = np.minimum(np.floor(nt * (1.0 - np.power(u1, 1.0 / k, out=u1, where=many))), room)
    i_l = np.maximum(nt - 1 - np.floor(nt * (1.0 - np.power(u2, 1.0 / k, out=u2, where=many))), i_f + out - 1)
    i_l = np.minimum(i_l, nt - 1)
    f = first[grp] + (i_f * step).astype(np.int64)
    l_ = first[grp] + (i_l * step).astype(np.int64)
    return out, f, np.maximum(l_, f)
