"""Named, opt-in deviations: each breaks exactly one rule so the suite can prove it has teeth.

Rule IDs are copied as plain strings from the project's rule catalog; the emulator never
imports the catalog (it must stay an independent reading of the document).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    name: str
    rule: str
    description: str
    sequence: bool = False  # shows only after a sequence of requests (state machine territory)


DEFECTS: tuple[Defect, ...] = (
    # --- secrets --------------------------------------------------------------------------
    Defect("leak-password-in-get", "CRED-CHAP-008",
           "GET (instance and collection) returns the CHAP passwords"),
    Defect("echo-password-in-error", "CRED-CHAP-008",
           "CHAP validation error messages quote the offending password"),
    # --- CHAP validation ------------------------------------------------------------------
    Defect("chap-without-inbound", "CRED-CHAP-001",
           "authentication_type chap is accepted without inbound user and password"),
    Defect("outbound-user-without-password", "CRED-CHAP-002",
           "an outbound CHAP user without an outbound password is accepted"),
    Defect("equal-chap-passwords", "CRED-CHAP-003",
           "equal inbound and outbound CHAP passwords are accepted"),
    Defect("odd-hex-password", "CRED-CHAP-004",
           "a 0x password with an odd number of hex digits is accepted"),
    Defect("chap-with-none-or-deny", "CRED-CHAP-005",
           "CHAP properties are accepted (and ignored) with authentication type none or deny"),
    Defect("long-chap-user", "CRED-CHAP-006",
           "CHAP user names longer than 128 bytes are accepted"),
    Defect("hide-chap-users", "CRED-CHAP-009",
           "GET omits the CHAP user names that were set"),
    # --- authentication type --------------------------------------------------------------
    Defect("uppercase-auth-type", "CRED-AUTH-002",
           "authentication_type is returned in uppercase"),
    Defect("any-auth-type", "CRED-AUTH-003",
           "an unknown authentication_type is accepted and stored"),
    Defect("lowercase-auth-type-only", "CRED-AUTH-001",
           "authentication_type is accepted only in lowercase (CHAP, None, ... answer code 2)"),
    # --- initiator names ------------------------------------------------------------------
    Defect("iqn-empty-qualifier", "CRED-INIT-001",
           "an IQN with nothing after iqn. (or after its date) is accepted"),
    Defect("iqn-any-prefix", "CRED-INIT-002",
           "an IQN-shaped name with another prefix of letters (iqm.1992-08.com.x:y) is accepted"),
    Defect("bad-iqn-date", "CRED-INIT-003",
           "an IQN whose date field is not yyyy-mm is accepted"),
    Defect("iqn-underscore", "CRED-INIT-004",
           "underscores are accepted in the IQN naming authority and string"),
    Defect("eui-any-length", "CRED-INIT-005",
           "an EUI name with other than 16 hex digits is accepted"),
    Defect("eui-non-hex", "CRED-INIT-006",
           "eui. followed by 16 characters that are not all hex digits is accepted"),
    Defect("any-initiator-name", "CRED-INIT-007",
           "names that are neither IQN- nor EUI-shaped (naa.600a0980..., host1) are accepted"),
    Defect("refuse-eui-names", "CRED-INIT-008",
           "well-formed EUI names are refused with code 5373997"),
    # --- addresses ------------------------------------------------------------------------
    Defect("reversed-range", "CRED-ADDR-001",
           "a range whose start is greater than its end is accepted"),
    Defect("mixed-family-range", "CRED-ADDR-002",
           "a range whose start and end are of different IP families is accepted"),
    Defect("dotted-netmask-out", "CRED-ADDR-003",
           "IPv4 netmasks are returned as dotted masks instead of lengths"),
    Defect("ipv6-netmask-128", "CRED-ADDR-004",
           "an IPv6 netmask of 128 (outside 1..127) is accepted"),
    Defect("non-ip-address", "CRED-ADDR-005",
           "a range or mask address that is no IP address is accepted and returned verbatim"),
    Defect("no-family-out", "CRED-ADDR-006",
           "ranges and masks are returned without their family"),
    Defect("patch-addresses-merge", "CRED-ADDR-007",
           "PATCH initiator_address without flags merges instead of replacing"),
    Defect("ignore-add-flag", "CRED-ADDR-008",
           "add_initiator_addresses=true is ignored: the list is replaced"),
    Defect("ignore-remove-flag", "CRED-ADDR-009",
           "remove_initiator_addresses=true is ignored: the list is replaced"),
    # --- default credential ---------------------------------------------------------------
    Defect("default-only-first-svm", "CRED-DEF-001",
           "after a reset only the first iSCSI SVM of the seed has a default credential"),
    Defect("default-starts-deny", "CRED-DEF-002",
           "the default credential of a new iSCSI service starts as deny"),
    Defect("default-type-frozen", "CRED-DEF-003",
           "PATCH of the default credential's authentication_type answers 200 but keeps it"),
    Defect("delete-default", "CRED-DEF-004",
           "the default credential can be deleted"),
    Defect("default-takes-addresses", "CRED-DEF-005",
           "the default credential accepts an initiator address list"),
    # --- SVM scoping ----------------------------------------------------------------------
    Defect("unknown-svm-wrong-code", "CRED-SVM-001",
           "writes naming an unknown SVM UUID answer code 4 instead of 2621462"),
    Defect("svm-name-uuid-mismatch", "CRED-SVM-002",
           "svm.uuid and svm.name naming different SVMs are accepted (uuid wins)"),
    Defect("no-svm-first-svm", "CRED-SVM-003",
           "a POST that names no SVM creates the record on the first SVM with the iSCSI service"),
    Defect("no-service-check", "CRED-SVM-004",
           "credentials can be created on an SVM without the iSCSI service"),
    Defect("cross-svm-lookup", "CRED-SVM-005",
           "a record is reachable through any SVM's UUID"),
    # --- create / update / delete ---------------------------------------------------------
    Defect("post-200", "CRED-POST-001", "POST answers 200 instead of 201"),
    Defect("no-location", "CRED-POST-002", "POST answers without a Location header"),
    Defect("auth-type-optional", "CRED-POST-003",
           "a POST without authentication_type is accepted and stored as none"),
    Defect("duplicate-wrong-code", "CRED-POST-004",
           "a duplicate POST answers 409 code 1 instead of 5374142"),
    Defect("post-ignores-return-records", "CRED-POST-005",
           "POST with return_records=true returns an empty body"),
    Defect("ignore-unknown-fields", "CRED-BODY-001",
           "unknown top-level properties of a POST body are ignored instead of refused"),
    Defect("patch-not-applied", "CRED-PATCH-001",
           "PATCH answers 200 but changes nothing"),
    Defect("delete-not-applied", "CRED-DEL-001",
           "DELETE answers 200 but keeps the record"),
    Defect("delete-across-svms", "CRED-STATE-001",
           "DELETE of an initiator also removes the same initiator from every other SVM"),
    # --- later releases (their rules apply from the release named in the catalog) ---------
    Defect("outbound-not-cleared", "CRED-CHAP-010",
           "PATCH with chap.outbound.user \"\" answers 200 but keeps the outbound credentials"),
    Defect("svm-in-patch-ignored", "CRED-PATCH-002",
           "an svm in a PATCH body is ignored instead of refused (9.15.1+)"),
    Defect("secret-in-url-accepted", "CRED-GET-003",
           "fields= naming a password, or a filter on one, is answered instead of refused"),
    Defect("bulk-patch-first-only", "CRED-PATCH-003",
           "a query-based PATCH of the collection changes the first matching record only"),
    Defect("bulk-delete-first-only", "CRED-DEL-002",
           "a query-based DELETE of the collection deletes the first matching record only"),
    Defect("long-chap-password", "CRED-CHAP-007",
           "CHAP passwords longer than 512 bytes are accepted"),
    Defect("return-timeout-unchecked", "CRED-LIST-009",
           "return_timeout outside 0..120 is accepted on the collection GET"),
    Defect("missing-wrong-code", "CRED-MISS-001",
           "PATCH/DELETE of a missing credential answer 409 with another rule's code (5374148, the "
           "default cannot be deleted) instead of 5374895"),
    Defect("missing-get-200", "CRED-MISS-002",
           "GET of a missing record answers 200 with an empty object"),
    # --- retrieval and query --------------------------------------------------------------
    Defect("stale-instance-get", "CRED-GET-001",
           "GET of one record returns the authentication_type it was created with"),
    Defect("fields-ignored", "CRED-GET-002",
           "the fields query parameter is ignored"),
    Defect("num-records-off-by-one", "CRED-LIST-001",
           "num_records is one more than the records returned"),
    Defect("list-hides-deny", "CRED-LIST-002",
           "a collection GET without filters omits the records of type deny"),
    Defect("filter-ignored", "CRED-LIST-003",
           "field filters on the collection are ignored"),
    Defect("wildcard-literal", "CRED-LIST-004",
           "query operators are ignored: every filter value is matched literally"),
    Defect("max-records-ignored", "CRED-LIST-005",
           "max_records is ignored: everything on one page, no next link"),
    Defect("return-records-ignored", "CRED-LIST-006",
           "return_records=false still returns the records"),
    Defect("order-by-ignored", "CRED-LIST-007",
           "order_by is accepted but the records are not sorted"),
    # --- response form --------------------------------------------------------------------
    Defect("error-code-integer", "CRED-ERR-001",
           "error.code is a JSON integer instead of a string"),
    Defect("self-link-string", "CRED-SCHEMA-001",
           "every record's _links.self is a plain string instead of {\"href\": ...}"),
    # --- wire details NetApp's clients rely on (observed) --------------------------------
    Defect("raw-colon-not-found", "CRED-WIRE-001",
           "a record path whose initiator carries a raw ':' (as NetApp's Ansible module sends "
           "it) answers 404; only %3A finds the record"),
    Defect("plain-text-content-type", "CRED-WIRE-002",
           "every /api answer is labelled Content-Type: text/plain"),
    Defect("self-link-without-svm", "CRED-WIRE-003",
           "each record's _links.self.href leaves out the SVM uuid segment"),
    # --- authentication and methods (observed) -------------------------------------------
    Defect("auth-not-required", "CRED-ACCESS-001",
           "requests without credentials, or with wrong ones, are served as the admin's"),
    Defect("readonly-may-write", "CRED-ACCESS-002",
           "the read-only user may write (POST, PATCH, DELETE) like the admin"),
    Defect("unsupported-method-404", "CRED-ACCESS-003",
           "a method the endpoint lacks (PUT) answers 404 instead of 405"),
    # --- sequence-only: each needs several requests before it shows ---------------------
    # state that outlives a delete
    Defect("recreate-restores-addresses", "CRED-POST-001",
           "a deleted credential created again without addresses gets the old address list back",
           sequence=True),
    Defect("deleted-still-listed", "CRED-LIST-002",
           "the first collection read that returns records after a DELETE still lists the deleted "
           "credential",
           sequence=True),
    # behaviour that changes once an SVM holds many records
    Defect("svm-credential-limit", "CRED-POST-001",
           "an SVM takes at most 10 credentials besides its default; the 11th POST is refused",
           sequence=True),
    Defect("filter-misses-late-records", "CRED-LIST-003",
           "collection filters look only at the first 10 records of the collection",
           sequence=True),
    Defect("order-by-ignored-past-ten", "CRED-LIST-007",
           "order_by is ignored once the collection holds more than 10 records",
           sequence=True),
    Defect("default-denied-when-busy", "CRED-DEF-002",
           "once an SVM holds 8 credentials besides its default, a default nobody changed turns "
           "to deny",
           sequence=True),
    # stale or cached reads
    Defect("list-cache-ignores-patch", "CRED-LIST-002",
           "the collection shows a PATCHed credential as it was before its first PATCH "
           "(GET of the record is right)", sequence=True),
    # paging over many records
    Defect("later-pages-overfull", "CRED-LIST-005",
           "from the third page on, a page holds max_records + 1 records", sequence=True),
    Defect("num-records-remaining-on-later-pages", "CRED-LIST-001",
           "from the third page on, num_records counts every record left from the offset, "
           "not the page's", sequence=True),
    # the n-th change of one record
    Defect("third-patch-not-applied", "CRED-PATCH-001",
           "the third and later PATCHes that set a credential's authentication_type answer 200 "
           "but change nothing (the default credential excepted)",
           sequence=True),
    Defect("remove-then-add-restores", "CRED-ADDR-008",
           "add_initiator_addresses=true also brings back the addresses removed before",
           sequence=True),
    # side effects on another SVM or on the default credential
    Defect("patch-reaches-twin", "CRED-STATE-001",
           "a PATCH to none or deny also changes the same initiator's record on the other SVMs "
           "(the default credential excepted)",
           sequence=True),
)

BY_NAME: dict[str, Defect] = {d.name: d for d in DEFECTS}


class UnknownDefect(ValueError):
    """A --defect name that is not in the table."""


class Defects:
    """The set of defects switched on for one emulator."""

    def __init__(self, names: list[str] | tuple[str, ...] = ()) -> None:
        unknown = [n for n in names if n not in BY_NAME]
        if unknown:
            raise UnknownDefect(
                f"unknown defect {unknown[0]!r}; see python -m emulator --list-defects")
        self.names: tuple[str, ...] = tuple(dict.fromkeys(names))

    def __contains__(self, name: str) -> bool:
        if name not in BY_NAME:  # a typo in the emulator itself must not pass silently
            raise KeyError(name)
        return name in self.names

    def as_list(self) -> list[str]:
        return list(self.names)
