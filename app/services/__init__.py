"""Domain services: the layer between views and models."""
