"""Avvikelser filed by staff, and Mina avvikelser (blueprint ``deviations``)."""
