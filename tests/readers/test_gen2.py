"""Gen2 inventory: closed forms against 1/e, against Monte-Carlo, and against the reader throughput anchors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.readers import gen2

G = gen2.Gen2Params()


def test_aloha_efficiency_is_one_over_e_at_the_optimum():
    assert gen2.aloha_efficiency(256, 8) == pytest.approx(1 / np.e, rel=0.01)
    assert gen2.aloha_efficiency(1024, 10) == pytest.approx(1 / np.e, rel=0.002)


@given(st.integers(2, 3000), st.integers(0, 15))
def test_aloha_efficiency_bounded_by_frame_optimum(n, q):
    """n/L (1-1/L)^(n-1) peaks at L = n with (1-1/n)^(n-1), which falls to 1/e as n grows."""
    best = (1 - 1 / n) ** (n - 1)
    assert gen2.aloha_efficiency(n, q) <= best + 1e-12
    assert best >= 1 / np.e
    if n >= 100:
        assert best <= 1 / np.e + 0.002


def test_slot_outcomes_add_up_and_match_efficiency():
    e, s, c = gen2.slot_outcomes(np.ones(64), 6)
    assert e + s + c == pytest.approx(64)
    assert s / 64 == pytest.approx(gen2.aloha_efficiency(64, 6))


def test_closed_form_matches_monte_carlo_at_fixed_q():
    rng = np.random.default_rng(3)
    p = np.linspace(0.3, 0.9, 24)
    counts, eff = gen2.simulate(rng, p, 20.0, G, q=5)
    e, s, c = gen2.slot_outcomes(p, 5)
    assert eff == pytest.approx(s / 32, rel=0.03)
    rate = gen2.read_rate(p, G, q=5)
    assert counts.sum() / 20.0 == pytest.approx(rate.sum(), rel=0.03)
    # per-tag: better tags are read more, as the closed form says
    assert np.corrcoef(counts, rate)[0, 1] > 0.95


@pytest.mark.parametrize("n", [16, 100])
def test_q_algorithm_monte_carlo_near_closed_form(n):
    rng = np.random.default_rng(n)
    counts, eff = gen2.simulate(rng, np.full(n, 0.9), 5.0, G)
    assert counts.sum() / 5.0 == pytest.approx(gen2.throughput(n, 0.9, G), rel=0.2)
    assert 0.3 <= eff <= 1 / np.e + 0.01


def test_throughput_anchors():
    """ANCHORS: one module 130 tags/s with 1 tag and ~50/s each with 16; fixed readers 700-1,500 tags/s."""
    assert 110 <= gen2.throughput(1, 0.9, G) <= 150
    assert 40 <= gen2.throughput(16, 0.9, G) / 16 <= 60
    for n in (100, 500, 2000):
        assert 700 <= gen2.throughput(n, 0.9, G) <= 1500


def test_per_tag_rate_falls_with_population():
    rates = [gen2.throughput(n, 0.9, G) / n for n in (1, 4, 16, 64, 256)]
    assert all(a > b for a, b in zip(rates, rates[1:]))


def test_expected_reads_matches_read_rate():
    p = np.array([0.2, 0.5, 0.9, 0.9])
    mean, t_round = gen2.expected_reads(p[None, :], np.array([1e6]), G)
    assert mean[0] == pytest.approx(gen2.read_rate(p, G))
