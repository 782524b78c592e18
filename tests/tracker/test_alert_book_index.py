"""`AlertBook.misfiled` (the open misfiled alerts' keys, kept on each change) against the scan of `open` it replaced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from twin.tracker.alerts import AlertBook

OPS = st.tuples(st.sampled_from(["raise", "clear", "add_raised", "add_cleared"]),
                st.sampled_from(["misfiled", "missing", "drawer"]), st.sampled_from(["", "E1", "E2", "E3"]),
                st.sampled_from(["", "store"]))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(OPS, max_size=30))
def test_misfiled_index_matches_scan_of_open(ops):
    b = AlertBook()
    for i, (op, kind, epc, space) in enumerate(ops):
        if op == "raise":
            b.raise_(i, kind, epc, space)
        elif op == "clear":
            b.clear(i, kind, epc, space)
        else:
            b.add([{"t_us": i, "state": op[4:], "kind": kind, "epc": epc, "space": space, "officer": "", "detail": ""}])
        assert b.misfiled == {k for (kind_, k) in b.open if kind_ == "misfiled"}


def test_checkpoint_from_before_the_indexes_is_rebuilt():
    import pickle

    import numpy as np

    from twin.tracker.alerts import Alerts

    b = AlertBook()
    b.raise_(1, "misfiled", "E1", "store")
    b.raise_(2, "missing", "E2", "desk")
    d = dict(b.__dict__)
    del d["misfiled"]
    old = AlertBook.__new__(AlertBook)
    old.__setstate__(d)
    assert old.misfiled == {"E1"}
    a = Alerts({"readers": []})
    a.changes([5, 7], ["E1", "E2"], ["s", "s"], ["", ""], ["", ""], ["dossier", "dossier"], np.array([0, 3]))
    state = pickle.loads(pickle.dumps(a)).__dict__
    del state["since_tag"]
    back = Alerts.__new__(Alerts)
    back.__setstate__(state)
    np.testing.assert_array_equal(back.since_tag[[0, 3]], a.since_tag[[0, 3]])
    assert back.since_tag[1] == np.iinfo(np.int64).min
