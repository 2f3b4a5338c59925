"""Oversight of the system itself: loggkontroll, registerutdrag and
behörighetsgranskning (blueprints ``logs``, ``privacy``, ``role_review``)."""
