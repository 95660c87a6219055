"""The entries of the project's reference as plain data (see ``models.references``).

Each entry is ``(id, title, text, source, certainty)``; the text is our own summary of the
source, never a copy. Abbreviations used in sources: "PCL" is NetApp's Python client library
``netapp-ontap`` on PyPI; "Ansible" is NetApp's collection ``netapp.ontap`` (module
``na_ontap_iscsi_security``); "Trident" is ``NetApp/trident``, whose REST bindings are generated
from ONTAP's own swagger; "getting started" is the page "Getting started with the ONTAP REST
API" of a release's REST reference; "ONTAP automation" is docs.netapp.com/us-en/ontap-automation.
"""

from __future__ import annotations

DOC, REC, CLI, INF = "documented", "recorded", "client-behaviour", "inferred"

#: Short names the sources use.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("PCL", "NetApp's Python client library, netapp-ontap on PyPI (9.10.1.0 and 9.19.1.0 read)"),
    ("Ansible", "NetApp's Ansible collection netapp.ontap, module na_ontap_iscsi_security"),
    ("Trident", "NetApp/trident, whose ONTAP REST bindings are generated from ONTAP's swagger"),
    ("Harvest", "NetApp/harvest, NetApp's metrics collector"),
    ("getting started", "the page 'Getting started with the ONTAP REST API' of a release's REST "
                        "API reference on docs.netapp.com"),
    ("ONTAP automation", "NetApp's ONTAP automation docs, docs.netapp.com/us-en/ontap-automation"),
    ("loopback stub", "a throw-away local HTTP server that logged what a client sent"),
)

ENTRIES: tuple[tuple[str, str, str, str, str], ...] = (
    # ---- URL, keys, path encoding ------------------------------------------------------------
    ("OB-1", "Collection and instance paths",
     "The collection lives at /api/protocols/san/iscsi/credentials and one record at "
     ".../credentials/{svm.uuid}/{initiator}. The SVM is a key of the record, not a segment of "
     "the collection path.",
     "PCL resources/iscsi_credentials.py (its key list is svm.uuid, initiator)", DOC),
    ("OB-2", "NetApp's Python client percent-encodes the path keys",
     "PCL encodes each key of an instance URL with quote_plus: ':' travels as %3A, a space as "
     "'+', '/' as %2F (for example .../credentials/<uuid>/iqn.1992-08.com.netapp%3Aa).",
     "PCL resource.py (instance location); requests logged by a loopback stub", CLI),
    ("OB-3", "NetApp's Ansible module sends the ':' of an IQN raw",
     "The Ansible module formats the instance path without encoding it, so clusters receive a "
     "raw ':'. Since both NetApp clients work, ONTAP accepts the key raw and as %3A.",
     "Ansible na_ontap_iscsi_security (delete/modify of an initiator)", REC),
    ("OB-4", "A '+' in a path key",
     "PCL turns a space into '+', but nothing shows whether ONTAP reads '+' in a path as a space. "
     "Valid IQNs hold no spaces, so this only matters for invalid names.",
     "inference from OB-2 and the IQN character set (code 5373972)", INF),
    ("OB-5", "Dotted keys in PCL 9.10.1",
     "PCL 9.19.1 accepts the SVM key as a dotted keyword (svm.uuid); PCL 9.10.1 silently dropped "
     "it and called .../credentials/<initiator> without the SVM. Passing svm={'uuid': ...} works "
     "in both.",
     "PCL 9.10.1 and 9.19.1 run against a loopback stub", CLI),
    ("OB-6", "Every iSCSI SVM has a record named default",
     "Each SVM with the iSCSI service holds a credentials record whose initiator is 'default'; a "
     "query initiator=default without an SVM filter returns one per SVM. Trident finds it with "
     "svm.uuid=<uuid>&initiator=default and then PATCHes .../{svm.uuid}/default.",
     "Ansible issue netapp.ontap #349; NetApp Harvest; Trident ontap_rest.go", REC),
    # ---- headers and body format -------------------------------------------------------------
    ("OB-7", "What NetApp's clients send",
     "PCL sends Accept: */*, its own X-Dot-Client-App header and pre-emptive basic "
     "authorization, and labels bodies application/json only on POST, PATCH and DELETE. Ansible "
     "sends X-Dot-Client-App naming the module.",
     "PCL requests logged by a loopback stub; Ansible module_utils/netapp.py (build_headers)", CLI),
    ("OB-8", "The Accept header decides the HAL links",
     "Asked for application/hal+json, ONTAP returns _links; asked for application/json it "
     "returns none of them except the link to the next page; for any other Accept value the "
     "response is still labelled application/hal+json.",
     "ONTAP automation: Input variables (request headers, Accept)", DOC),
    ("OB-9", "Response headers of a real cluster",
     "A recorded response carries Content-Type: application/hal+json, Server: libzapid-httpd, "
     "X-Content-Type-Options: nosniff and Cache-Control: no-cache,no-store,must-revalidate.",
     "debug log printed in the PCL README", REC),
    ("OB-10", "Pretty-printed JSON",
     "ONTAP indents its JSON answers by two spaces over several lines; the pretty query "
     "parameter switches this.",
     "raw log in Ansible issue #213 (ONTAP 9.12.1); getting started, query parameters", REC),
    ("OB-11", "An empty body on DELETE",
     "PCL always sends {} as the body of a DELETE. The generic error 262198 forbids a body on "
     "GET, HEAD and DELETE, yet NetApp's own client works, so ONTAP must take an empty object "
     "on DELETE.",
     "PCL resource.py (delete); getting started error table (262198); acceptance inferred", INF),
    ("OB-12", "SVM tunnelling headers",
     "The headers X-Dot-SVM-Name and X-Dot-SVM-UUID may stand in for svm.name / svm.uuid in the "
     "query or the body.",
     "getting started, SVM tunneling", DOC),
    # ---- status codes and the error body -----------------------------------------------------
    ("OB-13", "The error envelope",
     "Errors come as {\"error\": {\"message\", \"code\", \"target\", \"arguments\"}}; code is a "
     "JSON string of digits in every recorded sample (older docs draw it as an integer); target "
     "and arguments may be missing.",
     "PCL README log (code \"2\"); Ansible issue #191 (code \"5374035\"); getting started 9.9.1+", REC),
    ("OB-14", "Generic ONTAP codes and their HTTP statuses",
     "The general error table maps 1 to 409 (duplicate), 2 to 400 (invalid, missing or extra "
     "field), 3 to 405 (operation not supported), 4 to 404 (entry not found), 6 to 403 "
     "(permission denied), 7 to 429 or 503 and 8 to 409 or 503; the general request codes "
     "(262177, 262179, 262185, 262186, 262188, 262196 to 262199 and others) are 400, and "
     "65541, 65552, 65562 and 262145 are 500. One ONTAP automation page lists 4 as 405, but recorded answers show 404.",
     "getting started 9.9.1 and 9.11.1 (error table); ONTAP automation interpret_api_response; "
     "Ansible fixtures for 404", DOC),
    ("OB-15", "The recorded not-found answer",
     "Recorded lookups of missing objects answer 404 with code \"4\", message \"entry doesn't "
     "exist\", target uuid, the same body as this endpoint's doc example. Harvest names code 4 "
     "EntryNotExist and code 3 APINotFound (an unknown path).",
     "Ansible unit fixtures (qtree, quotas, vserver_peer); Harvest pkg/errs/ontap.go", REC),
    ("OB-16", "A malformed path key answers 404 with code 2",
     "GET /api/storage/volumes/1 answered 404 with code \"2\" (\"1\" is an invalid value for "
     "field uuid), not 400. A malformed svm.uuid segment of this endpoint probably gets the same.",
     "PCL README log; the extension to this endpoint is inferred", REC),
    ("OB-17", "A bad name in fields=",
     "An unknown field in fields= answered 400 with code 262197 (target fields) on an ONTAP "
     "cluster; from 9.11.1, ignore_unknown_fields=true silences it.",
     "public FSx for ONTAP example (private CLI passthrough); getting started 9.11.1", REC),
    ("OB-18", "General 400 codes a target may use",
     "262179 unexpected argument, 262196 field cannot be set in this operation, 262202 field is "
     "secret and may not be in the URL (9.11.1 table), 262211 no filtering on POST, 262248 value "
     "without an assignment operator, 262286 unbalanced braces in fields=, 262268 field not "
     "allowed in order_by. All are 400.",
     "getting started 9.11.1 (error table)", DOC),
    ("OB-19", "The recorded 403 body",
     "A refused call of a user without the right answered {\"error\": {\"code\": \"6\", "
     "\"message\": \"not authorized for that command\"}}.",
     "comment in Ansible na_ontap_rest_info.py", REC),
    ("OB-20", "401 and its unknown body",
     "401 means the user could not be authenticated. No recorded 401 body is public and NetApp's "
     "clients look only at the status, so the body is not judged.",
     "getting started (401); Harvest and Ansible error handling", DOC),
    ("OB-21", "Busy cluster answers",
     "429 (with Retry-After) and 503 mean the request queue is full; 502 means the application "
     "cannot be reached for now.",
     "getting started 9.11.1", DOC),
    ("OB-22", "Writes of this endpoint are synchronous",
     "POST answers 201 Created, PATCH and DELETE 200, with no job; synchronous operations ignore "
     "return_timeout, and a 201 carries the Location of the new resource.",
     "9.10.1 page (responses); getting started, synchronous and asynchronous operations", DOC),
    ("OB-23", "return_records defaults",
     "return_records is true by default for GET and false for every other method; a POST with "
     "return_records=true answers {\"num_records\": 1, \"records\": [...]}.",
     "getting started, records", DOC),
    # ---- error codes of this endpoint ---------------------------------------------------------
    ("OB-24", "The endpoint's codes are the same from 9.8 to 9.19.1",
     "The swagger-generated bindings list the same endpoint codes in every release: POST 19 "
     "codes, PATCH (instance and collection) 12, DELETE (instance and collection) 5, GET none "
     "beyond the generic ones; all already in the 9.10.1 page. The PATCH and DELETE lists are "
     "shared by the instance and the collection operations.",
     "Trident client/s_a_n/iscsi_credentials_*_responses.go at its 9.8, 9.10.1 and 9.19.1 bindings", DOC),
    ("OB-25", "No HTTP status per endpoint code",
     "NetApp gives endpoint codes under a 'default' response with no status. For the CLI "
     "passthrough NetApp maps codes to the closest status, 500 when none fits, and a KB shows a "
     "duplicate answered 409. Likely: 5374142 409, 5374895 404, 2621462 404 or 400, validation "
     "codes 400 (unverified).",
     "getting started; NetApp KB on HTTP 409 for export policy rules; mapping inferred", INF),
    # ---- field semantics -------------------------------------------------------------------
    ("OB-26", "authentication_type is read in any case and returned in lowercase",
     "The values are chap, none and deny. NetApp's own POST example sends \"CHAP\" and Trident "
     "PATCHes the default with \"CHAP\" against real clusters; GET returns \"chap\". The general "
     "rule of the REST API: enumerations are output in lowercase and CLI or ONTAPI spellings are "
     "accepted on input.",
     "9.10.1 page example; Trident ontap_common.go and ontap_rest.go; getting started", REC),
    ("OB-27", "PCL checks enumerations before sending",
     "PCL lowercases both sides and refuses an unknown authentication_type locally, so negative "
     "tests must use raw HTTP or switch PCL's validation off.",
     "PCL validations.py, run against a loopback stub", CLI),
    ("OB-28", "CHAP user names are 1 to 128 bytes",
     "A CHAP user name may not be empty and holds at most 128 bytes; the swagger has minLength 1 "
     "and maxLength 128 from 9.8 to 9.19.1.",
     "ONTAP CLI vserver iscsi security create/modify/default; SAN administration (CHAP); Trident "
     "models", DOC),
    ("OB-29", "CHAP passwords are 1 to 512 bytes",
     "A CHAP secret may not be empty and holds at most 512 bytes; it is a string (special "
     "characters, non-English letters, digits and spaces allowed) or 0x/0X with an even number "
     "of hex digits (else 5374145). The swagger adds maxLength 512 by 9.16.1.",
     "SAN administration, CHAP authentication; Trident models at 9.10.1 and 9.16.1", DOC),
    ("OB-30", "Equal passwords are refused, equal user names probably not",
     "The CLI forbids the same password inbound and outbound (5374147); the SAN guide also "
     "mentions the user name, but only the password clash has a code.",
     "ONTAP CLI; SAN administration; user names inferred", DOC),
    ("OB-31", "Which CHAP combinations are refused",
     "Outbound needs inbound; an outbound user without a password is 5374150; CHAP without "
     "inbound user and password is 5374149; any chap property with none or deny is 5374900.",
     "9.10.1 page overview and error tables", DOC),
    ("OB-32", "Clearing outbound CHAP with an empty user (9.11.1 on)",
     "From the 9.11.1 reference on, a PATCH with chap.outbound.user set to \"\" clears the "
     "outbound credentials. The 9.9.1 and 9.10.1 pages and PCL 9.10.1 do not say so, and the "
     "schema keeps minLength 1.",
     "REST reference 9.11.1 vs 9.9.1; PCL 9.19.1 models", DOC),
    ("OB-33", "Passwords are write-only; users are returned",
     "Passwords never appear in GET output, fields=* included; chap.inbound.user and "
     "chap.outbound.user do. A fixture shows a CHAP record with an empty chap object.",
     "9.10.1 page; Ansible fixture get_initiator_no_user", DOC),
    ("OB-34", "A PATCH of chap may need authentication_type",
     "Ansible adds authentication_type: chap to every PATCH that carries chap, noting that the "
     "PATCH fails without it; Trident also always sends both. The error is not recorded, so "
     "neither outcome is relied on.",
     "Ansible commit 69a72baa (modify_initiator); Trident ontap_rest.go", REC),
    ("OB-35", "The Ansible note on unchangeable passwords is stale",
     "Ansible's documentation says CHAP passwords cannot be modified; the REST page (passwords "
     "are patchable) and the CLI say otherwise. Treated as a note from the ZAPI era.",
     "Ansible module documentation vs 9.10.1 page and CLI", DOC),
    ("OB-36", "The default record",
     "It is created with the iSCSI service with authentication type none, cannot be deleted "
     "(5374148) and takes no initiator address list (5374155).",
     "9.10.1 page", DOC),
    ("OB-37", "How address ranges come back",
     "A single address is a range with start equal to end; GET adds family (ipv4/ipv6) to every "
     "range and mask; later examples send no family on input.",
     "Ansible fixtures; 9.10.1 page example; 9.11.1 examples", DOC),
    ("OB-38", "Netmasks",
     "A netmask is given as a length or a dotted IPv4 mask and always returned as a length; IPv6 "
     "defaults to 64 within 1 to 127.",
     "9.10.1 page (ip_info); CLI vserver iscsi security show", DOC),
    ("OB-39", "PATCH replaces the address list",
     "initiator_address in a PATCH replaces the list unless add_initiator_addresses=true (merge) "
     "or remove_initiator_addresses=true (remove).",
     "9.10.1 page (Update iSCSI credentials)", DOC),
    ("OB-40", "What is patchable",
     "PCL lists authentication_type, chap and initiator_address as patchable, not initiator; "
     "POST also takes initiator and svm. 9.19.1 says svm cannot be given in a PATCH (see OB-67 "
     "for earlier releases).",
     "PCL IscsiCredentialsSchema 9.10.1 and 9.19.1", DOC),
    ("OB-41", "Query-based and record-based bulk operations",
     "PATCH and DELETE of a collection with a query (at least one field) exist for every "
     "collection; record-based bulk operations run as jobs (202). The 9.19.1 bindings have "
     "collection PATCH and DELETE for this endpoint.",
     "getting started 9.9.1 and 9.11.1; Trident bindings; PCL 9.10.1", DOC),
    # ---- initiator names ---------------------------------------------------------------------
    ("OB-42", "The accepted initiator name shapes",
     "The error texts define them: the iqn prefix (5373970), a yyyy-mm date (5373971), a "
     "non-empty qualifier (5373969), only a-z 0-9 . : - after the date (5373972), eui. plus "
     "exactly 16 hex digits (5373977, 5373978), anything else 5373997. Dashes are allowed, "
     "underscores not.",
     "9.10.1 page (error tables); NetApp KB on host IQN naming", DOC),
    ("OB-43", "iSCSI names are at most 223 bytes",
     "RFC 3720 (and RFC 7143) cap an iSCSI name at 223 bytes of UTF-8; the RFC's stringprep "
     "profile folds names to lowercase. NetApp gives no maximum for this field; PCL limits the "
     "igroup initiator name to 96 characters.",
     "RFC 3720 section 3.2.6, RFC 3722; PCL igroup_initiator.py", DOC),
    ("OB-44", "ONTAP folds IQNs to lowercase (igroups)",
     "An ONTAP 9.11.1P8 answer quoted an IQN sent with capitals in lowercase, and accepted an "
     "IQN without the :string part. That credentials do the same is inferred.",
     "Ansible issue #191; credentials inferred", REC),
    ("OB-45", "Example names",
     "The CLI examples use iqn.1995-08.com.example:string; the REST examples use "
     "iqn.1992-08.com.netapp:initiator1 and eui.0123456789abcdef.",
     "ONTAP CLI reference; 9.10.1 page", DOC),
    # ---- query syntax ------------------------------------------------------------------------
    ("OB-46", "Query operators",
     "A filter is <field>=<query> on any field, dotted ones included. Queries use * (wildcard), "
     "< > <= >=, a..b ranges, ! (not), | (or), null and !null, and quoting with \"...\" or {...}. "
     "Enumerations compare alphabetically; unset fields generally do not match.",
     "getting started, record filtering; ONTAP automation input_variables", DOC),
    ("OB-47", "Cross-field search",
     "GET takes query_fields=a,b (or *) with query=... (* wildcard, | or, space and); its errors "
     "262272 to 262277 are 400.",
     "getting started", DOC),
    ("OB-48", "fields=",
     "fields is a comma-separated list; dotted sub-fields, whole objects, braces "
     "(svm.{name,uuid}), exclusions (!b.c), * (what an instance GET returns) and ** are allowed. "
     "Without fields a collection returns only the keys and a self link per record.",
     "getting started, requesting specific fields", DOC),
    ("OB-49", "order_by=",
     "order_by=<field> [asc|desc][,...]; the space must be encoded (%20 or +).",
     "getting started 9.11.1", DOC),
    ("OB-50", "Pages and the next link",
     "max_records caps a page, return_timeout (0 to 120 s, 15 for GET) caps its time; a page "
     "cut short carries _links.next (a start.<key>=... query) and a Link header, possibly even "
     "when no record is left; with return_records=false num_records may be partial and must be "
     "summed over the next links.",
     "getting started, records and pagination", DOC),
    ("OB-51", "The collection body",
     "{\"records\": [...], \"num_records\": N, \"_links\": {\"self\", \"next\"}}; self echoes "
     "the request; an empty match is 200 with records [] and num_records 0.",
     "9.10.1 page example; Ansible issue #213 (recorded)", REC),
    ("OB-52", "Clients follow next links verbatim",
     "PCL, Harvest and Ansible page by requesting _links.next.href as given; Harvest also stops "
     "when the link repeats.",
     "PCL, Harvest and Ansible source", REC),
    ("OB-53", "Booleans in queries may be capitalised",
     "NetApp's generated examples pass Python booleans, which reach the wire as True/False "
     "(add_initiator_addresses=True was seen), so ONTAP takes them.",
     "PCL docstrings and a loopback stub; acceptance inferred", CLI),
    # ---- netapp-ontap client internals -------------------------------------------------------
    ("OB-54", "PCL needs Location on a 201",
     "PCL reads the last two segments of Location as svm.uuid and initiator; without it the "
     "create is treated as an action, hydrate is skipped and svm.uuid stays unset.",
     "PCL resource.py (post, set keys from location)", DOC),
    ("OB-55", "What PCL's POST sends",
     "No return_records; only postable fields; post(hydrate=True) then GETs the instance with "
     "fields=*.",
     "PCL against a loopback stub", CLI),
    ("OB-56", "What PCL's PATCH sends",
     "Only the fields changed since the last GET or POST; None becomes JSON null; query keywords "
     "such as add_initiator_addresses go in the query string.",
     "PCL resource.py; loopback stub", DOC),
    ("OB-57", "Jobs in PCL",
     "A response is a job only when its body has job._links.self.href; a 202 without it is an "
     "error; 200/201 without a job return at once, an empty body is fine.",
     "PCL utils.poll", DOC),
    ("OB-58", "Errors in NetApp's clients",
     "PCL raises on any status from 400 and exposes status, parsed body and text; Ansible reads "
     "response.json()['error'] and treats an error key in a 2xx body as a failure.",
     "PCL error.py; Ansible netapp.py", DOC),
    ("OB-59", "PCL's find, count and paging",
     "find() adds fields=* and wants at most one record; count_collection() sends "
     "return_records=false and reads num_records; get_collection(max_records=n) follows the next "
     "links with no extra parameters.",
     "PCL against a loopback stub", CLI),
    ("OB-60", "PCL re-encodes queries",
     "PCL percent-encodes * , | : ! < > and spaces, keeps only the last of repeated keys and drops "
     "empty values; targets must decode before reading ONTAP query syntax.",
     "PCL host_connection.py; loopback stub", CLI),
    ("OB-61", "PCL retries",
     "Connection errors are retried five times without backoff; with RETRY_API_ON_ERROR, 429 and "
     "5xx are retried on GET and PATCH; timeouts are 6 s to connect and 45 s to read.",
     "PCL host_connection.py and config.py", DOC),
    # ---- swagger documents -------------------------------------------------------------------
    ("OB-62", "Each cluster serves its API docs",
     "A cluster serves its Swagger UI at https://<mgmt-ip>/docs/api; the path of the underlying "
     "YAML is not confirmed.",
     "ONTAP automation, API reference", DOC),
    ("OB-63", "Trident carries ONTAP's full swagger",
     "Trident commits swagger_full.yaml for ONTAP 9.8 (2021-03), 9.9, 9.10.1 (commit ee35fe3b), "
     "9.12.1, 9.16.1, 9.17.1 and 9.19.1, with Go bindings generated from each.",
     "NetApp/trident storage_drivers/ontap/api/rest", DOC),
    ("OB-64", "NetApp's doc sources",
     "NetAppDocs publishes the unified reference and per-release sources for 9.9.1, 9.11.1, "
     "9.15.1 and 9.17.1; no 9.10.1 source repository was found.",
     "NetAppDocs/ontap-restapi repositories", DOC),
    # ---- what changed after 9.10.1 -----------------------------------------------------------
    ("OB-65", "9.11.1: an empty outbound user clears outbound CHAP",
     "From 9.11.1 the docs say a PATCH with chap.outbound.user \"\" clears outbound CHAP (OB-32); "
     "what a 9.10.1 target answers to it is not documented.",
     "REST reference 9.11.1; PCL and Trident bindings", DOC),
    ("OB-66", "9.12.1: Location declared on the 201",
     "The 9.12.1 swagger declares a Location header on the POST 201; it was not declared in "
     "9.10.1, though PCL 9.10.1 already depends on it (OB-54).",
     "Trident swagger and bindings 9.12.1", DOC),
    ("OB-67", "9.15.1: svm is no longer patchable",
     "PCL 9.10.1 to 9.14.1 list svm.name and svm.uuid as patchable; 9.15.1 and later do not, and "
     "9.16.1 says svm cannot be given in a PATCH. The error for it is not documented here; the "
     "generic 262203 (field not allowed in a PATCH body, 400) is likely.",
     "PCL 9.10.1 to 9.19.1; REST reference 9.16.1; error inferred", DOC),
    ("OB-68", "9.15.1: statuses for SVM errors",
     "The 9.15.1 general error table gives 400 for 2621462 (no such SVM) and 2621706 (different "
     "SVMs), and adds 262203, 262249 (not readable in fields=) and 262250 (not queryable); a later "
     "copy drops the SVM rows again, so 404 stays allowed.",
     "getting started 9.15.1 and later", DOC),
    ("OB-69", "9.15.1: dot segments are resolved",
     "Unencoded . and .. path segments are resolved before routing (RFC 3986 5.2.4); tests must "
     "send %2E%2E and never a raw .. to a live cluster.",
     "getting started 9.15.1", DOC),
    ("OB-70", "9.16.1: password length and collection operations",
     "CHAP passwords get maxLength 512; collection PATCH and DELETE become explicit operations "
     "(the field filters, continue_on_failure, serial_records, return_timeout, return_records, "
     "and the add/remove switches for PATCH) with the instance codes and only 200 declared.",
     "REST reference 9.16.1; Trident bindings 9.16.1", DOC),
    ("OB-71", "Releases with no change to this endpoint",
     "9.13.1, 9.14.1, 9.17.1, 9.18.1 and 9.19.1 change nothing here (9.18.1 only tags passwords "
     "format: password). ASA r2 systems expose another REST personality.",
     "PCL and Trident bindings per release", DOC),
    ("OB-72", "return_timeout",
     "0 to 120 s in every release; the default is 15 s when iterating a collection (GET) and 0 "
     "for other methods. The 'Default value: 1' of the 9.10.1 table is a rendering slip.",
     "PCL and Trident bindings; getting started", DOC),
    ("OB-73", "The release of a cluster",
     "/api/cluster gives version.full (\"NetApp Release 9.10.1: ...\") and version.generation, "
     "major and minor; NetApp's Ansible collection gates features on the three numbers.",
     "REST reference (cluster); Ansible module_utils", DOC),
    # ---- more real behaviour ----------------------------------------------------------------
    ("OB-74", "An empty outbound object means no outbound credentials",
     "Trident PATCHes default with chap.inbound set and chap.outbound {} against real clusters, "
     "so an empty outbound object must not be refused as an outbound user without password.",
     "Trident ontap_rest.go (IscsiInitiatorSetDefaultAuth)", REC),
    ("OB-75", "How NetApp's Ansible module talks to the endpoint",
     "It sends the IQN's ':' raw in PATCH/DELETE paths, finds records with "
     "fields=*&initiator=<name> (no SVM filter), adds authentication_type: chap to PATCHes with "
     "chap, replaces whole range lists, may send an inbound password of null, and uses HTTPS only.",
     "Ansible module source; run against an emulator", DOC),
    ("OB-76", "Absent sub-objects are omitted",
     "In NetApp's fixtures a none record has no chap and no initiator_address key at all (not "
     "null).",
     "Ansible unit fixtures", REC),
    ("OB-77", "What a bare collection GET returns",
     "Recorded for CIFS shares: svm (uuid, name, _links), the key field and _links per record; "
     "for credentials this is inferred by analogy (OB-48).",
     "recorded CIFS share listing (2025); credentials inferred", REC),
    ("OB-78", "Keys in hrefs are percent-encoded",
     "A recorded _links.self.href encodes c$ as c%24, and a documented 201 carries an encoded "
     "Location; hrefs must be compared after percent-decoding (':' as %3A is likely).",
     "recorded share listing; REST reference example", REC),
    ("OB-79", "More headers of real answers",
     "Content-Security-Policy, Vary: Accept-Encoding,Origin, an X-Dot-Ttag trace tag that differs "
     "per request, chunked transfer on large bodies; a synchronous 201 has Content-Length 3 (an "
     "empty object) unless return_records=true.",
     "recorded responses; getting started", REC),
    ("OB-80", "No public emulator of this API",
     "NetApp's projects (Trident, Ansible, Terraform, Harvest, Cinder) test with in-process doubles "
     "of their own clients, some unfaithful (one returns passwords in GET); a certified emulator is "
     "a user's private mock, so the suite assumes only the cluster, SVM, iSCSI service and "
     "credentials endpoints.",
     "source of those projects", DOC),
    # ---- NetApp's general REST API documentation (looked up for the project) -----------------
    ("OB-81", "Every call is authenticated with HTTP basic authentication",
     "Each request to the ONTAP REST API carries an Authorization header with basic "
     "authentication (the user name and password, base64-encoded); a first call needs the "
     "credentials of an account allowed to use the REST API.",
     "ONTAP automation: Input variables (request headers, Authorization), "
     "docs.netapp.com/us-en/ontap-automation/rest/input_variables.html; Your first ONTAP REST API "
     "call, .../get-started/first_call.html", DOC),
    ("OB-82", "The HTTP statuses of the REST API",
     "200 success without a new object; 201 object created; 202 job started; 400 input not "
     "recognised or inappropriate; 401 user authentication failed; 403 access denied by an "
     "authorization (RBAC) error; 404 the resource does not exist; 405 the method is not "
     "supported for the resource; 409 conflict (already exists, or something must exist first); "
     "500 internal error.",
     "ONTAP automation: Interpreting an API response, "
     "docs.netapp.com/us-en/ontap-automation/rest/interpret_api_response.html", DOC),
    ("OB-83", "REST roles: privileges of a path and an access level",
     "A role is a set of privileges, each naming an API path and the access level granted on it; "
     "roles are assigned to accounts and applied to every access decision. In 9.10.1 a REST "
     "role's access to a path is none, readonly or all (all by default); later releases add "
     "read_create, read_modify and read_create_modify.",
     "ONTAP automation: Overview of RBAC security (rest/rbac_overview.html); ONTAP 9.10.1 CLI "
     "security login rest-role create (docs.netapp.com/us-en/ontap-cli-9101/"
     "security-login-rest-role-create.html); 9.11.1 CLI rest-role modify", DOC),
    ("OB-84", "A readonly role may only GET",
     "The access level decides the HTTP methods: all allows every method, readonly only GET, "
     "none nothing. A POST, PATCH or DELETE by an account whose role is readonly on the path is "
     "therefore an authorization error, which the REST API answers with 403 (OB-82; code 6, "
     "OB-14).",
     "ONTAP 9 REST API Developer's Guide (docs.netapp.com/ontap-9, com.netapp.doc.dot-rest-api), "
     "Security using RBAC (access levels; the same text is in the partner edition at "
     "pubs.lenovo.com/rest_api_developers_guide); with OB-82", DOC),
    ("OB-85", "A created object's URL comes back in Location",
     "Each object gets an identifier when it is created; the response to the creating call "
     "carries the object's URL, with that identifier, in its Location header, and a synchronous "
     "create answers 201.",
     "ONTAP automation: Operational characteristics (object identifiers, synchronous "
     "processing), rest/operational_characteristics.html; Interpreting an API response "
     "(Location)", DOC),
    ("OB-86", "HAL links and the response media type",
     "The API links related resources through HAL: records and collections carry _links (self, "
     "and next for a page cut short) and responses are normally application/hal+json. An Accept "
     "of application/json drops the HAL links except next; other Accept values still get HAL.",
     "ONTAP automation: Input variables (Accept), Interpreting an API response (Content-type, "
     "HAL links); getting started overview (hyperlinking with application/hal+json)", DOC),
    ("OB-87", "Filtering a GET by any attribute",
     "A GET can filter on any attribute with <field>=<value>; besides equality the operators are "
     "< > <= >=, | (or), ! (not) and * (wildcard), and null / !null ask whether a field is set. "
     "Fields that are not set are generally left out of matches.",
     "ONTAP automation: Input variables (filtering objects), rest/input_variables.html", DOC),
    ("OB-88", "Collections, default fields and paging",
     "A collection GET usually returns only the identifying properties of each record unless "
     "fields= asks for more; results are paged by a number of records or a number of seconds, and "
     "a page cut short links to the rest; PATCH and DELETE by query exist for every collection.",
     "getting started overview (ONTAP 9.9.1 and 9.11.1 REST references)", DOC),
    ("OB-89", "The 9.9.1 page spells the end-of-range filter with a dot",
     "The 9.9.1 reference's 'Retrieve iSCSI credentials' lists the filter "
     "initiator_address.ranges.end, spelled like the property and the other address filters.",
     "docs.netapp.com/us-en/ontap-restapi-991/ontap/get-protocols-san-iscsi-credentials.html", DOC),
    ("OB-90", "Other releases draw masks and ranges as arrays",
     "The 9.9.1 and 9.15.1 pages of 'Retrieve specific iSCSI credentials' print "
     "initiator_address.masks and .ranges in the example response as arrays of objects, as the "
     "definitions type them; the 9.10.1 page prints single objects.",
     "docs.netapp.com/us-en/ontap-restapi-991/get-protocols-san-iscsi-credentials-.html; "
     ".../ontap-restapi-9151/get-protocols-san-iscsi-credentials-.html", DOC),
    ("OB-91", "Other pages draw the error arguments as an array",
     "Elsewhere in NetApp's REST reference the example error prints arguments as an array of "
     "{code, message} objects (for example the 9.8 page of GET "
     "/security/roles/{owner.uuid}/{name}/privileges/{path}).",
     "docs.netapp.com/us-en/ontap-restapi-98/ontap/get-security-roles--privileges-.html", DOC),
    ("OB-92", "Other releases leave initiator and _links out of the PATCH body",
     "The 9.9.1 'Update iSCSI credentials' page lists the request body as authentication_type, "
     "chap, initiator_address and svm, with no initiator and no _links; the current page drops "
     "svm as well.",
     "docs.netapp.com/us-en/ontap-restapi-991/patch-protocols-san-iscsi-credentials-.html; "
     "docs.netapp.com/us-en/ontap-restapi/patch-protocols-san-iscsi-credentials-.html", DOC),
    ("OB-93", "JSON request bodies are labelled application/json",
     "When a request body holds JSON, its Content-Type header must be application/json.",
     "ONTAP automation: Input variables (request headers, Content-type)", DOC),
    # ---- open questions --------------------------------------------------------------------
    ("OQ-1", "Which HTTP status goes with each endpoint code",
     "Expected, never seen recorded: 5374142 409, 5374895 404, 2621462 404 or 400, 5374078 400, "
     "404 or 409, initiator name codes 400. The model allows any 4xx.",
     "no recording or document settles it", INF),
    ("OQ-2", "The answer to a GET of a missing record",
     "Generic code \"4\" (entry doesn't exist, target initiator or uuid) or the endpoint's "
     "5374895? The page's example error is the generic one; the model allows both.",
     "no recording or document settles it", INF),
    ("OQ-3", "The body of a 401",
     "JSON error, HTML or empty, and whether WWW-Authenticate: Basic is sent, is unknown.",
     "no recording or document settles it", INF),
    ("OQ-4", "The exact Location of a 201",
     "Its form and whether the initiator in it is percent-encoded are unknown; it is compared "
     "after percent-decoding.",
     "no recording or document settles it", INF),
    ("OQ-5", "Case of credentials initiators",
     "Whether this endpoint folds initiator names to lowercase (as igroups do, OB-44), lowercases "
     "EUI digits, and matches a differently cased IQN in a path is unknown.",
     "no recording or document settles it", INF),
    ("OQ-6", "Maximum initiator length",
     "The RFC says 223 bytes; ONTAP documents none for this field (igroup names stop at 96).",
     "no recording or document settles it", INF),
    ("OQ-7", "IQNs without a string part, and naa. names",
     "Whether an IQN with no :string part is accepted here (it was for igroups) and whether naa. "
     "names get 5373997 is unknown.",
     "no recording or document settles it", INF),
    ("OQ-8", "Clearing outbound CHAP in detail",
     "What must accompany chap.outbound.user \"\" (no password or \"\" too), and whether GET then "
     "omits chap.outbound or returns {}, is unknown.",
     "no recording or document settles it", INF),
    ("OQ-9", "A chap-only PATCH on a non-CHAP record",
     "The exact error for a PATCH carrying chap but no authentication_type on a record that is "
     "not CHAP is unknown (OB-34).",
     "no recording or document settles it", INF),
    ("OQ-10", "Switching from CHAP to none",
     "Whether stored CHAP users are dropped or the call is refused when a PATCH sets none on a "
     "CHAP record (5374900 applies only to chap in the body) is unknown; the model keeps both.",
     "no recording or document settles it", INF),
    ("OQ-11", "Passwords in a POST with return_records=true",
     "They should not be returned; no recording shows it.",
     "no recording or document settles it", INF),
    ("OQ-12", "JSON null for optional fields",
     "Whether POST or PATCH accept null for optional fields, and what comes back, is unknown.",
     "no recording or document settles it", INF),
    ("OQ-13", "Comparing hex passwords for 5374147",
     "Whether 0xABCD and 0xabcd (or the string \"0xabcd\") count as the same secret is unknown; "
     "the model allows both answers.",
     "no recording or document settles it", INF),
    ("OQ-14", "ignore_unknown_fields and the Link header in 9.10.1",
     "Both are documented in other releases (Link in 9.9.1, ignore_unknown_fields in 9.11.1); "
     "whether 9.10.1 honours them is unknown.",
     "no recording or document settles it", INF),
    ("OQ-15", "Default page size and next link of this collection",
     "The default max_records used for this small collection and the exact form of its next "
     "href (start.svm.uuid=...&start.initiator=...?) are unknown; clients treat the href as "
     "opaque.",
     "no recording or document settles it", INF),
)
