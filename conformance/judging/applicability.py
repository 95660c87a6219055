"""Which rules a target cannot judge, and why (they are reported ``not_applicable``).

A rule is not applicable when judging it would need something the run may not do or does
not have: changing an SVM's ``default`` credential without the user's opt-in, a second
SVM, an SVM without the iSCSI service, or the documented starting state of a default on a
cluster where it may have been changed long ago.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.releases import release_text
from models.rules import RULES

NEEDS_DEFAULT_CHANGES = ("changing (and restoring) the default credential needs "
                         "--allow-default-changes and a default of type none or deny")


def not_applicable(target: Any) -> dict[str, str]:
    """Rule ID -> reason, for the rules this target cannot judge."""
    reasons: dict[str, str] = {}
    for rule in RULES:
        if not rule.applies_to(target.release):
            reasons[rule.id] = (f"documented from ONTAP {rule.since}; the run judges against "
                                f"ONTAP {release_text(target.release)}")
    if target.kind != "emulator":
        reasons["CRED-DEF-002"] = ("a live target's default credential may have been changed since "
                                   "its iSCSI service was created; its starting state is unknown")
    if not any(target.default_changeable(svm.uuid) for svm in target.iscsi_svms):
        for rule_id in ("CRED-DEF-003", "CRED-DEF-004", "CRED-DEF-005"):
            reasons[rule_id] = NEEDS_DEFAULT_CHANGES
    if target.kind != "emulator" and not target.config.allow_collection_writes:
        for rule_id in ("CRED-PATCH-003", "CRED-DEL-002"):
            reasons[rule_id] = ("a query-based write of the collection could reach other clients' records "
                                "if the target mis-filtered; opt in with --allow-collection-writes")
    if getattr(target, "readonly", None) is None:
        reasons["CRED-ACCESS-002"] = ("needs a read-only account: set ONTAP_READONLY_USERNAME and "
                                      "ONTAP_READONLY_PASSWORD in the environment")
    if len(target.svms) < 2:
        reasons["CRED-SVM-002"] = "needs two SVMs (name a second one with --svm)"
        reasons["CRED-SVM-005"] = "needs two SVMs (name a second one with --svm)"
    if all(svm.iscsi for svm in target.svms):
        reasons["CRED-SVM-004"] = "needs an SVM without the iSCSI service (name one with --svm)"
    return reasons


def require(target: Any, rule_id: str) -> None:
    """Skip the calling test when its rule is not applicable to the target."""
    reason = not_applicable(target).get(rule_id)
    if reason:
        pytest.skip(f"{rule_id} not applicable: {reason}")
