"""EPC identifiers of the bureau's tags (GS1 EPC Tag Data Standard, encoded with epcpy).

Dossier volumes are GDTI-96, officer badges GSRN-96, case-involved property items GIAI-96 (DESIGN.md,
"Identifiers and tags"). Serials are deterministic in the case / officer / item number, so one scenario and seed
always give the same EPCs. Readers report the 96-bit EPC as 24 uppercase hex characters (`to_hex`).
"""

from __future__ import annotations

from epcpy import hex_to_tag_encodable
from epcpy.epc_schemes.gdti import GDTI, GDTIFilterValue
from epcpy.epc_schemes.giai import GIAI, GIAIFilterValue
from epcpy.epc_schemes.gsrn import GSRN, GSRNFilterValue

from ..records import EPC_HEX_LEN

DOSSIER_DOC_TYPE = 1  # GDTI document type "case dossier volume" (assumption; the bureau's own numbering)
VOLUME_DIGITS = 2  # serial = case number * 100 + volume number (volumes 1..99)


def _doc_type_digits(company_prefix: str) -> int:
    return 12 - len(company_prefix)  # GDTI: company prefix + document type = 12 digits


def _service_digits(company_prefix: str) -> int:
    return 17 - len(company_prefix)  # GSRN: company prefix + service reference = 17 digits


def dossier_uri(company_prefix: str, case_no: int, volume: int) -> str:
    """Pure-identity URI of a dossier volume: urn:epc:id:gdti:<prefix>.<doc type>.<case*100+volume>."""
    if not (1 <= volume < 10**VOLUME_DIGITS) or case_no < 0:
        raise ValueError(f"case {case_no} volume {volume}: expected case >= 0 and volume 1..99")
    doc = str(DOSSIER_DOC_TYPE).zfill(_doc_type_digits(company_prefix))
    return f"urn:epc:id:gdti:{company_prefix}.{doc}.{case_no * 10**VOLUME_DIGITS + volume}"


def badge_uri(company_prefix: str, officer_no: int) -> str:
    """Pure-identity URI of an officer's badge: urn:epc:id:gsrn:<prefix>.<service reference>."""
    return f"urn:epc:id:gsrn:{company_prefix}.{str(officer_no).zfill(_service_digits(company_prefix))}"


def item_uri(company_prefix: str, item_no: int) -> str:
    """Pure-identity URI of an evidence item: urn:epc:id:giai:<prefix>.<asset reference> (numeric, no leading 0)."""
    if item_no < 1:
        raise ValueError(f"item number {item_no}: expected >= 1")
    return f"urn:epc:id:giai:{company_prefix}.{item_no}"


def to_hex(uri: str) -> str:
    """The 96-bit binary encoding of a pure-identity URI as 24 uppercase hex characters (filter value 0)."""
    if uri.startswith("urn:epc:id:gdti:"):
        h = GDTI(uri).hex(binary_coding_scheme=GDTI.BinaryCodingScheme.GDTI_96, filter_value=GDTIFilterValue.ALL_OTHERS)
    elif uri.startswith("urn:epc:id:gsrn:"):
        h = GSRN(uri).hex(filter_value=GSRNFilterValue.ALL_OTHERS)
    elif uri.startswith("urn:epc:id:giai:"):
        h = GIAI(uri).hex(binary_coding_scheme=GIAI.BinaryCodingScheme.GIAI_96, filter_value=GIAIFilterValue.ALL_OTHERS)
    else:
        raise ValueError(f"unsupported EPC URI {uri!r}: expected a GDTI, GSRN or GIAI pure identity")
    h = h.upper().zfill(EPC_HEX_LEN)
    if len(h) != EPC_HEX_LEN:
        raise ValueError(f"{uri!r} does not fit 96 bits")
    return h


def to_uri(hex_epc: str) -> str:
    """Pure-identity URI (urn:epc:id:...) of a 96-bit EPC given as hex."""
    return hex_to_tag_encodable(hex_epc.upper()).epc_uri


def dossier_epc(company_prefix: str, case_no: int, volume: int) -> str:
    return to_hex(dossier_uri(company_prefix, case_no, volume))


def badge_epc(company_prefix: str, officer_no: int) -> str:
    return to_hex(badge_uri(company_prefix, officer_no))


def item_epc(company_prefix: str, item_no: int) -> str:
    return to_hex(item_uri(company_prefix, item_no))
