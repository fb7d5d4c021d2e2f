"""Blue-green rollouts gated by locust and testinfra, with automatic rollback."""
