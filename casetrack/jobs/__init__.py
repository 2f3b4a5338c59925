"""Scheduled jobs and the scheduler entry point (DESIGN §6, issue #7).

Every job is a function ``job(now) -> int`` (how many messages it queued) that runs in an
app context, writes through the session and never commits: ``run_job`` commits once at
the end. Exactly once comes from ``occurrences.claim``.
"""
