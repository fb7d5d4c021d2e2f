"""The local stack: Postgres, Redis, SeaweedFS, gunicorn blue/green, RQ worker, Nginx."""

from stack.config import StackConfig
from stack.errors import StackError
from stack.stack import LocalStack
from stack.status import StackStatus

__all__ = ["LocalStack", "StackConfig", "StackError", "StackStatus"]
