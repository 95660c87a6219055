from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from models.records import DEFAULT_INITIATOR
from tests.models.helpers import (
    NO_ISCSI,
    SVM1,
    SVM2,
    commit_success,
    contains_password,
    fresh_model,
)
from tests.models.strategies import address_lists, initiators, valid_settings

ISCSI_SVMS = (SVM1, SVM2)


class CredentialsMachine(RuleBasedStateMachine):
    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        self.model = fresh_model()

    def _held(self) -> set[tuple[str, str]]:
        return self.model.keys()

    @rule(target=keys, svm=st.sampled_from(ISCSI_SVMS), initiator=initiators,
          settings_=valid_settings(), addresses=st.none() | address_lists,
          by_uuid=st.booleans())
    def create(self, svm, initiator, settings_, addresses, by_uuid):
        ref = {"uuid": svm.uuid} if by_uuid else {"name": svm.name}
        body = {"svm": ref, "initiator": initiator, **settings_}
        if addresses:
            body["initiator_address"] = addresses
        expectation = self.model.create(body)
        if (svm.uuid, initiator) in self._held():
            assert expectation.must_fail
            assert any(o.codes and "5374142" in o.codes for o in expectation.outcomes)
        else:
            assert [o.success for o in expectation.outcomes] == [True]
            commit_success(self.model, expectation)
        return (svm.uuid, initiator)

    @rule(key=keys, settings_=valid_settings())
    def update_settings(self, key, settings_):
        expectation = self.model.update(*key, settings_)
        if key not in self._held():
            assert expectation.must_fail
            return
        assert expectation.success is not None, expectation.describe()
        commit_success(self.model, expectation)
        for version in self.model.versions(*key):
            assert version.authentication_type == settings_["authentication_type"].lower()

    @rule(key=keys, addresses=address_lists,
          mode=st.sampled_from([None, "add_initiator_addresses", "remove_initiator_addresses"]))
    def update_addresses(self, key, addresses, mode):
        params = {mode: "true"} if mode else None
        expectation = self.model.update(*key, {"initiator_address": addresses}, params)
        if key not in self._held():
            assert expectation.must_fail
            return
        assert expectation.success is not None, expectation.describe()
        commit_success(self.model, expectation)

    @rule(svm=st.sampled_from(ISCSI_SVMS), settings_=valid_settings())
    def update_default(self, svm, settings_):
        expectation = self.model.update(svm.uuid, DEFAULT_INITIATOR, settings_)
        if expectation.must_fail:
            # Valid on its own, the new inbound password may equal the outbound one the
            # default keeps (CRED-CHAP-003): the only refusal a valid setting can earn here.
            assert {r for o in expectation.outcomes for r in o.rules} == {"CRED-CHAP-003"}, expectation.describe()
            return
        commit_success(self.model, expectation)

    @rule(key=consumes(keys))
    def delete(self, key):
        expectation = self.model.delete(*key)
        if key not in self._held():
            assert expectation.must_fail
            return
        assert [o.success for o in expectation.outcomes] == [True]
        commit_success(self.model, expectation)
        assert key not in self._held()

    @rule(svm=st.sampled_from(ISCSI_SVMS))
    def delete_default(self, svm):
        expectation = self.model.delete(svm.uuid, DEFAULT_INITIATOR)
        assert expectation.must_fail
        for outcome in expectation.outcomes:
            self.model.commit(outcome)

    @invariant()
    def every_iscsi_svm_keeps_its_default(self):
        for svm in ISCSI_SVMS:
            assert (svm.uuid, DEFAULT_INITIATOR) in self._held()
        assert all(k[0] != NO_ISCSI.uuid for k in self._held())

    @invariant()
    def keys_unique_and_records_agree(self):
        keys = list(self.model.records)
        assert len(keys) == len(set(keys))
        for key, versions in self.model.records.items():
            assert versions
            assert all(v.key == key for v in versions)

    @invariant()
    def as_json_has_no_password(self):
        for versions in self.model.records.values():
            for version in versions:
                assert not contains_password(version.as_json())

    @invariant()
    def list_without_filter_returns_the_keys(self):
        listed = self.model.list()
        assert listed.required == self._held()
        assert listed.optional == frozenset()


CredentialsMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_credentials_model_stateful_invariants_hold = CredentialsMachine.TestCase
