"""Tags (reference §1.9)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain import tags
from stockade.domain.errors import AwsError


def raises(code, fn, *args):
    with pytest.raises(AwsError) as info:
        fn(*args)
    assert info.value.code == code
    return info.value


def test_valid_tags_keep_order():
    assert tags.check_tags([("Env", "prod"), ("Name", "web")]) == (("Env", "prod"), ("Name", "web"))


def test_missing_value_means_empty_string():
    assert tags.check_tags([("Env", None)]) == (("Env", ""),)
    assert tags.check_tags([("Env", "")]) == (("Env", ""),)


def test_keys_are_case_sensitive():
    assert tags.check_tags([("Env", "a"), ("env", "b")]) == (("Env", "a"), ("env", "b"))


def test_repeated_key_keeps_the_last_value():
    assert tags.check_tags([("Env", "a"), ("Env", "b")]) == (("Env", "b"),)


@pytest.mark.parametrize("key", ["aws:foo", "AWS:foo", "Aws:cloudformation:stack-name", "aws:"])
def test_aws_prefix_is_reserved(key):
    raises("InvalidParameterValue", tags.check_tags, [(key, "v")])


@pytest.mark.parametrize("key", ["aws", "awsfoo", "my:aws:x", "aws-x", " aws:x"])
def test_keys_merely_containing_aws_are_fine(key):
    assert tags.check_tags([(key, "v")]) == ((key, "v"),)


def test_key_length_limit_is_128():
    assert tags.MAX_KEY_LENGTH == 128
    tags.check_tags([("k" * 128, "v")])
    raises("InvalidParameterValue", tags.check_tags, [("k" * 129, "v")])


def test_value_length_limit_is_256():
    tags.check_tags([("k", "v" * 256)])
    raises("InvalidParameterValue", tags.check_tags, [("k", "v" * 257)])


def test_lengths_count_unicode_characters():
    tags.check_tags([("\u00e9" * 128, "\U0001f600" * 256)])


@pytest.mark.parametrize("key", ["", None])
def test_empty_key_is_rejected(key):
    raises("InvalidParameterValue", tags.check_tags, [(key, "v")])


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=128), st.text(max_size=256))
def test_any_characters_are_accepted(key, value):
    # §1.9: EC2 accepts any characters
    if key.lower().startswith("aws:"):
        raises("InvalidParameterValue", tags.check_tags, [(key, value)])
    else:
        assert tags.check_tags([(key, value)]) == ((key, value),)


def test_fifty_tags_fit():
    existing = {f"k{i}": "v" for i in range(49)}
    assert len(tags.merged(existing, (("k49", "v"),))) == 50


def test_fifty_first_tag_is_tag_limit_exceeded():
    existing = {f"k{i}": "v" for i in range(50)}
    raises("TagLimitExceeded", tags.merged, existing, (("k50", "v"),))
    raises("TagLimitExceeded", tags.merged, {}, tuple((f"k{i}", "v") for i in range(51)))


def test_overwriting_existing_keys_does_not_count_twice():
    existing = {f"k{i}": "old" for i in range(50)}
    out = tags.merged(existing, (("k0", "new"), ("k49", "new")))
    assert len(out) == 50
    assert out["k0"] == out["k49"] == "new"
    assert existing["k0"] == "old"  # the input mapping is untouched
