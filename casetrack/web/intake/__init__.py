"""Public intake: Lämna synpunkt, the receipt and Följ ditt ärende (blueprint ``intake``)."""
