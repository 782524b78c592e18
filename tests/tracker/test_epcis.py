"""EPCIS 2.0 export: schema-valid (with live URI / date-time format checks), hash IDs equal to an independent
implementation, Digital Link and check digits on the GS1 examples."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from twin.agents import epc as tagids
from twin.tracker.epcis import (
    NAMESPACE,
    check_digit,
    digital_link,
    epc_uri,
    event_hash_id,
    export_epcis,
    prehash,
)
from twin.tracker.store import Store

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "data" / "epcis" / "EPCIS-JSON-Schema.json"
CP = "0614141"
D1, D2 = tagids.dossier_epc(CP, 12, 1), tagids.dossier_epc(CP, 12, 2)
BADGE, ITEM = tagids.badge_epc(CP, 7), tagids.item_epc(CP, 3)
T = 1_709_510_400_123_456  # 2024-03-04T00:00:00.123456Z
SITE = {"spaces": [{"id": "dossier_room", "kind": "room"}, {"id": "car_park", "kind": "outside"},
                   {"id": "court", "kind": "external"}, {"id": "office-3", "kind": "room"}]}  # fmt: skip


@pytest.fixture
def run_dir(tmp_path):
    with Store(tmp_path) as s:
        s.append_chunk(T, events=[
            {"t_us": T - 10, "kind": "register", "case": "C-12", "epc": D1, "officer": "o-01", "detail": "volume 1 of 2"},
            {"t_us": T - 10, "kind": "register", "case": "C-12", "epc": D2, "officer": "o-01", "detail": "volume 2 of 2"},
            {"t_us": T - 9, "kind": "item_register", "case": "C-12", "epc": ITEM, "officer": "o-01"},
            {"t_us": T - 5, "kind": "stage", "case": "C-12", "stage": "accepted", "deadline_us": T + 10**9},
        ])  # fmt: skip
        s.append_chunk(T + 60_000_000, estimates=[
            {"t_us": T, "epc": D1, "space": "dossier_room", "storage": "dossier_room/S01", "confidence": 0.93,
             "reader": "R-dr-1"},
            {"t_us": T + 5, "epc": ITEM, "space": "office-3", "holder": "o-01", "confidence": 0.5, "reader": "R-o3"},
            {"t_us": T + 7, "epc": BADGE, "space": "office-3", "confidence": 1.0, "reader": "R-o3"},
            {"t_us": T + 9_000_000, "epc": D2, "space": "car_park", "holder": "o-01", "confidence": 0.8,
             "reader": "R-d-main"},
        ], custody=[{"t_us": T + 1, "epc": D1, "holder": "o-01", "from": "", "how": "badge"}],
           events=[{"t_us": T + 2, "kind": "checkout", "case": "C-12", "epc": D2, "officer": "o-01",
                    "detail": "procuratorate; approved by o-09"}])  # fmt: skip
    (tmp_path / "site.json").write_text(json.dumps(SITE))
    return tmp_path


@pytest.fixture
def doc(run_dir):
    n = export_epcis(run_dir, run_dir / "events.jsonld")
    d = json.loads((run_dir / "events.jsonld").read_text())
    assert n == len(d["epcisBody"]["eventList"]) == 9
    return d


def _validator():
    if not SCHEMA.is_file():
        pytest.skip(f"EPCIS JSON schema not found at {SCHEMA} (shared data folder absent)")
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("rfc3986_validator", reason="uri format checking needs rfc3986-validator (test extra)")
    pytest.importorskip("rfc3339_validator", reason="date-time format checking needs rfc3339-validator (test extra)")
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_export_validates_against_the_epcis_schema(doc):
    v = _validator()
    errors = sorted(v.iter_errors(doc), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])


@pytest.mark.parametrize("path,bad", [
    (("readPoint", "id"), "not a uri"),
    (("bizLocation", "id"), "https://exa mple.org/space"),
    (("eventTime",), "yesterday at noon"),
    (("epcList",), ["urn epc id"]),
])  # fmt: skip
def test_format_checker_is_live(doc, path, bad):
    """Without a working format checker these invalid values pass; with it each is rejected."""
    v = _validator()
    bad_doc = copy.deepcopy(doc)
    ev = next(e for e in bad_doc["epcisBody"]["eventList"] if "readPoint" in e)
    tgt = ev
    for k in path[:-1]:
        tgt = tgt[k]
    tgt[path[-1]] = bad
    assert list(v.iter_errors(bad_doc)), f"{path} = {bad!r} passed validation"


def test_event_content(doc):
    evs = doc["epcisBody"]["eventList"]
    assert doc["@context"][1] == {"twin": NAMESPACE}
    assert all(e["type"] == "ObjectEvent" and e["eventTimeZoneOffset"] == "+08:00" for e in evs)
    adds = [e for e in evs if e["action"] == "ADD"]
    assert {e["epcList"][0] for e in adds} == {epc_uri(D1), epc_uri(D2), epc_uri(ITEM)}
    assert all(e["bizStep"] == "commissioning" for e in adds)
    store = next(e for e in evs if e.get("bizStep") == "storing")
    assert store["epcList"] == [tagids.to_uri(D1)] and store["disposition"] == "available"
    assert store["readPoint"]["id"] == f"{NAMESPACE}reader/R-dr-1"
    assert store["bizLocation"]["id"] == f"{NAMESPACE}space/dossier_room"
    assert store["eventTime"] == "2024-03-04T08:00:00.123+08:00"
    out = next(e for e in evs if e.get("bizLocation", {}).get("id", "").endswith("car_park") and e["action"] == "OBSERVE"
               and "readPoint" in e)  # fmt: skip
    assert (out["bizStep"], out["disposition"]) == ("departing", "in_transit")
    assert any(e["bizStep"] == "accepting" and e.get("twin:holder") == "o-01" for e in evs)
    assert any(e["epcList"][0].startswith("urn:epc:id:gsrn:") for e in evs)
    assert any(e["epcList"][0].startswith("urn:epc:id:giai:") for e in evs)
    assert all(e["eventID"] == event_hash_id({k: v for k, v in e.items() if k != "eventID"}) for e in evs)


def test_hash_ids_match_an_independent_implementation(doc):
    pytest.importorskip("epcis_event_hash_generator")
    from epcis_event_hash_generator.hash_generator import calculate_hashes_from_pre_hashes, derive_prehashes_from_events
    from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json

    theirs_pre = derive_prehashes_from_events(event_list_from_epcis_document_json(copy.deepcopy(doc)))
    theirs = calculate_hashes_from_pre_hashes(theirs_pre)
    evs = doc["epcisBody"]["eventList"]
    assert [prehash(e) for e in evs] == theirs_pre
    assert [e["eventID"] for e in evs] == theirs


def test_prehash_known_answer():
    ev = {"type": "ObjectEvent", "eventTime": "2024-03-04T08:00:00.123+08:00", "eventTimeZoneOffset": "+08:00",
          "epcList": ["urn:epc:id:gdti:0614141.12345.006847"], "action": "OBSERVE", "bizStep": "storing",
          "disposition": "available", "readPoint": {"id": f"{NAMESPACE}reader/R1"},
          "bizLocation": {"id": f"{NAMESPACE}space/archive"}, "twin:storage": "archive/S03", "twin:confidence": 0.5}  # fmt: skip
    assert prehash(ev) == (
        "eventType=ObjectEventeventTime=2024-03-04T00:00:00.123ZeventTimeZoneOffset=+08:00"
        "epcListepc=https://id.gs1.org/253/0614141123452006847action=OBSERVE"
        "bizStep=https://ref.gs1.org/cbv/BizStep-storingdisposition=https://ref.gs1.org/cbv/Disp-available"
        f"readPointid={NAMESPACE}reader/R1bizLocationid={NAMESPACE}space/archive"
        f"{{{NAMESPACE}}}confidence=0.5{{{NAMESPACE}}}storage=archive/S03"
    )
    import hashlib

    assert event_hash_id(ev) == f"ni:///sha-256;{hashlib.sha256(prehash(ev).encode()).hexdigest()}?ver=CBV2.0"


def test_digital_link_on_gs1_examples():
    assert check_digit("061414112345") == 2
    assert check_digit("06141411234567890") == 2
    assert digital_link("urn:epc:id:gdti:0614141.12345.006847") == "https://id.gs1.org/253/0614141123452006847"
    assert digital_link("urn:epc:id:gsrn:0614141.1234567890") == "https://id.gs1.org/8018/061414112345678902"
    assert digital_link("urn:epc:id:giai:0614141.12345400") == "https://id.gs1.org/8004/061414112345400"
    assert digital_link(f"{NAMESPACE}space/x") == f"{NAMESPACE}space/x"


def test_epc_uri_matches_the_tag_data_standard_encoding():
    assert epc_uri(D1) == tagids.to_uri(D1) and epc_uri(D1).startswith("urn:epc:id:gdti:")
    assert epc_uri(BADGE) == tagids.to_uri(BADGE)
    assert epc_uri("FF0000000000000000000000").startswith("urn:epc:raw:")


def test_export_is_deterministic(run_dir):
    export_epcis(run_dir, run_dir / "a.jsonld")
    export_epcis(run_dir, run_dir / "b.jsonld")
    assert (run_dir / "a.jsonld").read_bytes() == (run_dir / "b.jsonld").read_bytes()


def test_empty_store_exports_an_empty_document(tmp_path):
    Store(tmp_path).close()
    assert export_epcis(tmp_path, tmp_path / "e.jsonld") == 0
    assert json.loads((tmp_path / "e.jsonld").read_text())["epcisBody"]["eventList"] == []
