"""Blueprints: thin views that load, check access, validate, call a service, commit."""
