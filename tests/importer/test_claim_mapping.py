"""Attributes to claims, by claim: the default legacy mapping re-purposes attributes for challenge
data, so a value's shape decides which claim it is; mapping files override the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from recovery_soap.core.legacy_records import (
    ACCOUNT_LOCKED,
    LegacySecret,
    PlainSecret,
    claim_for_value,
    split_claims,
)
from recovery_soap.core.passwords import legacy_digest
from recovery_soap.importer import SourceError
from recovery_soap.importer.claim_map import DEFAULT_CLAIM_MAP, claims_of, load_claim_map

D = "http://wso2.org/claims"
SET1, SET2 = f"{D}/challengeQuestion1", f"{D}/challengeQuestion2"
URIS = f"{D}/challengeQuestionUris"
DIGEST = legacy_digest("colombo")


@pytest.mark.parametrize(
    "attribute, value, claim",
    [
        ("gender", "female", f"{D}/gender"),
        ("gender", f"City where you were born ?!{DIGEST}", SET1),
        ("gender", "Why?!not a digest", f"{D}/gender"),
        ("localityName", "Colombo 7", f"{D}/locality"),
        ("localityName", f"Favorite sport ?!{DIGEST}", SET2),
        ("stateOrProvinceName", "Western", f"{D}/stateorprovince"),
        ("stateOrProvinceName", f"{SET1}!{SET2}", URIS),
        ("title", "Dr", f"{D}/title"),
        ("title", f"{SET1}!City where you were born ?", f"{D}/primaryChallengeQuestion"),
        ("mail", "a@example.test", f"{D}/emailaddress"),
    ],
)
def test_a_shared_attribute_goes_to_the_claim_its_value_fits(
    attribute: str, value: str, claim: str
) -> None:
    assert claim_for_value(DEFAULT_CLAIM_MAP[attribute], value) == claim


def test_a_value_no_claim_fits_is_dropped() -> None:
    assert claim_for_value((SET1,), "female") is None
    assert claims_of(DEFAULT_CLAIM_MAP, {"unknownAttribute": "x"}) == {}


def test_split_claims_separates_profile_answers_and_lock() -> None:
    claims = {
        f"{D}/emailaddress": "a@example.test",
        SET1: f"City where you were born ?!{DIGEST}",
        SET2: "Favorite sport ?!Cricket",
        f"{D}/challengeQuestion3": f"Pet ?!{DIGEST}",  # not in the set list: stale
        URIS: f"{SET1}!{SET2}",
        ACCOUNT_LOCKED: "TRUE",
        f"{D}/identity/failedLoginAttempts": "3",
        f"{D}/oneTimePassword": "123456",
        f"{D}/username": "alice",
        f"{D}/telephone": "",
    }
    profile, answers, locked = split_claims(claims)
    assert profile == {f"{D}/emailaddress": "a@example.test"}
    assert [(a.set_id, a.question, a.secret) for a in answers] == [
        (SET1, "City where you were born ?", LegacySecret(DIGEST)),
        (SET2, "Favorite sport ?", PlainSecret("Cricket")),
    ]
    assert locked is True


def test_without_a_set_list_every_answer_counts_and_lock_is_unstated() -> None:
    _, answers, locked = split_claims({f"{D}/challengeQuestion3": f"Pet ?!{DIGEST}"})
    assert [a.set_id for a in answers] == [f"{D}/challengeQuestion3"] and locked is None


@pytest.mark.parametrize(
    "name, text",
    [
        ("map.json", '{"telephoneNumber": "http://wso2.org/claims/mobile", "sn": ""}'),
        ("map.toml", 'telephoneNumber = ["http://wso2.org/claims/mobile"]\nsn = []\n'),
    ],
)
def test_a_map_file_replaces_or_drops_default_entries(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    loaded = load_claim_map(path)
    assert loaded["telephoneNumber"] == (f"{D}/mobile",)
    assert "sn" not in loaded and loaded["mail"] == DEFAULT_CLAIM_MAP["mail"]


@pytest.mark.parametrize("text", ["[1, 2]", '{"mail": 3}', '{"mail": "emailaddress"}', "{"])
def test_a_bad_map_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "map.json"
    path.write_text(text)
    with pytest.raises(SourceError):
        load_claim_map(path)
