"""The reference app's own load: its locust users, their shared sign-in, its gate thresholds."""
