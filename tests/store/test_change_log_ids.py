"""The change log's id list is written as ``json.dumps`` would write it, whatever the ids."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.store.transaction_core import _id_list


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=6).map(tuple))
def test_id_list_is_json_dumps(ids: tuple[str, ...]) -> None:
    assert _id_list(ids) == json.dumps(ids)
    assert tuple(json.loads(_id_list(ids))) == ids


def test_usual_ids() -> None:
    ids = ("sg-0123456789abcdef0", "sgr-0123456789abcdef0")
    assert _id_list(ids) == json.dumps(ids)
    assert _id_list(()) == "[]"
