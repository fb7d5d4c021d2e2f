"""The soak: many consecutive rollouts on the local stack under load, with faults injected."""
