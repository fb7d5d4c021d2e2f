"""/api/v1/items: create, list, read, change and delete items."""

# flask-smorest ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from app.api.blueprint import Blueprint
from app.api.content_type import require_json_body
from app.api.idempotency import IDEMPOTENCY_KEY_PARAMETER
from app.auth import current_actor, login_required_api, require_owner_or_admin
from app.models import Item
from app.schemas.items import (
    ItemCreateSchema,
    ItemQuerySchema,
    ItemSchema,
    ItemUpdateSchema,
    item_json,
)
from app.services import items as service
from app.services.item_listing import list_items

blp = Blueprint("items", __name__, description="Items: titled notes owned by users.")

blp.before_request(require_json_body)


def error(status: str) -> dict[str, str]:
    """Document an error response by its HTTP status name (schema: app/schemas/errors.py)."""
    return {"response": status}


# Writes need a bearer token (or a signed-in session with its CSRF header).
BEARER_AUTH: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@blp.route("")
class Items(MethodView):
    """The item collection."""

    @blp.arguments(ItemQuerySchema, location="query")
    @blp.response(200, ItemSchema(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    @blp.alt_response(422, **error("UNPROCESSABLE_ENTITY"))
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> Response:
        """List items, newest first, filtered by owner, title text or creation time."""
        rows, total = list_items(
            pagination_parameters.page, pagination_parameters.page_size, **args
        )
        pagination_parameters.item_count = total
        # A Response passes flask-smorest's dump (ItemSchema documents it, item_json matches it;
        # the pagination header is still set): the dump was a fifth of the list's time.
        return jsonify([item_json(row) for row in rows])

    @login_required_api
    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    @blp.alt_response(401, **error("UNAUTHORIZED"))
    @blp.alt_response(403, **error("FORBIDDEN"))
    @blp.alt_response(409, **error("CONFLICT"))
    @blp.alt_response(415, **error("UNSUPPORTED_MEDIA_TYPE"))
    @blp.alt_response(422, **error("UNPROCESSABLE_ENTITY"))
    @blp.doc(security=BEARER_AUTH, parameters=[IDEMPOTENCY_KEY_PARAMETER])
    def post(self, data: dict[str, Any]) -> Item:
        """Create an item owned by the caller (admins may name another owner_id)."""
        actor = current_actor()
        assert actor is not None  # login_required_api
        owner_id = data.pop("owner_id", None) or actor.id
        require_owner_or_admin(owner_id)
        return service.create_item(owner_id=owner_id, **data)


@blp.route("/<int:item_id>")
class ItemById(MethodView):
    """One item."""

    @blp.response(200, ItemSchema)
    @blp.alt_response(404, **error("NOT_FOUND"))
    def get(self, item_id: int) -> Item:
        """Return one item."""
        return service.get_item(item_id)

    @login_required_api
    @blp.arguments(ItemUpdateSchema)
    @blp.response(200, ItemSchema)
    @blp.alt_response(401, **error("UNAUTHORIZED"))
    @blp.alt_response(403, **error("FORBIDDEN"))
    @blp.alt_response(404, **error("NOT_FOUND"))
    @blp.alt_response(409, **error("CONFLICT"))
    @blp.alt_response(422, **error("UNPROCESSABLE_ENTITY"))
    @blp.doc(security=BEARER_AUTH, parameters=[IDEMPOTENCY_KEY_PARAMETER])
    def patch(self, changes: dict[str, Any], item_id: int) -> Item:
        """Change an item's title and/or body (its owner or an admin)."""
        require_owner_or_admin(service.get_item(item_id).owner_id)
        return service.update_item(item_id, changes)

    @login_required_api
    @blp.response(204)
    @blp.alt_response(401, **error("UNAUTHORIZED"))
    @blp.alt_response(403, **error("FORBIDDEN"))
    @blp.alt_response(404, **error("NOT_FOUND"))
    @blp.doc(security=BEARER_AUTH)
    def delete(self, item_id: int) -> None:
        """Delete an item (its owner or an admin)."""
        require_owner_or_admin(service.get_item(item_id).owner_id)
        service.delete_item(item_id)
