"""Use cases that change data. Each takes plain arguments, raises a ``DomainError`` on a
broken rule, writes its audit entry and never commits: the request, job or CLI command
that called it commits once."""
