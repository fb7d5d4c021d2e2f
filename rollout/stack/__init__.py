"""The local stack: Postgres, Redis, SeaweedFS, gunicorn blue/green, RQ worker, Nginx."""

from rollout.stack.config import StackConfig
from rollout.stack.errors import StackError
from rollout.stack.stack import LocalStack
from rollout.stack.status import StackStatus

__all__ = ["LocalStack", "StackConfig", "StackError", "StackStatus"]
