"""Read-side report queries: SQL aggregation with the access scope in the WHERE clause."""
