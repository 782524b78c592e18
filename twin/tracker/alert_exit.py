"""left_building: a dossier that was inside going out (grounds, a vehicle) without an open checkout.

Judged on the clock over the dossiers PlaceRules marks on their way out (`going_out`, from the estimates) and the
tags ReadEvidence last heard at an exterior door (`exit_heard`, from the reads); `rules` is the PlaceRules instance
whose state, book and evidence these functions read and update.
"""

from __future__ import annotations


def left_building(rules, now_us: int, state: dict[str, dict]) -> None:
    """left_building when a dossier that was inside went outside (grounds, a vehicle) without an open checkout
    and did not settle back inside within left_confirm_s: a passage at the main door whose direction the
    locator first gets wrong (an arrival read as in, out, in) settles within a few portal reports, or an antenna
    other than an exterior door's reports it after it went out. Raised at the time it went out plus
    left_confirm_s, once; cleared when it is estimated inside again."""
    lim = int(rules.cfg.left_confirm_s * 1e6)
    _by_reads(rules, now_us, state, lim)
    for epc, (t0, _) in sorted(rules.going_out.items(), key=lambda x: (x[1][0], rules.seq[x[0]])):
        if epc in rules.checked_out:
            del rules.going_out[epc]
            rules.came_back.discard(epc)
        elif now_us - t0 >= lim:
            st = state[epc]
            del rules.going_out[epc]
            rules.came_back.discard(epc)
            g, ev = st["tag"], rules.ev
            if g < len(ev.last_any_us) and ev.last_any_us[g] > max(t0, int(ev.last_exit_us[g])):
                continue  # heard inside (not at an exterior door) since: it came in, the estimate lags
            rules.book.raise_(t0 + lim, "left_building", epc, st["space"], st["holder"],
                              f"at {st['storage'] or st['space']} without checkout")  # fmt: skip


def _by_reads(rules, now_us: int, state: dict[str, dict], lim: int) -> None:
    """Read evidence for left_building whatever the estimate says (a passage whose direction the locator
    missed leaves the estimate in the corridor by the door): a dossier that was inside, last heard by a
    portal antenna of an exterior door and by no antenna since for left_confirm_s (inside, the next door or
    room antenna hears a carried file within seconds), without an open checkout. Raised at that last report
    plus left_confirm_s."""
    ev = rules.ev
    for g in sorted(ev.exit_heard):
        t_exit = int(ev.last_exit_us[g])
        if ev.last_any_us[g] > t_exit:
            ev.exit_heard.discard(g)  # heard elsewhere since
            continue
        if now_us - t_exit < lim:
            continue  # judged at a later tick
        ev.exit_heard.discard(g)
        epc = rules.epc_of.get(g)
        st = state.get(epc) if epc else None
        if st is None or st["kind"] != "dossier" or epc in rules.checked_out or not rules.was_in(epc, t_exit):
            continue
        if rules.space_kind.get(st["space"]) == "external":
            continue
        if rules.book.raise_(t_exit + lim, "left_building", epc, st["space"], st["holder"],
                             f"last heard at an exterior door, {st['storage'] or st['space']} without checkout"):
            rules.going_out.pop(epc, None)
            rules.came_back.discard(epc)


__all__ = ["left_building"]
