"""Which database objects Alembic's autogenerate compares with the models.

Full-text search structures are made by hand in migration 0002, differently per database
(an FTS5 table with shadow tables on SQLite; on PostgreSQL a stored tsvector column
``case_search_fts_vector`` with a GIN index, migration 0950), so they are left out of the
comparison. Used by migrations/env.py and the migration tests.
"""

HAND_MADE_PREFIXES = ("sqlite_", "case_search_fts", "ix_case_search_document_fts")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (name and name.startswith(HAND_MADE_PREFIXES))
