"""Errors as a variant answers them: the other code or HTTP status the page leaves open.

Each function takes the error the emulator would answer by default and returns the one the
switched-on variants answer instead (the same object when none applies), so the rules of an
operation stay in state.py and validation.py, written once.
"""

from __future__ import annotations

from emulator.errors import OntapError
from emulator.validation import MAX_INITIATOR_BYTES
from emulator.variants import Variants

MISSING_CREDENTIAL = "5374895"
#: other-statuses: endpoint code -> the status this variant answers (the page gives none).
OTHER_STATUSES = {"5374142": 400, "2621462": 400, "5374078": 404, "5374148": 409}
#: The page's description of each initiator-name code (Create, ONTAP Error Response Codes).
NAME_MESSAGES = {
    "5373970": "The IQN prefix is invalid. The correct IQN prefix is \"iqn\". An example of a "
               "valid IQN is \"iqn.1995-08.com.example:string\".",
    "5373971": "The date field is invalid. A valid date field is \"yyyy-mm\". An example of a "
               "valid IQN is \"iqn.1995-08.com.example:string\".",
    "5373977": "The EUI-64 identifier field must be exactly 16 hexadecimal digits.",
    "5373978": "The EUI formatted initiator name supplied is invalid. A valid EUI format is "
               "\"eui.XXXXXXXXXXXXXXXX\", where X is a hexadecimal digit.",
    "5373997": "The initiator name supplied is invalid. The valid initiator name formats are "
               "\"iqn.1995-08.com.example:string\" or \"eui.0123456789abcdef\".",
}
#: alternate-name-codes: the default code -> the other one the page allows for the same name.
#: 5373997 is swapped only for a name that is neither iqn./eui.-prefixed nor too long.
OTHER_NAME_CODE = {"5373970": "5373997", "5373969": "5373971", "5373978": "5373977",
                   "5373977": "5373978", "5373997": "5373970"}


def missing_credential() -> OntapError:
    """missing-get-5374895: the endpoint's own "does not exist" code on a GET."""
    return OntapError(404, MISSING_CREDENTIAL, "The iSCSI security credential does not exist "
                      "on the specified SVM.", "initiator")


def reshape(exc: OntapError, method: str, variants: Variants) -> OntapError:
    """missing-write-code-4 and other-statuses, on any error a handler raised."""
    if (exc.error_code == MISSING_CREDENTIAL and method in ("PATCH", "DELETE")
            and "missing-write-code-4" in variants):
        return OntapError(404, "4", "entry doesn't exist", "uuid")  # the page's example error
    status = OTHER_STATUSES.get(exc.error_code)
    if status is not None and "other-statuses" in variants:
        return OntapError(status, exc.error_code, exc.message, exc.target, exc.arguments)
    return exc


def alternate_name_code(exc: OntapError, initiator: object, variants: Variants) -> OntapError:
    """alternate-name-codes: a POST's malformed initiator gets the other allowed code."""
    if "alternate-name-codes" not in variants or exc.target != "initiator" \
            or not isinstance(initiator, str):
        return exc
    other = OTHER_NAME_CODE.get(exc.error_code)
    if other is None:
        return exc
    if exc.error_code == "5373997" and (
            initiator.partition(".")[0].lower() in ("iqn", "eui")
            or len(initiator.encode("utf-8", "surrogatepass")) > MAX_INITIATOR_BYTES):
        return exc  # an iqn./eui. name or a name too long: not "neither IQN nor EUI"
    return OntapError(exc.http_status, other, NAME_MESSAGES.get(other, exc.message), "initiator")


def with_arguments(error: dict[str, object]) -> dict[str, object]:
    """error-arguments: the envelope's error with ``target`` and ``arguments`` always set."""
    out = dict(error)
    out.setdefault("target", "")
    if not out.get("arguments"):
        out["arguments"] = [{"code": str(error.get("code", "")),
                             "message": str(error.get("message", ""))}]
    return out

