"""Separated ground truth: an item waiting on one officer's desk is parted from its case when the case's volume is
shelved from another officer's desk (a legal officer's after review), not only when it leaves the same desk."""

from __future__ import annotations

from types import SimpleNamespace as NS

from twin.agents.behaviour import label_parted_elsewhere


def _station(item_on: str, other_volume_on: str | None = None):
    v1, v2 = NS(epc="V1", case="C1"), NS(epc="V2", case="C1")
    it = NS(epc="I1", case="C1", holder="", busy=False, storage=f"{item_on}/D1")
    desks = {"co-1": set(), "lo-1": {"V1"}}
    desks[item_on].add("I1")
    if other_volume_on:
        desks[other_volume_on].add("V2")
    rows = []
    st = NS(pop=NS(cases={"C1": NS(volumes=[v1, v2], items=[it])}), at_desk=desks,
            floor=NS(storage={f"{o}/D1": NS(space=f"office-{o}") for o in desks}), pos={},
            journal=NS(anomaly=lambda t, kind, **kw: rows.append((t, kind, kw["epc"], kw["space"], kw["officer"]))))
    return st, v1, rows


def test_an_item_on_the_case_officers_desk_is_parted_when_the_reviewer_shelves_the_volume():
    st, v1, rows = _station("co-1")
    assert label_parted_elsewhere(st, "lo-1", [v1], 100.0) == ["I1"]
    assert rows == [(100.0, "separated", "I1", "office-co-1", "co-1")]


def test_no_label_while_another_volume_of_the_case_stays_beside_it_or_for_the_same_desk():
    st, v1, rows = _station("co-1", other_volume_on="co-1")
    assert label_parted_elsewhere(st, "lo-1", [v1], 100.0) == []
    st, v1, rows = _station("lo-1")  # the same desk: labelled by end_of_day's own loop, not here
    assert label_parted_elsewhere(st, "lo-1", [v1], 100.0) == [] and rows == []
