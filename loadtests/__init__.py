"""Locust users, the gate plugin and the gate thresholds for the kit's rollouts."""
