"""The start page, the health check and the accessibility statement (blueprint ``main``)."""
