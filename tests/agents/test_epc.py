from hypothesis import given, strategies as st
from epcpy import hex_to_tag_encodable

from twin.agents import epc


@given(case=st.integers(0, 10**9), volume=st.integers(1, 99))
def test_dossier_round_trip(case, volume):
    uri = epc.dossier_uri("6954321", case, volume)
    h = epc.to_hex(uri)
    assert len(h) == 24 and h == h.upper() and h.startswith("2C")  # GDTI-96 header 0x2C
    assert epc.to_uri(h) == uri
    assert hex_to_tag_encodable(h).epc_uri == uri


@given(no=st.integers(0, 10**9))
def test_badge_round_trip(no):
    h = epc.badge_epc("6954321", no)
    assert h.startswith("2D") and len(h) == 24  # GSRN-96 header 0x2D
    assert epc.to_hex(epc.to_uri(h)) == h


@given(no=st.integers(1, 10**15))
def test_item_round_trip(no):
    h = epc.item_epc("6954321", no)
    assert h.startswith("34") and len(h) == 24  # GIAI-96 header 0x34
    assert epc.to_uri(h) == epc.item_uri("6954321", no)


def test_serials_are_distinct():
    hs = {epc.dossier_epc("6954321", c, v) for c in range(1, 50) for v in range(1, 4)}
    assert len(hs) == 49 * 3
