"""Logging in and out, second factor, own account and password links (blueprints ``auth``,
``account``, ``passwords``)."""
