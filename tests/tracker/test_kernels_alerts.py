"""`fixed_rows` against the numpy passes it replaced in `Workspace.observe`."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.kernels_alerts import fixed_rows


@settings(max_examples=200, deadline=None)
@given(st.data(), st.integers(1, 6))
def test_fixed_rows_matches_plain_form(data, n_ant):
    n = data.draw(st.integers(0, 40))
    ant = np.array(data.draw(st.lists(st.integers(0, n_ant - 1), min_size=n, max_size=n)), np.int16)
    tag = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), np.int32)
    t = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.int64)
    if data.draw(st.booleans()):
        o = np.lexsort((t, tag))
        tag, t, ant = tag[o], t[o], ant[o]
    ant_reader = np.array(data.draw(st.lists(st.integers(0, 9), min_size=n_ant, max_size=n_ant)), np.int32)
    ant_kind = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n_ant, max_size=n_ant)), np.int8)
    reader, n_hand, ordered = fixed_rows(tag, t, ant, ant_reader, ant_kind == 4)
    np.testing.assert_array_equal(reader, ant_reader[ant])
    assert reader.dtype == ant_reader[ant].dtype
    assert n_hand == int((ant_kind[ant] == 4).sum())
    assert ordered == bool(n < 2 or np.all((tag[1:] > tag[:-1]) | ((tag[1:] == tag[:-1]) & (t[1:] >= t[:-1]))))


@settings(max_examples=200, deadline=None)
@given(st.data(), st.integers(0, 12), st.integers(1, 4))
def test_missing_candidates_and_taken_out_match_plain_forms(data, n, n_doors):
    from twin.tracker.kernels_alerts import missing_candidates, taken_out

    times = st.sampled_from([-1, 0, 100, 400, 700, 1000])
    arr = lambda s, dt: np.array(data.draw(st.lists(s, min_size=n, max_size=n)), dt)  # noqa: E731
    ok, home, away = arr(st.booleans(), bool), arr(st.booleans(), bool), arr(st.booleans(), bool)
    last_else, last_store, last_door_us, last_any = (arr(times, np.int64) for _ in range(4))
    run_start, run_last = arr(times, np.int64), arr(times, np.int64)
    last_door = arr(st.integers(-1, n_doors - 1), np.int32)
    door_store = np.array(data.draw(st.lists(st.booleans(), min_size=n_doors, max_size=n_doors)) + [False], bool)
    now, quiet, steady = 1200, 300, 200
    # the array forms they replaced (Alerts.tick, ReadEvidence.into_storage, PlaceRules._taken_out)
    cand = np.flatnonzero(ok).astype(np.int64)
    d, t = last_door[cand], last_door_us[cand]
    into = door_store[d] & (t > last_else[cand]) & (t >= last_any[cand]) & (now - t > quiet)
    cand = cand[(last_else[cand] > last_store[cand]) & ~into & (run_last[cand] - run_start[cand] >= steady)]
    got = missing_candidates(ok, last_else, last_store, last_door, last_door_us, last_any, door_store, run_start,
                             run_last, now, quiet, steady)  # fmt: skip
    np.testing.assert_array_equal(got, cand)
    plain = np.flatnonzero(home & ~away & (last_store >= 0) & (last_else > last_store) & (now - last_store > quiet))
    np.testing.assert_array_equal(taken_out(home, away, last_store, last_else, now, quiet), plain)


@settings(max_examples=200, deadline=None)
@given(st.data(), st.integers(0, 12))
def test_shelf_judged_matches_plain_form(data, n):
    from twin.tracker.kernels_alerts import shelf_judged

    arr = lambda k: np.array(data.draw(st.lists(st.booleans(), min_size=k, max_size=k)), bool)  # noqa: E731
    touched, dossier, home, away = arr(n), arr(n), arr(n), arr(n)
    opened = arr(data.draw(st.sampled_from([0, n])))
    g = np.flatnonzero(touched)  # the plain steps of PlaceRules._shelves: take_touched, the mask, np.isin
    judge = dossier[g] & (~home[g] | away[g])
    if len(opened):
        judge |= np.isin(g, np.flatnonzero(opened))
    got = shelf_judged(touched, dossier, home, away, opened)
    np.testing.assert_array_equal(got, g[judge])
    assert not touched.any()  # the marks are cleared
