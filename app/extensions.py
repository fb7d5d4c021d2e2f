"""Extensions, created unbound here and bound to an app in create_app."""

from __future__ import annotations

from pathlib import Path

from flask_babel import Babel
from flask_caching import Cache
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from app.api.blueprint import Api
from app.models.base import Base
from app.services.redis_client import RedisClient

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")

db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
api = Api()
cache = Cache()
redis_client = RedisClient()
# Auth and security (app/auth, app/security): configured in their init functions.
login_manager = LoginManager()
jwt = JWTManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()
cors = CORS()
babel = Babel()
