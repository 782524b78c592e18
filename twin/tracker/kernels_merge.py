"""Compiled walk of the locator's merge (twin.tracker.locate.Locator._merge): space and unit changes, sorted by
(tag, time, space before unit), to the rows where the reported (space, unit) of a tag changes.

One pass with the same comparisons as the array form it replaced (forward fills per tag, the home rule, the unit
kept only in its own space), so the output does not move; tests/tracker/test_merge_pass.py checks it against that
form.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def merge_pass(tag, t, kind, val, out_space, out_unit, pre_unit, prior_unit, unit_space, home_first, t_change):
    """Rows sorted by (tag, t, kind); kind 0: val is a space, 1: a unit. Returns each row's reported space and unit
    and whether it changes the tag's report; out_space / out_unit (per tag) take each tag's last row, t_change the
    latest changing row's time."""
    n = len(tag)
    sp = np.empty(n, np.int32)
    un = np.empty(n, np.int32)
    ch = np.zeros(n, np.bool_)
    cur_s, cur_u, ps, pu_ = np.int32(0), np.int32(0), np.int32(0), np.int32(0)
    for i in range(n):
        g = tag[i]
        if i == 0 or tag[i - 1] != g:
            cur_s, cur_u = out_space[g], pre_unit[g]
            ps, pu_ = out_space[g], out_unit[g]
        if kind[i] == 0:
            cur_s = val[i]
        else:
            cur_u = val[i]
        s, u, h = cur_s, cur_u, prior_unit[g]
        if unit_space[h] == s and (unit_space[u] != s or home_first):
            u = h
        if unit_space[u] != s:
            u = -1
        sp[i], un[i] = s, u
        if s != ps or u != pu_:
            ch[i] = True
            t_change[g] = max(t_change[g], t[i])
        ps, pu_ = s, u
        if i == n - 1 or tag[i + 1] != g:
            out_space[g], out_unit[g] = s, u
    return sp, un, ch
