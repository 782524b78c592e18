"""EPCIS 2.0 export of a run's store: a JSON-LD EPCISDocument of ObjectEvents, each with its standard event hash ID.

Place changes, custody changes and the business events that name a tag become ObjectEvents: epcList holds the tag's
pure-identity URI (GDTI dossiers, GSRN badges, GIAI items, via epcpy), CBV 2.0 bizSteps and dispositions say what
happened, readPoint is the reader, bizLocation the space, and the project's own fields live under the `twin:`
namespace (NAMESPACE). The event hash ID follows the GS1 "EPCIS Event Hash ID" algorithm (CBV 2.0): a canonical
pre-hash string of the event's fields in a fixed order (EPCs as GS1 Digital Link URIs, times in UTC to the
millisecond, CBV values as web vocabulary, user extensions sorted), hashed with SHA-256, as ni:///sha-256;<hex>?ver=CBV2.0.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote

from epcpy import hex_to_tag_encodable

from .store import Store, open_store

#: The project's namespace for its readers, spaces and extension fields (stable: never change it between releases).
NAMESPACE = "https://example.org/twin/"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXT = [EPCIS_CONTEXT, {"twin": NAMESPACE}]
STATION_OFFSET_S = 8 * 3600  # the station's UTC offset (+08:00), DESIGN "Contracts"
CBV_BIZSTEP = "https://ref.gs1.org/cbv/BizStep-"
CBV_DISP = "https://ref.gs1.org/cbv/Disp-"
OUTSIDE_KINDS = ("outside", "external")

#: Business event kind -> (action, bizStep, disposition).
BUSINESS = {
    "register": ("ADD", "commissioning", "active"),
    "item_register": ("ADD", "commissioning", "active"),
    "checkout": ("OBSERVE", "departing", "in_transit"),
    "checkin": ("OBSERVE", "receiving", "in_progress"),
    "handover": ("OBSERVE", "accepting", "in_progress"),
    "archive": ("OBSERVE", "storing", "inactive"),
}


@lru_cache(maxsize=1 << 16)
def epc_uri(epc_hex: str) -> str:
    """Pure-identity URI of a 96-bit EPC (hex) via epcpy; a urn:epc:raw: URI when epcpy cannot decode it."""
    try:
        return hex_to_tag_encodable(epc_hex).epc_uri
    except Exception:  # epcpy raises several types for unknown headers and bad partitions
        return f"urn:epc:raw:96.x{epc_hex}"


def check_digit(digits: str) -> int:
    """GS1 mod-10 check digit: weights 3, 1, 3, ... from the rightmost digit."""
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits)))
    return (10 - s % 10) % 10


def _dl_part(s: str) -> str:
    return quote(unquote(s), safe="!'()*+,-.:;=_")


def digital_link(uri: str) -> str:
    """Canonical GS1 Digital Link URI (https://id.gs1.org/...) of a GDTI, GSRN or GIAI EPC URI; others unchanged."""
    if not uri.startswith("urn:epc:id:"):
        return uri
    scheme, _, rest = uri[len("urn:epc:id:"):].partition(":")
    parts = rest.split(".")
    if scheme == "gdti" and len(parts) == 3:
        key = parts[0] + parts[1]
        return f"https://id.gs1.org/253/{key}{check_digit(key)}{_dl_part(parts[2])}"
    if scheme == "gsrn" and len(parts) == 2:
        key = parts[0] + parts[1]
        return f"https://id.gs1.org/8018/{key}{check_digit(key)}"
    if scheme == "giai" and len(parts) == 2:
        return f"https://id.gs1.org/8004/{parts[0]}{_dl_part(parts[1])}"
    return uri


def _num(v: float | int) -> str:
    f = float(v)
    return str(int(f)) if f == int(f) else str(f)


def _utc_ms(t: str) -> str:
    """An ISO 8601 time (millisecond precision, as written here) in UTC with a Z."""
    dt = datetime.fromisoformat(t).astimezone(timezone.utc)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def prehash(event: dict) -> str:
    """The canonical pre-hash string of an ObjectEvent as this module writes it (no separators between parts)."""
    parts = [f"eventType={event['type']}", f"eventTime={_utc_ms(event['eventTime'])}",
             f"eventTimeZoneOffset={event['eventTimeZoneOffset']}"]  # fmt: skip
    epcs = sorted(f"epc={digital_link(e)}" for e in event.get("epcList", []))
    if epcs:
        parts.append("epcList" + "".join(epcs))
    parts.append(f"action={event['action']}")
    if "bizStep" in event:
        parts.append(f"bizStep={_cbv(event['bizStep'], CBV_BIZSTEP)}")
    if "disposition" in event:
        parts.append(f"disposition={_cbv(event['disposition'], CBV_DISP)}")
    for f in ("readPoint", "bizLocation"):
        if f in event:
            parts.append(f"{f}id={digital_link(event[f]['id'])}")
    ext = []
    for k, v in event.items():
        if k.startswith("twin:"):
            val = _num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
            ext.append(f"{{{NAMESPACE}}}{k[5:]}={val}")
    return "".join(parts) + "".join(sorted(ext))


def _cbv(v: str, base: str) -> str:
    return v if ":" in v else base + v


def event_hash_id(event: dict) -> str:
    """The standard EPCIS event hash ID (SHA-256 of the pre-hash string, ni: URI, CBV 2.0)."""
    return f"ni:///sha-256;{hashlib.sha256(prehash(event).encode('utf-8')).hexdigest()}?ver=CBV2.0"


def _iso(t_us: int, offset_s: int) -> str:
    tz = timezone(timedelta(seconds=offset_s))
    return datetime.fromtimestamp(t_us / 1e6, tz).isoformat(timespec="milliseconds")


def _offset(offset_s: int) -> str:
    sign = "+" if offset_s >= 0 else "-"
    h, m = divmod(abs(offset_s) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}"


def _ns_uri(kind: str, slug: str) -> str:
    return f"{NAMESPACE}{kind}/{quote(slug, safe='-._~')}"


def _site_kinds(site: dict | None) -> dict[str, str]:
    return {s["id"]: s.get("kind", "") for s in (site or {}).get("spaces", [])}


def object_event(t_us: int, epc: str, action: str, biz_step: str, disposition: str, *, offset_s: int,
                 reader: str = "", space: str = "", ext: dict | None = None) -> dict:  # fmt: skip
    """One ObjectEvent (with its eventID) for one tag."""
    ev: dict = {"type": "ObjectEvent", "eventTime": _iso(t_us, offset_s), "eventTimeZoneOffset": _offset(offset_s),
                "epcList": [epc_uri(epc)], "action": action, "bizStep": biz_step, "disposition": disposition}  # fmt: skip
    if reader:
        ev["readPoint"] = {"id": _ns_uri("reader", reader)}
    if space:
        ev["bizLocation"] = {"id": _ns_uri("space", space)}
    for k, v in (ext or {}).items():
        if v not in ("", None):
            ev[f"twin:{k}"] = v
    return {"eventID": event_hash_id(ev), **ev}


def events_from_store(store: Store, site: dict | None = None, offset_s: int = STATION_OFFSET_S):
    """Yield the store's ObjectEvents in time order (place changes, custody changes, tag business events)."""
    kinds = _site_kinds(site)
    con = store.con
    rows = con.execute(
        "SELECT t_us, 0 AS src, id, epc, space, storage, holder, confidence, reader, '', '' FROM estimates "
        "UNION ALL SELECT t_us, 1, id, epc, '', '', holder, 0.0, '', from_holder, how FROM custody "
        "UNION ALL SELECT t_us, 2, id, epc, '', detail, officer, 0.0, '', kind, case_id FROM events WHERE epc != '' "
        "ORDER BY t_us, src, id"
    )  # fmt: skip
    last_space: dict[str, str] = {}
    for t_us, src, _id, epc, space, storage, holder, conf, reader, a, b in rows:
        if src == 0:
            prev = last_space.get(epc, "")
            last_space[epc] = space
            out, was_out = kinds.get(space, "") in OUTSIDE_KINDS, kinds.get(prev, "") in OUTSIDE_KINDS
            if out and not was_out:
                step, disp = "departing", "in_transit"
            elif storage:
                step, disp = "storing", "available"
            elif holder:
                step, disp = "holding", "in_progress"
            else:
                step, disp = "arriving", "in_progress"
            yield object_event(t_us, epc, "OBSERVE", step, disp, offset_s=offset_s, reader=reader, space=space,
                               ext={"storage": storage, "holder": holder, "confidence": round(float(conf), 3)})  # fmt: skip
        elif src == 1:
            yield object_event(t_us, epc, "OBSERVE", "accepting", "in_progress", offset_s=offset_s,
                               space=last_space.get(epc, ""), ext={"holder": holder, "fromHolder": a, "custodyBy": b})  # fmt: skip
        elif a in BUSINESS:
            action, step, disp = BUSINESS[a]
            yield object_event(t_us, epc, action, step, disp, offset_s=offset_s, space=last_space.get(epc, ""),
                               ext={"businessEvent": a, "case": b, "officer": holder, "note": storage})  # fmt: skip


def export_epcis(dir: str | Path, out_path: str | Path, site: dict | None = None,
                 offset_s: int = STATION_OFFSET_S) -> int:  # fmt: skip
    """Write DIR's store as an EPCISDocument (JSON-LD) to out_path; the number of events written.

    The site (for outside spaces: departing / in_transit) is read from DIR/site.json when not given.
    """
    d = Path(dir)
    if site is None and (d / "site.json").is_file():
        site = json.loads((d / "site.json").read_text())
    store = open_store(d)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    n, last_t = 0, None
    try:
        with out.open("w", encoding="utf-8") as f:
            f.write('{"@context": ' + json.dumps(CONTEXT) + ', "type": "EPCISDocument", "schemaVersion": "2.0",')
            f.write(' "epcisBody": {"eventList": [\n')
            for ev in events_from_store(store, site, offset_s):
                f.write((",\n" if n else "") + json.dumps(ev, ensure_ascii=False))
                n += 1
                last_t = ev["eventTime"]
            # creationDate: the last event's time, so the same store always gives the same bytes
            created = last_t or _iso(0, offset_s)
            f.write(f'\n]}}, "creationDate": {json.dumps(created)}}}\n')
    finally:
        store.close()
    return n
