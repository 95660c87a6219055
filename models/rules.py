"""The rule catalog: every documented (and observed) behaviour the suite judges, with a stable ID.

Each verdict of the suite names one of these rules. IDs are never reused or renumbered.
``source`` cites the section of NetApp's ONTAP 9.10.1 reference for
``/api/protocols/san/iscsi/credentials`` ("doc: ...", or "doc 9.11.1: ..." for a later
release's page; ``models.references.DOC_PAGES`` gives each page's URL) or an entry of the
project's own reference ``docs/observed-behaviour.md`` ("OB-N" for real-cluster, client or
general-doc behaviour, "OQ-N" for an open question; ``models.references``). ``basis`` is
``documented`` when the 9.10.1 doc says so and ``observed`` when only real clusters or
NetApp's own clients show it.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.releases import Release, parse_release

DOCUMENTED = "documented"
OBSERVED = "observed"

POST, GET, LIST, PATCH, DELETE = "post", "get", "list", "patch", "delete"
WRITES = (POST, PATCH, DELETE)
ALL_OPERATIONS = (POST, GET, LIST, PATCH, DELETE)


@dataclass(frozen=True)
class Rule:
    """One behaviour of the endpoint that a response can conform to or break.

    ``no_defect`` is empty for every rule an emulator defect can break; otherwise it says
    why no such defect can exist (a rule nothing can fail is a rule nobody knows is checked,
    so the self-tests require one or the other).

    Releases (OB-65 to OB-73): a rule applies from ``since`` on. An observed rule that a later
    release documents names that release in ``documented_since``; from then on it is a
    documented rule.
    """

    id: str
    title: str
    operations: tuple[str, ...]
    source: str
    basis: str = DOCUMENTED
    error_code: str | None = None
    no_defect: str = ""
    since: str = "9.6.0"
    documented_since: str = ""

    def applies_to(self, release: Release) -> bool:
        """Whether the rule is part of the documented behaviour of ``release``."""
        return release >= parse_release(self.since)

    def basis_in(self, release: Release) -> str:
        """``documented`` or ``observed`` for ``release``."""
        if self.documented_since and release >= parse_release(self.documented_since):
            return DOCUMENTED
        return self.basis

    def releases(self) -> str:
        """A short text for reports: from which release the rule applies or is documented."""
        text = f"from {self.since}" if self.since != "9.6.0" else "all"
        if self.documented_since:
            text += f"; documented from {self.documented_since}"
        return text

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form printed by ``python -m models --json``."""
        return {
            "id": self.id,
            "title": self.title,
            "basis": self.basis,
            "source": self.source,
            "error_code": self.error_code,
            "operations": list(self.operations),
            "since": self.since,
            "documented_since": self.documented_since or None,
        }


_TABLES = "doc: Create/Update/Delete iSCSI credentials, ONTAP Error Response Codes"
_CREATE_TABLE = "doc: Create iSCSI credentials, ONTAP Error Response Codes"
_PATCH_TABLE = "doc: Update iSCSI credentials, ONTAP Error Response Codes"
_DELETE_TABLE = "doc: Delete iSCSI credentials, ONTAP Error Response Codes"
_IP_INFO = "doc: Definitions, ip_info"
_RANGE = "doc: Definitions, ip_address_range"

RULES: tuple[Rule, ...] = (
    # --- SVM scoping -------------------------------------------------------------------
    Rule("CRED-SVM-001", "An SVM UUID that names no SVM is refused", WRITES, _TABLES,
         error_code="2621462"),
    Rule("CRED-SVM-002", "svm.uuid and svm.name that name different SVMs are refused", WRITES,
         _TABLES, error_code="2621706"),
    Rule("CRED-SVM-003", "A request that names no SVM (neither svm.name nor svm.uuid) is refused",
         WRITES, _TABLES, error_code="2621707"),
    Rule("CRED-SVM-004", "Credentials cannot be created on an SVM without the iSCSI service", (POST,),
         _CREATE_TABLE, error_code="5374078"),
    Rule("CRED-SVM-005", "A record is reached only through its own SVM's UUID", (GET, PATCH, DELETE),
         "doc: Retrieve/Update/Delete specific iSCSI credentials, path keys svm.uuid + initiator"),
    # --- initiator names ---------------------------------------------------------------
    Rule("CRED-INIT-001", "An IQN needs a non-empty qualifier after the iqn. prefix", (POST,),
         _CREATE_TABLE, error_code="5373969"),
    Rule("CRED-INIT-002", "An IQN-like name with a prefix other than iqn is refused", (POST,),
         _CREATE_TABLE, error_code="5373970"),
    Rule("CRED-INIT-003", "The IQN date field must be yyyy-mm", (POST,), _CREATE_TABLE,
         error_code="5373971"),
    Rule("CRED-INIT-004", "IQN naming authority and string allow only a-z 0-9 . : -", (POST,),
         _CREATE_TABLE, error_code="5373972"),
    Rule("CRED-INIT-005", "An EUI identifier must be exactly 16 hexadecimal digits", (POST,),
         _CREATE_TABLE, error_code="5373977"),
    Rule("CRED-INIT-006", "An EUI name must have the form eui.XXXXXXXXXXXXXXXX", (POST,),
         _CREATE_TABLE, error_code="5373978"),
    Rule("CRED-INIT-007", "A name that is neither an IQN nor an EUI is refused", (POST,),
         _CREATE_TABLE, error_code="5373997"),
    Rule("CRED-INIT-008", "Well-formed IQN and EUI initiator names are accepted", (POST,),
         "doc: Overview, Examples; error 5373997 text (valid formats)"),
    Rule("CRED-INIT-009", "Initiator names longer than 223 bytes are refused", (POST,),
         "OB-43 (RFC 3720 section 3.2.6); observed: NetApp documents no maximum length for this field, "
         "so a cluster that accepts a longer name breaks the RFC, not NetApp's documentation",
         basis=OBSERVED),
    # --- create ------------------------------------------------------------------------
    Rule("CRED-POST-001", "POST creates the credentials and answers 201 Created", (POST,),
         "doc: Create iSCSI credentials, Response 201"),
    Rule("CRED-POST-002", "A 201 carries a Location header naming the new record", (POST,),
         "OB-85 (generic doc: a created object's URL comes back in Location), OB-22, OB-54; "
         "declared in the 9.12.1 swagger (OB-66)"),
    Rule("CRED-POST-003", "initiator, svm and authentication_type are required in POST", (POST,),
         "doc: Create iSCSI credentials, Required properties"),
    Rule("CRED-POST-004", "A second credential for the same initiator on the same SVM is refused",
         (POST,), _CREATE_TABLE, error_code="5374142"),
    Rule("CRED-BODY-001", "A body property of the wrong type or not in the documented schema is refused",
         (POST, PATCH), "doc: Definitions, iscsi_credentials (property types)"),
    Rule("CRED-POST-005", "POST with return_records=true returns the created record", (POST,),
         "doc: Create iSCSI credentials, Parameters (return_records); OB-23"),
    # --- authentication type -----------------------------------------------------------
    Rule("CRED-AUTH-001", "authentication_type chap, none or deny is accepted in any case",
         (POST, PATCH), "doc: Overview (authentication methods), Examples (\"CHAP\"); OB-26"),
    Rule("CRED-AUTH-002", "authentication_type is returned in lowercase", (GET, LIST),
         "doc: Examples (\"CHAP\" in, \"chap\" out); OB-26"),
    Rule("CRED-AUTH-003", "An authentication_type other than chap, none or deny is refused",
         (POST, PATCH), "doc: Overview (iSCSI authentication methods); OB-26"),
    # --- CHAP ----------------------------------------------------------------------------
    Rule("CRED-CHAP-001", "CHAP needs the inbound user and password", (POST, PATCH), _TABLES,
         error_code="5374149"),
    Rule("CRED-CHAP-002", "An outbound CHAP user needs an outbound password", (POST, PATCH),
         _TABLES, error_code="5374150"),
    Rule("CRED-CHAP-003", "Inbound and outbound CHAP passwords must differ", (POST, PATCH),
         _TABLES, error_code="5374147"),
    Rule("CRED-CHAP-004", "A 0x/0X password needs an even number of hex digits", (POST, PATCH),
         _TABLES, error_code="5374145"),
    Rule("CRED-CHAP-005", "CHAP properties are refused with authentication type none or deny",
         (POST, PATCH), _TABLES, error_code="5374900"),
    Rule("CRED-CHAP-006", "CHAP user names are 1 to 128 bytes", (POST, PATCH),
         "OB-28 (CLI reference; swagger minLength 1, maxLength 128 from 9.8 on)"),
    Rule("CRED-CHAP-007", "CHAP passwords are 1 to 512 bytes", (POST, PATCH),
         "OB-29 (SAN administration: 1 to 512 bytes); maxLength 512 in the swagger from 9.16.1 "
         "(OB-70)"),
    Rule("CRED-CHAP-008", "CHAP passwords are write-only and never returned", ALL_OPERATIONS,
         "doc: Definitions, inbound/outbound (Write-only); Examples (\"Passwords are not included\")"),
    Rule("CRED-CHAP-009", "CHAP user names that were set are returned", (GET, LIST),
         "doc: Examples, Retrieving specific iSCSI credentials"),
    Rule("CRED-CHAP-010", "An empty chap.outbound.user in PATCH clears the outbound CHAP credentials",
         (PATCH,), "doc 9.11.1: Update iSCSI credentials, chap.outbound.user (OB-32, OB-65)",
         since="9.11.1"),
    # --- initiator addresses -------------------------------------------------------------
    Rule("CRED-ADDR-001", "A range's start may not be greater than its end", (POST, PATCH),
         _TABLES, error_code="5374855"),
    Rule("CRED-ADDR-002", "A range's start and end must be of the same IP family", (POST, PATCH),
         _TABLES, error_code="5374856"),
    Rule("CRED-ADDR-003", "A netmask is accepted as a length or an IPv4 mask and returned as a length",
         (POST, PATCH, GET, LIST), _IP_INFO),
    Rule("CRED-ADDR-004", "An IPv6 netmask defaults to 64 and must lie within 1..127",
         (POST, PATCH, GET, LIST), _IP_INFO),
    Rule("CRED-ADDR-005", "Addresses must be IPv4 or IPv6 addresses", (POST, PATCH),
         f"{_IP_INFO}; {_RANGE}"),
    Rule("CRED-ADDR-006", "Ranges and masks are returned with their family", (GET, LIST),
         "doc: Retrieve iSCSI credentials, Example response; OB-37"),
    Rule("CRED-ADDR-007", "PATCH initiator_address replaces the address list", (PATCH,),
         "doc: Update iSCSI credentials, add_/remove_initiator_addresses (default behaviour)"),
    Rule("CRED-ADDR-008", "add_initiator_addresses=true merges the addresses into the list",
         (PATCH,), "doc: Update iSCSI credentials, add_initiator_addresses"),
    Rule("CRED-ADDR-009", "remove_initiator_addresses=true removes the addresses from the list",
         (PATCH,), "doc: Update iSCSI credentials, remove_initiator_addresses"),
    # --- the default credential ----------------------------------------------------------
    Rule("CRED-DEF-001", "Every SVM with the iSCSI service has a 'default' credential", (GET, LIST),
         "doc: Initiator \"default\""),
    Rule("CRED-DEF-002", "The default credential starts as authentication type none", (GET, LIST),
         "doc: Initiator \"default\""),
    Rule("CRED-DEF-003", "The default credential can be changed to deny or CHAP", (PATCH,),
         "doc: Initiator \"default\""),
    Rule("CRED-DEF-004", "The default credential cannot be deleted", (DELETE,), _DELETE_TABLE,
         error_code="5374148"),
    Rule("CRED-DEF-005", "The default credential takes no initiator address list", (PATCH,),
         f"doc: Initiator \"default\"; {_PATCH_TABLE}", error_code="5374155"),
    # --- update, delete, missing records -------------------------------------------------
    Rule("CRED-PATCH-001", "PATCH applies the change and answers 200", (PATCH,),
         "doc: Update iSCSI credentials, Response 200"),
    Rule("CRED-PATCH-002", "svm cannot be specified in a PATCH body", (PATCH,),
         "doc 9.15.1+: iscsi_credentials svm (\"cannot be specified in a PATCH method\"); OB-67",
         since="9.15.1"),
    Rule("CRED-PATCH-003", "A PATCH of the collection with a query changes every matching record and no other",
         (PATCH,), "doc 9.16.1: Update iSCSI credentials (collection); before, the generic doc (OB-41, OB-88, OB-70), "
         "which does not say a query-based write is synchronous: a cluster before 9.16.1 that answers it "
         "otherwise is not wrong by the documentation",
         basis=OBSERVED, documented_since="9.16.1"),
    Rule("CRED-DEL-001", "DELETE removes the record and answers 200", (DELETE,),
         "doc: Delete iSCSI credentials, Response 200"),
    Rule("CRED-DEL-002", "A DELETE of the collection with a query deletes every matching record and no other",
         (DELETE,), "doc 9.16.1: Delete iSCSI credentials (collection); before, the generic doc (OB-41, OB-88, OB-70), "
         "which does not say a query-based write is synchronous: a cluster before 9.16.1 that answers it "
         "otherwise is not wrong by the documentation",
         basis=OBSERVED, documented_since="9.16.1"),
    Rule("CRED-STATE-001", "A record changes only through a write that names it", ALL_OPERATIONS,
         "doc: Update/Delete iSCSI credentials (\"Updates specified\", \"Deletes specified\"; "
         "path keys svm.uuid + initiator)"),
    Rule("CRED-MISS-001", "PATCH or DELETE of a credential the SVM does not have is refused",
         (PATCH, DELETE), f"{_PATCH_TABLE}; {_DELETE_TABLE}", error_code="5374895"),
    Rule("CRED-MISS-002", "GET of a missing record is refused (404 code \"4\", or 5374895)", (GET,),
         "doc: Retrieve specific iSCSI credentials, Example error; OB-14, OB-15, OQ-2",
         error_code="4"),
    # --- retrieval -----------------------------------------------------------------------
    Rule("CRED-GET-001", "GET of a record returns the record as the model holds it", (GET,),
         "doc: Retrieve specific iSCSI credentials"),
    Rule("CRED-GET-002", "fields selects which properties are returned", (GET, LIST),
         "doc: Retrieve iSCSI credentials, fields; OB-48"),
    Rule("CRED-GET-003", "A password can be neither asked for with fields= nor used in a query",
         (GET, LIST), "OB-18 (9.11.1+ generic error table: 262202), OB-68 (9.15.1+: 262249, 262250)",
         since="9.11.1"),
    Rule("CRED-LIST-001", "A collection has records, num_records equal to their count, and _links",
         (LIST,), "doc: Retrieve iSCSI credentials, Response"),
    Rule("CRED-LIST-002", "The collection holds exactly the records of the model", (LIST,),
         "doc: Retrieve iSCSI credentials; Examples (fields=*)"),
    Rule("CRED-LIST-003", "A filter on a field returns exactly the matching records", (LIST,),
         "doc: Retrieve iSCSI credentials, Parameters (Filter by ...)"),
    Rule("CRED-LIST-004", "Query operators * ! | < > <= >= a..b filter as ONTAP defines",
         (LIST,), "OB-87, OB-46 (generic doc: record filtering)"),
    Rule("CRED-LIST-005", "max_records caps the number of records returned", (LIST,),
         "doc: Retrieve iSCSI credentials, max_records"),
    Rule("CRED-LIST-006", "return_records=false returns the count without records", (LIST,),
         "doc: Retrieve iSCSI credentials, return_records"),
    Rule("CRED-LIST-007", "order_by sorts the records ascending or descending", (LIST,),
         "doc: Retrieve iSCSI credentials, order_by; OB-49"),
    Rule("CRED-LIST-008", "_links.next of a capped page leads to the remaining records", (LIST,),
         "OB-88, OB-50 (generic doc: records and pagination), OB-52"),
    Rule("CRED-LIST-009", "return_timeout outside 0..120 seconds is refused", (LIST,),
         "doc: Retrieve iSCSI credentials, Parameters (return_timeout: min 0, max 120); OB-72"),
    # --- response form -------------------------------------------------------------------
    Rule("CRED-ERR-001", "Errors use the ONTAP envelope: error.message and error.code as a string",
         ALL_OPERATIONS, "doc: Definitions, error / error_arguments; OB-13"),
    Rule("CRED-ERR-002", "Endpoint error codes come with a 4xx status", ALL_OPERATIONS,
         "OB-14, OB-25; observed: NetApp gives no HTTP status for the endpoint's codes (its CLI "
         "passthrough maps an unknown one to 500), so a cluster answering one with a 5xx is not wrong by "
         "the documentation", basis=OBSERVED),
    Rule("CRED-SCHEMA-001", "Records and collections match the documented schema", (GET, LIST, POST),
         "doc: Definitions, iscsi_credentials"),
    # --- wire details NetApp's clients rely on -------------------------------------------
    Rule("CRED-WIRE-001", "A record is reached with the ':' of its IQN raw in the path as with %3A",
         (GET, PATCH, DELETE), "doc: Examples (the curl lines send ':' raw); OB-2, OB-3, OB-75 "
         "(Ansible sends ':' raw, PCL sends %3A)"),
    Rule("CRED-WIRE-002", "Answers are JSON labelled application/hal+json (application/json when asked for)",
         ALL_OPERATIONS, "OB-86, OB-8 (generic doc: the Accept header and HAL), OB-9"),
    Rule("CRED-WIRE-003", "A record's _links.self.href names the record (compared after percent-decoding)",
         (GET, LIST, POST), "doc: Examples, Retrieving all properties (_links.self of each record); "
         "OB-78"),
    # --- authentication and methods ------------------------------------------------------
    Rule("CRED-ACCESS-001", "A request without credentials, or with wrong ones, is refused with 401",
         ALL_OPERATIONS, "OB-81, OB-82 (generic doc: every call is authenticated; 401: user "
         "authentication failed), OB-20 (the 401 body is unknown)"),
    Rule("CRED-ACCESS-002", "A read-only user may read but its writes are refused with 403 (code 6)",
         ALL_OPERATIONS, "OB-83, OB-84 (generic doc, RBAC: a readonly role may only GET), OB-82 (403: "
         "authorization error), OB-14 (6 -> 403 permission denied), OB-19"),
    Rule("CRED-ACCESS-003", "A method the endpoint lacks (PUT) is refused with 405",
         ALL_OPERATIONS, "OB-82 (the REST API's status table: 405, the method is not supported for the "
         "resource), OB-14 (3 -> 405: operation not supported)"),
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

#: The 22 endpoint-specific codes of the 9.10.1 error tables (plus none of the generic ones).
ENDPOINT_ERROR_CODES: tuple[str, ...] = (
    "2621462", "2621706", "2621707", "5373969", "5373970", "5373971", "5373972", "5373977",
    "5373978", "5373997", "5374078", "5374142", "5374145", "5374147", "5374148", "5374149",
    "5374150", "5374155", "5374855", "5374856", "5374895", "5374900",
)

#: Which rule a documented error code belongs to.
RULE_FOR_CODE: dict[str, str] = {r.error_code: r.id for r in RULES if r.error_code}


#: Generic ONTAP codes the doc gives for what this endpoint shares with every endpoint
#: (OB-18, OB-68): a secret field in the URL, not readable in fields=, not queryable, not
#: allowed in a PATCH body.
GENERIC_ERROR_CODES: tuple[str, ...] = ("262202", "262249", "262250", "262203")


def basis_of(rule_id: str, release: Release) -> str:
    """The basis of a rule for a release (an observed rule may be documented later)."""
    return BY_ID[rule_id].basis_in(release)


def documented_release(rule_id: str) -> str:
    """The oldest release at which a rule is documented (and applies): where a defect that
    breaks it is judged, so that the break counts as a failure, not a deviation."""
    found = BY_ID[rule_id]
    later = [r for r in (found.since, found.documented_since) if r and parse_release(r) > parse_release("9.10.1")]
    return max(later, key=parse_release) if later else "9.10.1"


def rule(rule_id: str) -> Rule:
    """Return the rule with this ID, or raise ``KeyError`` naming the unknown ID."""
    try:
        return BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule ID {rule_id!r}; see python -m models") from None
