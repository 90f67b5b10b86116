"""Bearer tokens: configuration, identification, refusals."""

import pytest

from caonto.contrib.auth import AuthError, TokenConfigError, Tokens, Writer, load_tokens
from tests.contrib_samples import ALICE, BOB, CAROL, TOKEN, TOKEN_BOB, TOKEN_CAROL, TOKENS_SETTING


def test_setting_and_file_map_tokens_to_contributors(tmp_path):
    file = tmp_path / "tokens"
    file.write_text(f"# writers\n{TOKEN_BOB} {BOB}  # Bob\n\n", encoding="utf-8")
    tokens = load_tokens(f"{TOKEN} {ALICE}", file)
    assert tokens.contributor(f"Bearer {TOKEN}") == ALICE
    assert tokens.contributor(f"bearer  {TOKEN_BOB} ") == BOB


def test_no_tokens_means_writes_are_off():
    with pytest.raises(AuthError) as caught:
        Tokens().contributor(f"Bearer {TOKEN}")
    assert caught.value.status == 403 and "no tokens" in caught.value.message


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


@pytest.mark.parametrize("setting", ["short https://example.org/a",
                                     f"{TOKEN} not-an-iri",
                                     f"{TOKEN}",
                                     f"{TOKEN} {ALICE} extra",
                                     f"{TOKEN} {ALICE} maintainer more"])
def test_malformed_entries_are_refused_without_echoing_the_token(setting):
    with pytest.raises(TokenConfigError) as caught:
        load_tokens(setting)
    assert TOKEN not in str(caught.value)
