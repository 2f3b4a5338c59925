"""Technical adapters: SMTP delivery, stream encryption and attachment keys, password
hashing, login throttling, database session events and resource paths. No business rules."""
