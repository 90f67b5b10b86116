"""Bearer tokens: configuration, identification, refusals."""

import pytest

from caonto.contrib.auth import (
    MIN_TOKEN_LENGTH,
    AuthError,
    TokenConfigError,
    Tokens,
    Writer,
    load_tokens,
)
from tests.contrib_samples import ALICE, BOB, CAROL, TOKEN, TOKEN_BOB, TOKEN_CAROL, TOKENS_SETTING


def test_setting_and_file_map_tokens_to_contributors(tmp_path):
    file = tmp_path / "tokens"
    file.write_text(f"# writers\n{TOKEN_BOB} {BOB}  # Bob\n\n", encoding="utf-8")
    tokens = load_tokens(f"{TOKEN} {ALICE}", file)
    assert tokens.contributor(f"Bearer {TOKEN}") == ALICE
    assert tokens.contributor(f"bearer  {TOKEN_BOB} ") == BOB


def test_the_file_alone_is_enough_and_a_hash_inside_a_word_is_not_a_comment(tmp_path):
    file = tmp_path / "tokens"
    file.write_text(f"{TOKEN} https://alice.example/profile#me # her WebID # really\n"
                    f"#{TOKEN_BOB} {BOB}\n", encoding="utf-8")
    tokens = load_tokens(None, file)
    assert tokens.entries == ((TOKEN.encode(), Writer("https://alice.example/profile#me")),)


def test_an_empty_setting_and_no_file_mean_writes_are_off():
    assert not load_tokens("").enabled and not load_tokens(None, None).enabled


def test_no_tokens_means_writes_are_off():
    with pytest.raises(AuthError) as caught:
        Tokens().contributor(f"Bearer {TOKEN}")
    assert caught.value.status == 403 and caught.value.challenge is None
    assert str(caught.value) == caught.value.message == (
        "writes are disabled on this server: no tokens are configured (the operator sets "
        "CAONTO_TOKENS or CAONTO_TOKENS_FILE)")


def test_a_third_word_maintainer_marks_a_maintainer():
    tokens = load_tokens(TOKENS_SETTING)
    assert tokens.writer(f"Bearer {TOKEN_CAROL}") == Writer(CAROL, maintainer=True)
    assert tokens.writer(f"Bearer {TOKEN}") == Writer(ALICE, maintainer=False)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic dXNlcjpwYXNz", f"{TOKEN}",
                                    f"Basic {TOKEN}", f"Token {TOKEN}", f"Bearerx {TOKEN}",
                                    f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}",
                                    f"Bearer {TOKEN.upper()}"])
def test_missing_or_wrong_tokens_are_401_with_a_challenge(header):
    with pytest.raises(AuthError) as caught:
        load_tokens(TOKENS_SETTING).contributor(header)
    assert caught.value.status == 401
    assert caught.value.challenge.startswith("Bearer")


@pytest.mark.parametrize("header, message, challenge", [
    (None, "writes need a bearer token: send 'Authorization: Bearer <token>'",
     'Bearer realm="caonto"'),
    (f"Basic {TOKEN}", "writes need a bearer token: send 'Authorization: Bearer <token>'",
     'Bearer realm="caonto"'),
    (f"Bearer {TOKEN}x", "the bearer token is not valid on this server",
     'Bearer realm="caonto", error="invalid_token"'),
])
def test_a_refusal_says_what_was_wrong_and_how_to_authenticate(header, message, challenge):
    with pytest.raises(AuthError) as caught:
        load_tokens(TOKENS_SETTING).contributor(header)
    assert str(caught.value) == caught.value.message == message
    assert caught.value.challenge == challenge


def test_tokens_of_the_minimum_length_are_accepted_shorter_ones_refused():
    assert load_tokens(f"{'t' * MIN_TOKEN_LENGTH} {ALICE}").enabled
    with pytest.raises(TokenConfigError, match=f"at least {MIN_TOKEN_LENGTH} characters"):
        load_tokens(f"{'t' * (MIN_TOKEN_LENGTH - 1)} {ALICE}")


@pytest.mark.parametrize("setting", ["short https://example.org/a",
                                     f"{TOKEN} not-an-iri",
                                     f"{TOKEN}",
                                     f"{TOKEN} {ALICE} extra",
                                     f"{TOKEN} {ALICE} maintainer more"])
def test_malformed_entries_are_refused_without_echoing_the_token(setting):
    with pytest.raises(TokenConfigError) as caught:
        load_tokens(setting)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("entry, problem", [
    ("short https://example.org/a", "tokens must have at least 16 characters"),
    (f"{TOKEN} not-an-iri", "'not-an-iri' is not an absolute IRI"),
    (f"{TOKEN} {ALICE} extra",
     "expected 'TOKEN CONTRIBUTOR-IRI' or 'TOKEN CONTRIBUTOR-IRI maintainer'"),
])
def test_a_malformed_entry_is_named_by_its_source_and_number(tmp_path, entry, problem):
    with pytest.raises(TokenConfigError) as caught:
        load_tokens(f"# writers\n{TOKEN_BOB} {BOB}, {entry}")
    assert str(caught.value) == f"CAONTO_TOKENS, entry 3: {problem}"
    file = tmp_path / "tokens"
    file.write_text(f"{entry}\n", encoding="utf-8")
    with pytest.raises(TokenConfigError) as caught:
        load_tokens(None, file)
    assert str(caught.value) == f"{file}, entry 1: {problem}"
