"""EPC decoding with epcpy, once per distinct tag: GDTI dossiers, GSRN badges, GIAI items, the rest foreign.

Decoding a 96-bit EPC through epcpy costs tens of microseconds, so it is done when a tag is first interned and the
kind is kept in an array indexed by tag id; rows never decode anything.
"""

from __future__ import annotations

from epcpy import hex_to_tag_encodable

KIND_DOSSIER, KIND_BADGE, KIND_ITEM, KIND_FOREIGN = 0, 1, 2, 3
KIND_NAMES = ("dossier", "badge", "item", "foreign")
_SCHEMES = {"gdti": KIND_DOSSIER, "gsrn": KIND_BADGE, "giai": KIND_ITEM}
_HEX = b"0123456789ABCDEF"  # bytes.translate deletes these; anything left is not uppercase hex


def well_formed(epc: bytes) -> bool:
    """24 uppercase hex characters (a 96-bit EPC as readers report it)."""
    return len(epc) == 24 and not epc.translate(None, _HEX)


def decode(epc: bytes) -> tuple[int, str]:
    """(kind code, pure-identity URI or "") of one well-formed EPC; anything epcpy cannot decode is foreign."""
    try:
        uri = hex_to_tag_encodable(epc.decode("ascii")).epc_uri
    except Exception:  # epcpy raises several types for unknown headers and bad partitions
        return KIND_FOREIGN, ""
    scheme = uri.split(":")[3] if uri.startswith("urn:epc:id:") else ""
    return _SCHEMES.get(scheme, KIND_FOREIGN), uri
