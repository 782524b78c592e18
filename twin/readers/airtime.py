"""Air time of the read engine: per alive window the Gen2 population, Q, round time and read-rate factor, and the
exposures of tags resting through a whole chunk (the bulk of a day's pairs).

Resting pairs change little from chunk to chunk, so their per-antenna sums (population, and per Q the log of the
empty-slot share and the success weight) are kept (`StaticAggs`) and recomputed only when the resting pairs change.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.readers import gen2
from twin.readers.radix import argsort_stable
from twin.readers.timegrid import expand, lexsort_ints


class StaticAggs:
    """Per-antenna sums over the whole-chunk resting pairs (sa antenna, sp p): population, and per Q index j
    sum log(1 - p/L) and sum p/(1 - p/L); columns on demand, kept while the pairs stay the same."""

    def __init__(self) -> None:
        self._c: tuple | None = None
        self.version = 0  # bumped whenever the resting pairs change (memos built on them go stale)
        self.rates: tuple | None = None  # (key, L, qi, rate) of the last `window_rates` with no pieces
        self.plan: tuple | None = None  # (key, plan) of the last `whole_static`

    def columns(self, sa: np.ndarray, sp: np.ndarray, qi: np.ndarray, G: gen2.Gen2Params, nA: int):
        c = self._c
        if c is None or len(c[0]) != len(sa) or not np.array_equal(c[0], sa) or not np.array_equal(c[1], sp):
            c = self._c = (sa.copy(), sp.copy(), np.bincount(sa, sp, minlength=nA), {})
            self.version += 1
        cols = c[3]
        for j in np.unique(qi).tolist():
            if j not in cols:
                Lv = 2.0 ** (G.q_min + j)
                cols[j] = (np.bincount(sa, np.log1p(-sp / Lv), minlength=nA),
                           np.bincount(sa, sp / (1.0 - sp / Lv), minlength=nA))
        return c[2], cols


def window_rates(eng, w, p, s0, s1, wa, ws, we, whole):
    """Per window: Q from the population in the field (whole-chunk resting pairs + pieces), the slot outcomes,
    the round time and the rate factor e0 / t_round x duty (reads per us of window per unit p / (1 - p / L))."""
    G = eng.params.gen2
    nW = len(wa)
    _, sa, sp, _ = whole
    aggs = eng._aggs
    pop_s = aggs.columns(sa, sp, np.zeros(0, np.int64), eng.params.gen2, len(eng.ant))[0]
    key = None
    if not len(w):  # only resting pairs in the field (a quiet chunk): the same windows give the same rates
        key = (aggs.version, wa.tobytes(), (we - ws).tobytes())
        if aggs.rates is not None and aggs.rates[0] == key:
            return aggs.rates[1:]
    frac = (s1 - s0) / (we - ws)[w]
    pop = pop_s[wa] + np.bincount(w, p * frac, minlength=nW)
    q = gen2.choose_q(pop, G)
    qi = q - G.q_min
    L = np.exp2(q.astype(np.float64))
    cols = eng._aggs.columns(sa, sp, qi, eng.params.gen2, len(eng.ant))[1]
    lg_s, fs_s = np.zeros(nW), np.zeros(nW)
    for j in np.unique(qi).tolist():
        m = qi == j
        lg_s[m], fs_s[m] = cols[j][0][wa[m]], cols[j][1][wa[m]]
    Lw = L[w]
    e0 = np.exp(lg_s + np.bincount(w, np.log1p(-p / Lw) * frac, minlength=nW))
    success = e0 * (fs_s + np.bincount(w, p / (1.0 - p / Lw) * frac, minlength=nW))
    emp = L * e0
    t_round = gen2.round_time_us(emp, success, np.maximum(L - emp - success, 0.0), None, G)
    out = L, qi, e0 / t_round * eng.a_duty[wa]
    aggs.rates = (key, *out) if key is not None else None
    return out


def _plan_py(eng, sa, sp, wa, ws, we, L, qi, rate):
    """The deterministic part of `whole_static`: which pairs are well read (and their exposures per window), the
    rarely read ones and their expected reads. The plain rule (reference of `_plan`)."""
    nA = len(eng.ant)
    dur = (we - ws).astype(np.float64)
    lo, hi = np.searchsorted(wa, np.arange(nA)), np.searchsorted(wa, np.arange(nA), side="right")
    act = np.flatnonzero(hi[sa] > lo[sa])  # pairs of antennas inventorying in this chunk (GPI portals seldom)
    sa_act = sa[act]
    lam_tot = np.zeros(len(sa))
    # expected reads per pair: sum over its antenna's windows of p / (1 - p / L_w) x rate_w x dur_w; an
    # antenna whose windows share one Q (nearly all) takes one product, the others one term per Q
    rd = rate * dur
    has = np.flatnonzero(hi > lo)
    q_lo, q_hi = np.full(nA, -1, np.int64), np.full(nA, -1, np.int64)
    if len(has):
        q_lo[has], q_hi[has] = np.minimum.reduceat(qi, lo[has]), np.maximum.reduceat(qi, lo[has])
    one = q_lo[sa_act] == q_hi[sa_act]
    a1, s1p = sa_act[one], sp[act[one]]
    L1 = np.exp2(eng.params.gen2.q_min + q_lo[a1].astype(np.float64))
    lam_tot[act[one]] = s1p / (1.0 - s1p / L1) * np.bincount(wa, rd, minlength=nA)[a1]
    mix = act[~one]
    if len(mix):
        for j in np.unique(qi[np.isin(wa, np.flatnonzero(q_lo != q_hi))]).tolist():
            m = qi == j
            Lv = 2.0 ** (eng.params.gen2.q_min + j)
            lam_tot[mix] += sp[mix] / (1.0 - sp[mix] / Lv) * np.bincount(wa[m], rd[m], minlength=nA)[sa[mix]]
    strong = np.zeros(len(sa), bool)
    strong[act] = lam_tot[act] >= 0.5 * (hi - lo)[sa_act]
    i = np.flatnonzero(strong)
    own, w = expand(lo[sa[i]], hi[sa[i]])
    k = i[own]
    lw = sp[k] / (1.0 - sp[k] / L[w]) * rate[w] * dur[w]
    weak = act[~strong[act]]
    cl = np.cumsum(lam_tot[weak])  # one Poisson total, each read given to a pair by its share (Poisson splitting)
    return dict(dur=dur, lo=lo, hi=hi, w=w, k=k, lw=lw, powered=sp[k] >= eng.params.rf.p_powered, weak=weak, cl=cl,
                tot=float(cl[-1]) if len(cl) else 0.0, cum0=np.r_[0.0, np.cumsum(rate * dur)])


def _plan(eng, sa, sp, wa, ws, we, L, qi, rate):
    """`_plan_py` in one compiled pass (`plan_pass`; the same arrays)."""
    if getattr(eng, "plain", False):
        return _plan_py(eng, sa, sp, wa, ws, we, L, qi, rate)
    i8 = lambda a: np.ascontiguousarray(a, np.int64)  # noqa: E731
    dur = (we - ws).astype(np.float64)
    f8 = lambda a: np.ascontiguousarray(a, np.float64)  # noqa: E731
    lo, hi, w, k, lw, powered, weak, cl, cum0 = plan_pass(
        i8(sa), f8(sp), i8(wa), i8(qi), f8(rate), dur, f8(L), len(eng.ant), float(eng.params.rf.p_powered),
        int(eng.params.gen2.q_min))
    return dict(dur=dur, lo=lo, hi=hi, w=w, k=k, lw=lw, powered=powered, weak=weak, cl=cl,
                tot=float(cl[-1]) if len(cl) else 0.0, cum0=cum0)


@njit(cache=True)
def plan_pass(sa, sp, wa, qi, rate, dur, L, nA, p_powered, q_min):
    """The arithmetic of `_plan_py` pair by pair in its order: per antenna its windows (wa sorted), the sums of
    rate x duration per antenna (per Q where its windows' Q differ, added Q by Q ascending), each pair's expected
    reads, the well read pairs' exposures per window and the rarely read pairs' running total."""
    W, S = wa.shape[0], sa.shape[0]
    lo = np.zeros(nA, np.int64)
    hi = np.zeros(nA, np.int64)
    for x in range(W):
        hi[wa[x]] += 1
    c = 0
    for a in range(nA):
        lo[a] = c
        c += hi[a]
        hi[a] = c
    rd = rate * dur
    tot_a = np.zeros(nA)  # np.bincount(wa, rd): in window order
    for x in range(W):
        tot_a[wa[x]] += rd[x]
    q_lo = np.full(nA, -1, np.int64)
    q_hi = np.full(nA, -1, np.int64)
    for a in range(nA):
        if hi[a] > lo[a]:
            q_lo[a], q_hi[a] = qi[lo[a]:hi[a]].min(), qi[lo[a]:hi[a]].max()
    nq = 0
    for x in range(W):
        if q_lo[wa[x]] != q_hi[wa[x]]:
            nq = max(nq, qi[x] + 1)
    seen = np.zeros(nq, np.bool_)
    for x in range(W):
        if q_lo[wa[x]] != q_hi[wa[x]]:
            seen[qi[x]] = True
    mixed_q = np.flatnonzero(seen)
    lam_tot = np.zeros(S)
    for i in range(S):
        a = sa[i]
        if hi[a] > lo[a] and q_lo[a] == q_hi[a]:
            L1 = L[lo[a]]
            lam_tot[i] = sp[i] / (1.0 - sp[i] / L1) * tot_a[a]
    if mixed_q.shape[0]:
        for j in mixed_q:
            Lv = 2.0 ** (q_min + j)
            part = np.zeros(nA)
            for x in range(W):
                if qi[x] == j:
                    part[wa[x]] += rd[x]
            for i in range(S):
                a = sa[i]
                if hi[a] > lo[a] and q_lo[a] != q_hi[a]:
                    lam_tot[i] += sp[i] / (1.0 - sp[i] / Lv) * part[a]
    n_strong, n_exp, n_weak = 0, 0, 0
    strong = np.zeros(S, np.bool_)
    for i in range(S):
        a = sa[i]
        if hi[a] > lo[a]:
            if lam_tot[i] >= 0.5 * (hi[a] - lo[a]):
                strong[i] = True
                n_exp += hi[a] - lo[a]
            else:
                n_weak += 1
    w = np.empty(n_exp, np.int64)
    k = np.empty(n_exp, np.int64)
    lw = np.empty(n_exp)
    powered = np.empty(n_exp, np.bool_)
    weak = np.empty(n_weak, np.int64)
    cl = np.empty(n_weak)
    e, m, acc = 0, 0, 0.0
    for i in range(S):
        a = sa[i]
        if hi[a] <= lo[a]:
            continue
        if strong[i]:
            for x in range(lo[a], hi[a]):
                w[e], k[e] = x, i
                lw[e] = sp[i] / (1.0 - sp[i] / L[x]) * rate[x] * dur[x]
                powered[e] = sp[i] >= p_powered
                e += 1
        else:
            acc += lam_tot[i]
            weak[m], cl[m] = i, acc
            m += 1
    cum0 = np.empty(W + 1)
    cum0[0] = 0.0
    acc = 0.0
    for x in range(W):
        acc += rd[x]
        cum0[x + 1] = acc
    return lo, hi, w, k, lw, powered, weak, cl, cum0


def whole_static(eng, whole, wa, ws, we, L, qi, rate, rng):
    """Exposures of tags resting all chunk: well-read pairs per window; rarely read ones from one Poisson total
    per chunk, each read put in a window by its share of the rate (the same process), so cost follows reads.
    The deterministic part (`_plan`) is kept while the resting pairs, the windows' layout and rates stay the same
    (quiet chunks)."""
    seg, sa, sp, sr = whole
    aggs = eng._aggs
    key = None
    if aggs.rates is not None and aggs.rates[1] is L and len(aggs.rates[0] or ()):
        key = (aggs.rates[0], len(sa))  # rates from the quiet-chunk memo: same pairs, windows and rates
    if key is not None and aggs.plan is not None and aggs.plan[0] == key:
        plan = aggs.plan[1]
    else:
        plan = _plan(eng, sa, sp, wa, ws, we, L, qi, rate)
        aggs.plan = (key, plan) if key is not None else None
    w, k, dur, lo, hi = plan["w"], plan["k"], plan["dur"], plan["lo"], plan["hi"]
    out = [(w, seg[k], plan["lw"], sr[k], ws[w], we[w], plan["powered"], np.zeros(len(k), bool))]
    i, cl, tot = plan["weak"], plan["cl"], plan["tot"]
    n_weak = int(rng.poisson(tot))
    if n_weak:  # three uniforms per read, drawn as the steps of `weak_reads_py` draw them (one after the other)
        u = rng.random(3 * n_weak)
        step = weak_reads_py if getattr(eng, "plain", False) else weak_reads
        w, s, n0, r, f, l_ = step(u[:n_weak], u[n_weak:2 * n_weak], u[2 * n_weak:], tot, cl, i, sa, lo, hi,
                                 plan["cum0"], ws, dur, seg, sr)
        out.append((w, s, n0, r, f, l_, np.zeros(len(w), bool), np.ones(len(w), bool)))
    return out


def weak_reads_py(u1, u2, u3, tot, cl, i, sa, lo, hi, cum0, ws, dur, seg, sr):
    """The rarely read pairs' reads from their uniforms: pair by its share of the expected reads (u1), window by its
    share of the rate (u2), time in the window (u3); one exposure per (pair, window): window, segment, reads, mean
    RSSI, first, last + 1. The plain rule (reference of `weak_reads`)."""
    ri = i[np.minimum(np.searchsorted(cl, u1 * tot, side="right"), max(len(i) - 1, 0))]
    a = sa[ri]
    u = cum0[lo[a]] + u2 * (cum0[hi[a]] - cum0[lo[a]])
    w = np.clip(np.searchsorted(cum0, u, side="right") - 1, lo[a], hi[a] - 1)
    t = ws[w] + (u3 * dur[w]).astype(np.int64)
    o = lexsort_ints((t, w, ri))
    ri, w, t = ri[o], w[o], t[o]
    b = np.flatnonzero(np.r_[True, (ri[1:] != ri[:-1]) | (w[1:] != w[:-1])])
    n0 = np.diff(np.r_[b, len(ri)]).astype(np.float64)
    return w[b], seg[ri[b]], n0, sr[ri[b]], t[b], np.maximum.reduceat(t, b) + 1


@njit(cache=True)
def _right(a, x):
    """np.searchsorted(a, x, side="right") for one value."""
    lo, hi = 0, a.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def weak_reads(u1, u2, u3, tot, cl, i, sa, lo, hi, cum0, ws, dur, seg, sr):
    """`weak_reads_py` in one compiled pass: the same arithmetic per read, the reads ordered by (pair, window, time)
    (a sort of the three packed into one integer), one exposure per (pair, window)."""
    n = u1.shape[0]
    ri = np.empty(n, np.int64)
    w = np.empty(n, np.int64)
    t = np.empty(n, np.int64)
    top = max(i.shape[0] - 1, 0)
    for k in range(n):
        r = i[min(_right(cl, u1[k] * tot), top)]
        a = sa[r]
        c0, c1 = cum0[lo[a]], cum0[hi[a]]
        u = c0 + u2[k] * (c1 - c0)
        wk = min(max(_right(cum0, u) - 1, lo[a]), hi[a] - 1)
        ri[k], w[k] = r, wk
        t[k] = ws[wk] + np.int64(u3[k] * dur[wk])
    t_lo = t.min()
    bt = max(1, int(np.ceil(np.log2(t.max() - t_lo + 1.0))) + 1)
    bw = max(1, int(np.ceil(np.log2(w.max() + 1.0))) + 1)
    br = max(1, int(np.ceil(np.log2(ri.max() + 1.0))) + 1)
    if br + bw + bt <= 62:
        key = np.empty(n, np.int64)
        for k in range(n):
            key[k] = (ri[k] << (bt + bw)) | (w[k] << bt) | (t[k] - t_lo)
        o = argsort_stable(key)
    else:  # three stable sorts, least significant key first
        o = argsort_stable(t - t_lo)
        o = o[argsort_stable(w[o])]
        o = o[argsort_stable(ri[o])]
    G = 0
    for j in range(n):
        k = o[j]
        if j == 0 or ri[k] != ri[o[j - 1]] or w[k] != w[o[j - 1]]:
            G += 1
    gw, gs, gn, gr = np.empty(G, np.int64), np.empty(G, np.int64), np.zeros(G), np.empty(G)
    gf, gl = np.empty(G, np.int64), np.empty(G, np.int64)
    g = -1
    for j in range(n):
        k = o[j]
        if j == 0 or ri[k] != ri[o[j - 1]] or w[k] != w[o[j - 1]]:
            g += 1
            gw[g], gs[g], gr[g], gf[g], gl[g] = w[k], seg[ri[k]], sr[ri[k]], t[k], t[k] + 1
        gn[g] += 1.0
        gl[g] = max(gl[g], t[k] + 1)
    return gw, gs, gn, gr, gf, gl


def warm() -> None:
    """Compile (first install) or load (later) `weak_reads` on tiny inputs of the engine's types (pair antennas
    int32, as the pair cache holds them)."""
    z, f = np.zeros(1, np.int64), np.zeros(1)
    weak_reads(f, f, f, 1.0, np.ones(1), z, z.astype(np.int32), z, z + 1, np.array([0.0, 1.0]), z, np.ones(1), z, f)
    plan_pass(z, f, z, z, f, f + 1, f + 1, 1, 0.5, 4)
