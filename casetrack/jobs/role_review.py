"""Behörighetsgranskning reminder (SECURITY.md K3-18): tell the responsible people when
role assignments in their scope are due for review.

Each due assignment is claimed once per due period (``job_occurrence``: job
``role_review``, object ``role_assignment:<id>``, occasion = the period's date from
``domain.role_review.reminder_occasion``). Everyone responsible for a newly claimed
assignment gets one e-mail that run, with the number of assignments due in their scope
and a link to the page: no names, no roles. Working days only, like every reminder.

Responsible: for privileged roles the systemadministratörer; for the others the
enhetschefer who hold ``ROLE_REVIEW`` on the unit, or the systemadministratörer when the
unit has none. Never the person who holds the assignment.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casetrack.domain import role_review as rules
from casetrack.domain.dates import local_date
from casetrack.domain.roles import Permission, Role, is_privileged
from casetrack.domain.workdays import is_working_day
from casetrack.extensions import db
from casetrack.jobs.occurrences import claim
from casetrack.jobs.recipients import Recipients
from casetrack.jobs.reminders import link
from casetrack.models import RoleAssignment, User
from casetrack.services.mail import queue_mail, record_scheduled_mail
from casetrack.services.messages import compose
from casetrack.services.role_review import intervals

JOB = "role_review"
PAGE = "/behorighetsgranskning/?att_granska=1"


def responsible(assignment: RoleAssignment, recipients: Recipients) -> list[User]:
    """Who is reminded about ``assignment`` (never its holder)."""
    admins = [u for u in recipients.with_role(Role.ADMIN) if u.id != assignment.user_id]
    if is_privileged(assignment.role):
        return admins
    managers = [
        u
        for u in recipients.role_in_unit(
            Role.MANAGER, Permission.ROLE_REVIEW, assignment.org_unit_id
        )
        if u.id != assignment.user_id
    ]
    return managers or admins


def role_review_reminder(now: datetime) -> int:
    """Queue one e-mail per responsible person with newly due assignments; returns the
    number of e-mails. Nothing on weekends and holidays."""
    today = local_date(now)
    if not is_working_day(today):
        return 0
    spans = intervals()
    recipients = Recipients()
    due_count: Counter[int] = Counter()
    people: dict[int, User] = {}
    newly_due: set[int] = set()
    assignments = db.session.scalars(
        sa.select(RoleAssignment)
        .options(joinedload(RoleAssignment.user))
        .order_by(RoleAssignment.id)
    )
    for assignment in assignments:
        days = spans.days_for(assignment.role)
        due = rules.due_on(assignment.created_at, assignment.last_reviewed_at, days)
        occasion = rules.reminder_occasion(due, today, days, spans.notice_days)
        if occasion is None:
            continue
        reviewers = responsible(assignment, recipients)
        if not reviewers:
            continue
        for user in reviewers:
            due_count[user.id] += 1
            people[user.id] = user
        if claim(JOB, f"role_assignment:{assignment.id}", occasion.isoformat(), now):
            newly_due.update(user.id for user in reviewers)
    for user_id in sorted(newly_due):
        user = people[user_id]
        values = {"mottagare": user.name, "antal": str(due_count[user_id]), "lank": link(PAGE)}
        subject, body = compose("role_review_due", values)
        queue_mail(user.email, subject, body, purpose=JOB)
        record_scheduled_mail(
            "role_review.reminder_queued",
            {"assignments": due_count[user_id]},
            now,
            user_id=user_id,
        )
    return len(newly_due)
