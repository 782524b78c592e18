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
