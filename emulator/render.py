"""Records as ONTAP answers them (HAL links, lowercase enums, netmask lengths, no passwords)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import quote

from emulator.defects import Defects
from emulator.state import Credential, Svm
from emulator.validation import Mask, Range, family
from emulator.variants import Variants

NO_VARIANTS = Variants()
#: What the later-release-property variant shows in every record.
LATER_PROPERTY = ("comment", "emulated property of a later ONTAP release")

CREDENTIALS = "/api/protocols/san/iscsi/credentials"
SERVICES = "/api/protocols/san/iscsi/services"
SVMS = "/api/svm/svms"
#: Characters ``quote(text, safe="")`` leaves as they are, and ``:``, which it writes ``%3A``.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.~:-]*\Z")


def link(href: str) -> dict[str, Any]:
    return {"self": {"href": href}}


def svm_ref(svm: Svm) -> dict[str, Any]:
    return {"uuid": svm.uuid, "name": svm.name, "_links": link(f"{SVMS}/{svm.uuid}")}


def location(cred: Credential, variants: Variants = NO_VARIANTS) -> str:
    """The instance path with each key percent-encoded (``:`` as ``%3A``, ``/`` as ``%2F``),
    as ONTAP writes keys in hrefs (OB-78): the ``Location`` header and ``_links.self``.
    The encoded-links variant leaves the initiator's ``:`` raw, as the page's examples do."""
    initiator = quote(cred.initiator, safe=":") if "encoded-links" in variants else quote_key(cred.initiator)
    return f"{CREDENTIALS}/{quote_key(cred.svm_uuid)}/{initiator}"


def quote_key(text: str) -> str:
    """``quote(text, safe="")``; a plain IQN, EUI or UUID (nearly every key) takes the
    short way, which matters when 10,000 records are rendered for one page."""
    if _PLAIN_KEY.match(text):
        return text.replace(":", "%3A")
    return quote(text, safe="")


def credential(cred: Credential, svm: Svm, defects: Defects,
               variants: Variants = NO_VARIANTS) -> dict[str, Any]:
    """The full record (what fields=* returns); passwords only under a leak defect."""
    auth = cred.auth_type.upper() if "uppercase-auth-type" in defects else cred.auth_type
    out: dict[str, Any] = {"svm": svm_ref(svm), "initiator": cred.initiator,
                           "authentication_type": auth}
    if "later-release-property" in variants:
        out[LATER_PROPERTY[0]] = LATER_PROPERTY[1]
    chap: dict[str, Any] = {}
    for side, part in (("inbound", cred.inbound), ("outbound", cred.outbound)):
        if part is None:
            continue
        shown: dict[str, Any] = {}
        if part.user and "hide-chap-users" not in defects:
            shown["user"] = part.user
        if part.password and "leak-password-in-get" in defects:
            shown["password"] = part.password
        if shown:
            chap[side] = shown
    if chap:
        out["chap"] = chap
    addresses: dict[str, Any] = {}
    if cred.ranges:
        addresses["ranges"] = [_range(r, defects) for r in cred.ranges]
    if cred.masks:
        addresses["masks"] = [_mask(m, defects) for m in cred.masks]
    if "empty-containers" in variants:  # both lists, empty ones included (OB-33, OB-76)
        addresses = {"ranges": addresses.get("ranges", []), "masks": addresses.get("masks", [])}
    if addresses:
        out["initiator_address"] = addresses
    # Keys percent-encoded, as ONTAP writes them in hrefs (OB-78; the 9.10.1 document's
    # examples show a raw ":", but clients compare hrefs after percent-decoding).
    out["_links"] = link(location(cred, variants))
    if "self-link-without-svm" in defects:
        out["_links"] = link(f"{CREDENTIALS}/{quote_key(cred.initiator)}")
    if "self-link-string" in defects:
        out["_links"] = {"self": out["_links"]["self"]["href"]}
    return out


def _range(r: Range, defects: Defects) -> dict[str, Any]:
    if isinstance(r.start, str) or isinstance(r.end, str):  # non-ip-address: as given
        return {"start": str(r.start), "end": str(r.end)}
    out = {"start": str(r.start), "end": str(r.end), "family": family(r.start)}
    if "no-family-out" in defects:
        del out["family"]
    return out


def _mask(m: Mask, defects: Defects) -> dict[str, Any]:
    if isinstance(m.address, str):  # non-ip-address: as given
        return {"address": m.address, "netmask": str(m.netmask)}
    netmask = str(m.netmask)
    if m.address.version == 4 and "dotted-netmask-out" in defects:
        netmask = str(ipaddress.IPv4Network(f"0.0.0.0/{m.netmask}").netmask)
    out = {"address": str(m.address), "netmask": netmask, "family": family(m.address)}
    if "no-family-out" in defects:
        del out["family"]
    return out


def service(svm: Svm) -> dict[str, Any]:
    return {"svm": svm_ref(svm), "enabled": True,
            "target": {"name": f"iqn.1992-08.com.netapp:sn.{svm.uuid.replace('-', '')}:vs",
                       "alias": svm.name},
            "_links": link(f"{SERVICES}/{svm.uuid}")}


def svm_record(svm: Svm) -> dict[str, Any]:
    return {"uuid": svm.uuid, "name": svm.name, "state": "running", "subtype": "default",
            "_links": link(f"{SVMS}/{svm.uuid}")}


class RenderCache:
    """Each credential's full record, rendered once and kept while it is the one stored.

    A big cluster's whole-collection reads (a filter, an order, fields=*) touch every record;
    stored credentials are never changed in place (a write stores a new one), so a record
    rendered for one read is the right answer for the next while the stored credential is
    the same object and its SVM keeps its name. Readers must not change what they get
    (``query.project`` copies before it drops a field). Past ``limit`` entries the cache
    starts again, so credentials deleted long ago are not kept for ever.
    """

    def __init__(self, limit: int = 150_000) -> None:
        self.limit = limit
        self._kept: dict[tuple[str, str], tuple[Credential, str, dict[str, Any]]] = {}

    def get(self, cred: Credential, svm: Svm, defects: Defects, variants: Variants) -> dict[str, Any]:
        key = (cred.svm_uuid, cred.initiator)
        kept = self._kept.get(key)
        if kept is not None and kept[0] is cred and kept[1] == svm.name:
            return kept[2]
        record = credential(cred, svm, defects, variants)
        if len(self._kept) >= self.limit:
            self._kept = {}
        self._kept[key] = (cred, svm.name, record)  # one dict store: safe across threads
        return record
