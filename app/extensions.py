"""Extensions, created unbound here and bound to an app in create_app."""

from __future__ import annotations

from pathlib import Path

from flask_caching import Cache
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.api.blueprint import Api
from app.models.base import Base
from app.services.redis_client import RedisClient

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")

db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
api = Api()
cache = Cache()
redis_client = RedisClient()
