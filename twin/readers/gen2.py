"""EPC Gen2 inventory: framed slotted ALOHA rounds of 2^Q slots, the Q-algorithm, slot timing, sessions.

Closed forms (expected slot outcomes, per-tag success per round, read rates, throughput vs population) are what the
engine uses to turn per-round detection probabilities into expected reads; `simulate` is the slot-by-slot
Monte-Carlo reference they are tested against. Timing constants are assumptions calibrated to the ANCHORS reader
throughput figures (Impinj Indy RS500: 130 reads/s with 1 tag, ~50 reads/s per tag with 16; fixed readers
700-1,500 tags/s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Gen2Params:
    """Slot timing, Q bounds and session persistence."""

    empty_slot_us: float = 300.0  # assumption: QueryRep + T1 + T3 wait for an RN16 that never comes
    collided_slot_us: float = 300.0  # assumption: QueryRep + garbled RN16
    success_slot_us: float = 420.0  # assumption: QueryRep + RN16 + ACK + PC/EPC/CRC (fast link profile)
    round_overhead_us: float = 2000.0  # assumption: Query, carrier settle and host turnaround per round
    # With q_min 4 one tag and 16 tags share the same 16-slot round: that is what makes the Impinj anchor pair
    # (130/s alone, ~50/s each among 16) consistent with 700-1,500 tags/s for large populations.
    q_min: int = 4  # assumption: module keeps the Gen2 suggested initial Q as a floor
    q_max: int = 15  # Gen2 spec: Q 0-15 (ANCHORS)
    q_step: float = 0.3  # Gen2 spec Q-algorithm C (0.1-0.5)
    s1_persistence_s: float = 1.5  # ANCHORS Gen2 spec via Nordic ID/CAEN: S1 0.5-5 s; choice: mid-low
    s2_reset_s: float = 2.0  # ANCHORS Gen2 spec: S2/S3 flag decays after > 2 s unpowered


# Equilibrium load of the Q-algorithm: empties == collisions when e^-x (2 + x) = 1, x = n / L ~ 1.146.
_X_EQ = 1.1462


def choose_q(n_eff, params: Gen2Params = Gen2Params()) -> np.ndarray:
    """Q the Q-algorithm settles at for an expected responding population n_eff (sum of per-round p)."""
    n = np.maximum(np.asarray(n_eff, dtype=np.float64), 1e-9)
    q = np.rint(np.log2(n / _X_EQ))
    return np.clip(q, params.q_min, params.q_max).astype(np.int64)


def slot_outcomes(p, q) -> tuple[float, float, float]:
    """Expected (empty, success, collided) slots in one round of 2^q slots; tag i answers with probability p_i."""
    p = np.asarray(p, dtype=np.float64)
    L = float(2 ** int(q))
    log_none = np.log1p(-p / L).sum()
    empty = L * math.exp(log_none)
    success = float(np.sum(per_tag_success(p, q)))
    return empty, success, L - empty - success


def per_tag_success(p, q) -> np.ndarray:
    """Probability tag i is singulated in one round: it answers and no other tag picks its slot."""
    p = np.asarray(p, dtype=np.float64)
    L = float(2 ** int(q))
    lg = np.log1p(-p / L)
    return p * np.exp(lg.sum() - lg)


def round_time_us(empty, success, collided, q=None, params: Gen2Params = Gen2Params()):
    """Duration of a round with the given slot counts (expected or drawn)."""
    return (params.round_overhead_us + empty * params.empty_slot_us + success * params.success_slot_us
            + collided * params.collided_slot_us)


def read_rate(p, params: Gen2Params = Gen2Params(), q: int | None = None) -> np.ndarray:
    """Expected reads/s of each tag under continuous S0 inventory on one antenna (p: per-round probabilities)."""
    p = np.asarray(p, dtype=np.float64)
    q = int(choose_q(p.sum(), params)) if q is None else int(q)
    e, s, c = slot_outcomes(p, q)
    return per_tag_success(p, q) / (round_time_us(e, s, c, q, params) * 1e-6)


def throughput(n_tags, p: float = 0.9, params: Gen2Params = Gen2Params(), q: int | None = None) -> float:
    """Aggregate tags/s one antenna reads with n_tags in the field, each answering a round with probability p."""
    return float(np.sum(read_rate(np.full(int(n_tags), p), params, q)))


def aloha_efficiency(n_tags: int, q: int) -> float:
    """Share of slots that singulate a tag, n always-answering tags, 2^q slots: n/L (1-1/L)^(n-1) <= 1/e."""
    L = 2.0**q
    return n_tags / L * (1.0 - 1.0 / L) ** (n_tags - 1)


def expected_reads(P: np.ndarray, dur_us: np.ndarray, params: Gen2Params = Gen2Params()):
    """Vectorised engine form: P (S, N) per-round p of N tags in S time slices of dur_us (S,) -> mean reads (S, N).

    The population in each slice sets Q, the round time and the collision odds (the per-tag rate falls as the field
    fills). Also returns the slice round times (us) for diagnostics.
    """
    P = np.asarray(P, dtype=np.float64)
    n_eff = P.sum(axis=1)
    q = choose_q(n_eff, params)
    L = np.exp2(q.astype(np.float64))
    lg = np.log1p(-P / L[:, None])
    log_none = lg.sum(axis=1)
    succ_i = P * np.exp(log_none[:, None] - lg)
    empty = L * np.exp(log_none)
    success = succ_i.sum(axis=1)
    coll = np.maximum(L - empty - success, 0.0)
    t_round = round_time_us(empty, success, coll, q, params)
    return succ_i * (np.asarray(dur_us, dtype=np.float64) / t_round)[:, None], t_round


def simulate(rng: np.random.Generator, p, duration_s: float, params: Gen2Params = Gen2Params(),
             q: int | None = None, q0: float = 4.0) -> tuple[np.ndarray, float]:
    """Slot-by-slot Monte-Carlo of S0 inventory: per-tag read counts over duration_s and the share of successful slots.

    With q=None the Q-algorithm runs (Qfp += C on a collision, -= C on an empty slot, clamped to [q_min, q_max];
    when round(Qfp) changes a QueryAdjust starts a new frame without the per-round overhead); with q fixed every
    round has 2^q slots. Reference only:
    one Python step per slot.
    """
    p = np.asarray(p, dtype=np.float64)
    n = len(p)
    counts = np.zeros(n, dtype=np.int64)
    t_us, slots, wins = 0.0, 0, 0
    qfp = float(q if q is not None else max(q0, params.q_min))
    end_us = duration_s * 1e6
    adjust = False
    while t_us < end_us:
        Q = int(q) if q is not None else int(round(qfp))
        L = 2**Q
        if not adjust:  # a QueryAdjust (Q changed mid-frame) starts a new frame without the round overhead
            t_us += params.round_overhead_us
        adjust = False
        answer = rng.random(n) < p
        picks = np.where(answer, rng.integers(0, L, n), -1)
        occ = np.bincount(picks[picks >= 0], minlength=L)
        for k in range(L):
            slots += 1
            if occ[k] == 0:
                t_us += params.empty_slot_us
                qfp = max(params.q_min, qfp - params.q_step)
            elif occ[k] == 1:
                t_us += params.success_slot_us
                counts[np.flatnonzero(picks == k)[0]] += 1
                wins += 1
            else:
                t_us += params.collided_slot_us
                qfp = min(params.q_max, qfp + params.q_step)
            if q is None and int(round(qfp)) != Q:
                adjust = True
                break
            if t_us >= end_us:
                break
    return counts, wins / max(slots, 1)
