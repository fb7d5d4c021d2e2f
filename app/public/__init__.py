"""Public HTML pages: home, items, uploads, admin (one blueprint, one module per page group)."""

from app.public import admin, items, uploads  # noqa: F401  (attach their routes to bp)
from app.public.views import bp

__all__ = ["bp"]
