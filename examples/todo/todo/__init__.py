"""todo-api: a small to-do list service, the deployment kit's second example (../README.md)."""
