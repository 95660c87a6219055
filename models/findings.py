"""Documentation findings: where NetApp's 9.10.1 page for this endpoint contradicts itself.

A conformance suite is built from a document, and this one has defects (a misspelt filter,
examples that disagree with their own schema, defaults that contradict their text). Each
finding names both readings, the one the model judges by and why (citing ``OB-N`` / ``OQ-N``
of ``models.references`` where real-cluster evidence exists), the rules it touches, and
``observation``: a short key for what a run could observe to tell which reading a target
follows (``None`` when no response can tell). ``tests/models/test_doc_consistency.py`` checks
the page's examples and tables mechanically; every disagreement it finds is one of these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One defect of the documentation and how the model reads it."""

    id: str
    section: str
    title: str
    readings: tuple[tuple[str, str], ...]
    model_reading: str
    why: str
    rules: tuple[str, ...]
    observation: str | None

    def as_dict(self) -> dict[str, object]:
        """The JSON form printed by ``python -m models --json``."""
        return {
            "id": self.id,
            "section": self.section,
            "title": self.title,
            "readings": [{"name": name, "meaning": meaning} for name, meaning in self.readings],
            "model_reading": self.model_reading,
            "why": self.why,
            "rules": list(self.rules),
            "observation": self.observation,
        }


_RETRIEVE = "Retrieve iSCSI credentials"
_CREATE = "Create iSCSI credentials"
_GET_ONE = "Retrieve specific iSCSI credentials"
_UPDATE = "Update iSCSI credentials"
_DELETE = "Delete iSCSI credentials"

FINDINGS: tuple[Finding, ...] = (
    Finding(
        "DOC-001", f"{_RETRIEVE}, Parameters",
        "A filter is named initiator_address_ranges.end, not initiator_address.ranges.end",
        (("dotted", "the filter is initiator_address.ranges.end, named after the property like "
                    "every other filter"),
         ("literal", "ONTAP takes a query parameter literally named initiator_address_ranges.end")),
        "dotted",
        "Every other filter of the table and the record property initiator_address.ranges.end are "
        "dotted, the 9.9.1 page spells this filter with a dot (OB-89), and NetApp's general docs "
        "filter on any field by its own name (OB-46, OB-87).",
        ("CRED-LIST-003", "CRED-LIST-004"), "filter-name:initiator_address_ranges.end"),
    Finding(
        "DOC-002", f"{_RETRIEVE}, Parameters (return_timeout)",
        "return_timeout's default is '15 seconds' in its text and 'Default value: 1' in the same cell",
        (("15", "a GET that iterates a collection may run 15 seconds by default"),
         ("1", "the default is 1 second")),
        "15",
        "Every release's bindings and the general docs give 15 s for GET and 0 for other methods "
        "(OB-72); the 1 is the same rendering slip as the boolean defaults (DOC-003). No rule times "
        "a default: CRED-LIST-009 judges only the documented bounds 0..120.",
        ("CRED-LIST-009",), None),
    Finding(
        "DOC-003", f"{_RETRIEVE} and {_CREATE}, Parameters (return_records)",
        "The boolean return_records has 'Default value: 1' (GET) and an empty default (POST)",
        (("text", "the sentences decide: true for GET, false for POST"),
         ("table", "the 'Default value' lines decide: 1 for GET (no boolean), nothing for POST")),
        "text",
        "The descriptions say true for GET and false for POST and the general docs agree (OB-23); "
        "a synchronous POST answers an empty object unless return_records=true (OB-79, DOC-011).",
        ("CRED-LIST-001", "CRED-LIST-006", "CRED-POST-005"), "default:return_records"),
    Finding(
        "DOC-004", f"{_UPDATE}, Parameters",
        "add_initiator_addresses and remove_initiator_addresses print an empty default",
        (("false", "both default to false: a PATCH without them replaces the address list"),
         ("unspecified", "no default is given, so a PATCH without them may merge, remove or "
                         "replace")),
        "false",
        "Each description says the flag acts 'rather than replace the existing addresses', which "
        "makes replacing the behaviour without it (OB-39); NetApp's clients send the flags only to "
        "merge or remove (OB-56, OB-75). Both flags true is not described: the model lets a target "
        "refuse it.",
        ("CRED-ADDR-007", "CRED-ADDR-008", "CRED-ADDR-009"), "default:initiator-address-flags"),
    Finding(
        "DOC-005", f"{_RETRIEVE} and {_CREATE}, Example response",
        "The example collections draw records as one object, not an array",
        (("array", "records is an array of credentials, as the Response tables type it"),
         ("as-drawn", "records may be a single object")),
        "array",
        "The Response tables type records as array[iscsi_credentials], the overview's fields=* "
        "example has an array, recorded collections have one (OB-51) and NetApp's clients iterate "
        "it (OB-59); other releases print arrays where 9.10.1 prints single objects (OB-90).",
        ("CRED-LIST-001", "CRED-SCHEMA-001"), "shape:collection.records"),
    Finding(
        "DOC-006", f"{_RETRIEVE} and {_CREATE}, Example response",
        "The example collections leave out num_records",
        (("present", "every collection body carries num_records, as the Response tables list it"),
         ("optional", "num_records may be missing")),
        "present",
        "The Response tables list num_records, the overview's fields=* example has it (6), "
        "recorded empty matches carry 0 (OB-51) and NetApp's client counts with it (OB-59).",
        ("CRED-LIST-001", "CRED-SCHEMA-001"), "shape:collection.num_records"),
    Finding(
        "DOC-007", f"Definitions (initiator_address); Example request/response of {_RETRIEVE}, "
                   f"{_CREATE}, {_GET_ONE} and {_UPDATE}",
        "Example bodies draw initiator_address.masks and .ranges as single objects",
        (("array", "masks and ranges are arrays of objects, as the definition types them"),
         ("object", "a single mask or range is sent and returned as an object")),
        "array",
        "The initiator_address definition types them array[ip_info] and array[ip_address_range]; "
        "the overview's PATCH example sends a ranges array; the 9.9.1 and 9.15.1 pages print "
        "arrays (OB-90); NetApp's clients send and read lists (OB-37, OB-75). The model refuses an "
        "object in a request (CRED-BODY-001) and the schema check fails one in a response.",
        ("CRED-BODY-001", "CRED-SCHEMA-001", "CRED-ADDR-006"), "shape:initiator_address.lists"),
    Finding(
        "DOC-008", "Every Example error; Definitions (error)",
        "The example errors draw arguments as one object; the definition types it "
        "array[error_arguments]",
        (("array", "arguments, when present, is an array of {code, message} objects"),
         ("object", "arguments is a single {code, message} object")),
        "array",
        "The error definition on the same page types it as an array and other pages of NetApp's "
        "reference print the example as one (OB-91); recorded errors may leave arguments out "
        "(OB-13).",
        ("CRED-ERR-001",), "shape:error.arguments"),
    Finding(
        "DOC-009", f"Example error of {_RETRIEVE} (the collection), {_CREATE}, {_UPDATE} and "
                   f"{_DELETE}",
        "The example error (code 4, \"entry doesn't exist\", target uuid) is no answer these "
        "operations document",
        (("envelope", "the example only shows the envelope; a credential missing on PATCH or "
                      "DELETE is 5374895, as the tables say"),
         ("literal", "a missing record is answered with the generic code 4 on every operation")),
        "envelope",
        "The PATCH and DELETE tables list 5374895 for a credential the SVM does not have, "
        "unchanged through 9.19.1 (OB-24); 4 is ONTAP's generic not-found with 404 (OB-14, OB-15); "
        "a collection GET that matches nothing answers 200 with no records (OB-51) and a POST "
        "looks nothing up. Only for a GET of one record, which has no table, does the model allow "
        "4 (and 5374895, OQ-2).",
        ("CRED-MISS-001", "CRED-MISS-002", "CRED-ERR-001"), "missing-record-code"),
    Finding(
        "DOC-010", f"{_UPDATE} and {_DELETE}, ONTAP Error Response Codes",
        "A path-keyed PATCH and DELETE list 2621707 (no SVM was specified) and 2621706 (UUID and "
        "name name different SVMs)",
        (("shared-table", "the codes come from a list shared with the query-based collection "
                          "operations; an instance PATCH or DELETE names its SVM in the path "
                          "and cannot earn them"),
         ("reachable", "an instance PATCH or DELETE can be answered with them")),
        "shared-table",
        "The swagger gives the instance and collection operations one list of codes (OB-24); the "
        "SVM of an instance request is a path key (OB-1) and a DELETE has no body (OB-11). The "
        "model expects 2621707 and 2621706 only from a POST body; CRED-SVM-002 and CRED-SVM-003 "
        "are judged on POST.",
        ("CRED-SVM-002", "CRED-SVM-003"), None),
    Finding(
        "DOC-011", f"{_CREATE}, Response 201 and Example response",
        "The 201 is drawn as a collection (num_records, records, _links.next)",
        (("empty-unless-asked", "a 201 body is {} unless return_records=true, which returns "
                                "{num_records: 1, records: [the record]}"),
         ("collection", "every 201 carries a collection body")),
        "empty-unless-asked",
        "The POST's own return_records text ('The default is false. If set to true, the records "
        "are returned'), the general docs (OB-23) and recorded 201s with Content-Length 3 (OB-79) "
        "agree; the collection form is the answer to return_records=true.",
        ("CRED-POST-001", "CRED-POST-005", "CRED-SCHEMA-001"), "shape:post-201-body"),
    Finding(
        "DOC-012", "Overview, iSCSI authentication methods",
        "The CHAP password format sentence is printed under 'none'",
        (("chap-passwords", "the sentence describes CHAP passwords in general (a string, or "
                            "0x/0X and an even number of hex digits); none takes no CHAP "
                            "properties"),
         ("none-passwords", "credentials of type none may carry CHAP passwords")),
        "chap-passwords",
        "The POST and PATCH tables refuse CHAP properties with none or deny (5374900) and give the "
        "hex rule for the iSCSI security password (5374145); OB-29, OB-31.",
        ("CRED-CHAP-004", "CRED-CHAP-005"), "chap-with-none"),
    Finding(
        "DOC-013", f"{_RETRIEVE} and {_CREATE}, Example response",
        "The example responses name the initiator '...iscsi:namel' (letter l) where the requests "
        "name '...iscsi:name1'",
        (("typo", "the same example initiator, name1"),
         ("different", "another initiator")),
        "typo",
        "Both spellings are valid IQNs (OB-42), so no rule depends on it; read literally, the "
        "Create page's example response would describe another record than its example request.",
        (), None),
    Finding(
        "DOC-014", f"{_RETRIEVE}, Parameters (order_by)",
        "order_by's description stops at 'optional [asc'",
        (("asc-desc", "each field may be followed by asc or desc, fields comma-separated"),
         ("unknown", "the direction syntax is not documented")),
        "asc-desc",
        "The general docs give order_by=<field> [asc|desc] (OB-49); NetApp's client sends "
        "'initiator desc' (OB-60).",
        ("CRED-LIST-007",), "order_by-direction"),
    Finding(
        "DOC-015", f"{_RETRIEVE} and {_GET_ONE}, Parameters (fields, order_by)",
        "fields and order_by are typed array[string] but used as one comma-separated value",
        (("comma", "one parameter holding a comma-separated list (fields=*, fields=a,b)"),
         ("repeated", "the parameter repeated once per item (fields=a&fields=b)")),
        "comma",
        "The overview example sends fields=*, the general docs describe comma lists (OB-48, "
        "OB-49), and NetApp's client keeps only the last of repeated keys (OB-60), so repeated "
        "parameters are never relied on.",
        ("CRED-GET-002", "CRED-LIST-007"), "query-array:repeated-parameter"),
    Finding(
        "DOC-016", f"{_CREATE} and {_UPDATE}, Example request",
        "The example requests put the SVM's name and uuid at the top level, outside svm",
        (("nested", "name and uuid belong in svm"),
         ("top-level", "a request may give the SVM as top-level name and uuid")),
        "nested",
        "The svm definition holds name and uuid, the POST's required properties are svm.uuid or "
        "svm.name, and every response example and the overview's requests nest them. The model "
        "refuses top-level name/uuid as unknown fields (CRED-BODY-001) and an svm holding neither "
        "as 2621707 (CRED-SVM-003).",
        ("CRED-BODY-001", "CRED-SVM-003", "CRED-POST-003"), "body-shape:svm-top-level"),
    Finding(
        "DOC-017", f"{_CREATE} and {_UPDATE}, Request Body and Example request",
        "The request bodies list and send _links, a read-only HAL property",
        (("ignored", "_links in a request body is accepted and ignored"),
         ("refused", "_links is no input field and is refused")),
        "ignored",
        "The 9.10.1 Request Body tables list _links for POST and PATCH, so the model accepts and "
        "ignores it; but _links is a record's HAL output (OB-86) and the 9.9.1 PATCH page leaves it "
        "out of the body (OB-92), so only the 9.10.1 tables support this reading.",
        ("CRED-BODY-001",), "body:_links"),
    Finding(
        "DOC-018", f"{_UPDATE}, Request Body and Example request",
        "The PATCH body lists and sends initiator and svm, which name the record the path names",
        (("not-patchable", "a PATCH may refuse initiator and svm, and never applies them"),
         ("patchable", "a PATCH may rename the initiator or move the record to another SVM")),
        "not-patchable",
        "NetApp's client lists neither as patchable (OB-40), the 9.9.1 page leaves initiator out "
        "of the PATCH body (OB-92), and from 9.15.1 svm cannot be given in a PATCH (OB-67, "
        "CRED-PATCH-002). Before 9.15.1 the model lets a target refuse or ignore them (an "
        "uncertain CRED-BODY-001), never apply them.",
        ("CRED-BODY-001", "CRED-PATCH-002", "CRED-STATE-001"), "patch-body:svm-initiator"),
    Finding(
        "DOC-019", f"Example request/response of {_RETRIEVE}, {_CREATE}, {_GET_ONE} and {_UPDATE}",
        "Examples of type chap carry no CHAP user",
        (("users-required", "a chap record has an inbound user and password (5374149) and GET "
                            "returns the user"),
         ("as-drawn", "a chap record may be created and returned without users")),
        "users-required",
        "The POST and PATCH tables refuse CHAP without inbound user and password (5374149, OB-31) "
        "and the overview's examples of the same GETs return chap.inbound.user (OB-33). The model "
        "refuses the generated example requests (CRED-CHAP-001) and expects the users back "
        "(CRED-CHAP-009).",
        ("CRED-CHAP-001", "CRED-CHAP-009"), "chap-record-without-users"),
    Finding(
        "DOC-020", "Overview (iSCSI authentication methods) and Examples",
        "authentication_type's values are never listed; the examples send 'CHAP' and read "
        "back 'chap'",
        (("case-insensitive", "chap, none and deny in any case on input, lowercase on output"),
         ("lowercase-only", "only the lowercase values are accepted; 'CHAP' is a slip")),
        "case-insensitive",
        "NetApp's POST example and Trident send 'CHAP' to real clusters, GET returns 'chap', and "
        "the general docs take CLI spellings on input and print enumerations in lowercase (OB-26).",
        ("CRED-AUTH-001", "CRED-AUTH-002", "CRED-AUTH-003"), "auth-type-case"),
    Finding(
        "DOC-021", "Overview, Examples (the curl lines)",
        "The curl examples send JSON bodies without Content-Type: application/json",
        (("label-required", "JSON bodies are labelled application/json (curl -d alone labels "
                            "them form-urlencoded)"),
         ("any-label", "ONTAP reads a body as JSON whatever its Content-Type")),
        "label-required",
        "NetApp's general docs require the label on JSON bodies (OB-93) and NetApp's clients send "
        "it (OB-7). The suite always labels its bodies; no rule judges an unlabelled one.",
        (), "request-content-type"),
)

BY_ID: dict[str, Finding] = {f.id: f for f in FINDINGS}


def finding(finding_id: str) -> Finding:
    """The finding with this ID, or ``KeyError`` naming the unknown ID."""
    try:
        return BY_ID[finding_id]
    except KeyError:
        raise KeyError(f"unknown finding {finding_id!r}; see python -m models") from None
