"""The kit's load machinery: the locust gate plugin, its defaults, the proxy benchmark."""
