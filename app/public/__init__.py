"""HTML pages: home, items, uploads, admin on `public`; sign-in pages on `auth`.

One module per page group; admin, items and uploads attach their routes to views.bp.
"""

from app.public import admin, items, uploads  # noqa: F401  (attach their routes to bp)
from app.public.auth import bp as auth_bp
from app.public.views import bp

__all__ = ["auth_bp", "bp"]
