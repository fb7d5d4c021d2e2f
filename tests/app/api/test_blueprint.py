"""app/api/blueprint.py: schemas built once per class, the pagination header, deep JSON."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import flask_smorest
import pytest
from flask import Flask
from marshmallow import Schema, fields

from app.api.blueprint import ApiParser, Blueprint


class CountedSchema(Schema):
    """A schema that counts its instances."""

    built: ClassVar[int] = 0
    n = fields.Int(required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        type(self).built += 1
        super().__init__(*args, **kwargs)


def test_a_schema_class_is_built_once_and_still_validates() -> None:
    parser = ApiParser()
    app = Flask(__name__)
    CountedSchema.built = 0
    for n in range(3):
        with app.test_request_context(f"/?n={n}"):
            assert parser.parse(CountedSchema, location="query") == {"n": n}
    assert CountedSchema.built == 1
    with app.test_request_context("/?n=x"), pytest.raises(Exception, match="422"):
        parser.parse(CountedSchema, location="query")  # webargs aborts with its error status
    assert CountedSchema.built == 1


def test_an_instance_is_used_as_given() -> None:
    parser = ApiParser()
    given = CountedSchema()
    CountedSchema.built = 0
    with Flask(__name__).test_request_context("/?n=7"):
        assert parser.parse(given, location="query") == {"n": 7}
    assert CountedSchema.built == 0


@pytest.mark.parametrize(
    ("page", "page_size", "count"), [(1, 20, 0), (1, 20, 20), (2, 20, 45), (3, 20, 45), (9, 5, 3)]
)
def test_pagination_metadata_is_flask_smorests_own(page: int, page_size: int, count: int) -> None:
    ours = Blueprint._make_pagination_metadata(page, page_size, count)
    theirs = flask_smorest.Blueprint._make_pagination_metadata(page, page_size, count)
    assert ours == theirs
    assert Blueprint._make_pagination_metadata(page, page_size, count) is ours  # cached
    assert json.loads(json.dumps(ours)) == theirs  # read only: the cached dict is unchanged
