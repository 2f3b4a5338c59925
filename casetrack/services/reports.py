"""Writing on the tertial report: summary texts, fastställa and undoing it (DESIGN §5)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from casetrack import audit
from casetrack.access import unit_ids_for
from casetrack.domain.dates import local_date
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.domain.report_rows import ROW_KEYS, TERTIAL_NAMES
from casetrack.domain.roles import Permission
from casetrack.domain.tertials import tertial_bounds
from casetrack.extensions import db
from casetrack.models import OrgUnit, ReportSnapshot, ReportSummaryVersion, User, utcnow
from casetrack.queries.report import active_snapshots, current_texts, frozen_figures
from casetrack.services.checks import clean_text

MAX_SUMMARY = 4000


def _require(actor: User | None, permission: Permission, unit: OrgUnit) -> None:
    if actor is not None and unit.id not in unit_ids_for(actor, permission):
        raise NotPermitted("Du kan inte ändra rapporten för den enheten.")


def _check_period(year: int, tertial: int) -> None:
    if tertial not in (1, 2, 3) or not 2000 <= year <= 2100:
        raise DomainError("Välj ett år och en tertial.", "tertial")


def save_summary(
    actor: User,
    unit: OrgUnit,
    year: int,
    tertial: int,
    key: str,
    text: str,
    *,
    now: datetime | None = None,
) -> ReportSummaryVersion:
    """Save a new version of a row's "Sammanfattning och planerade åtgärder". Audited."""
    now = now or utcnow()
    _require(actor, Permission.REPORT_WRITE, unit)
    _check_period(year, tertial)
    if key not in ROW_KEYS:
        raise DomainError("Okänd rad i rapporten.", "row_key")
    if tertial in active_snapshots(unit.id, year):
        raise DomainError(
            f"{TERTIAL_NAMES[tertial]} {year} är fastställd. Texten kan inte ändras.", "text"
        )
    text = (
        clean_text(
            text,
            "text",
            max_length=MAX_SUMMARY,
            too_long=f"Texten får vara högst {MAX_SUMMARY} tecken.",
        )
        or ""
    )
    version = ReportSummaryVersion(
        org_unit_id=unit.id,
        year=year,
        tertial=tertial,
        row_key=key,
        text=text,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "report.summary_saved",
        entity_type="report_summary",
        entity_id=version.id,
        actor=actor,
        after={"unit_id": unit.id, "year": year, "tertial": tertial, "row": key},
        occurred_at=now,
    )
    return version


def freeze(
    actor: User | None,
    unit: OrgUnit,
    year: int,
    tertial: int,
    *,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> ReportSnapshot:
    """Fastställa a tertial: store its figures and texts as they are now. Audited."""
    now = now or utcnow()
    _require(actor, Permission.REPORT_WRITE, unit)
    _check_period(year, tertial)
    if tertial_bounds(year, tertial)[1] >= local_date(now):
        raise DomainError(
            f"{TERTIAL_NAMES[tertial]} {year} är inte slut än och kan inte fastställas.",
            "tertial",
        )
    if tertial in active_snapshots(unit.id, year):
        raise DomainError(f"{TERTIAL_NAMES[tertial]} {year} är redan fastställd.", "tertial")
    texts = {
        key: versions[0].text for key, versions in current_texts(unit.id, year, tertial).items()
    }
    snapshot = ReportSnapshot(
        org_unit_id=unit.id,
        year=year,
        tertial=tertial,
        figures=frozen_figures(unit, year, tertial),
        texts=texts,
        frozen_at=now,
        frozen_by_id=actor.id if actor else None,
    )
    db.session.add(snapshot)
    db.session.flush()
    audit.record(
        "report.frozen",
        entity_type="report_snapshot",
        entity_id=snapshot.id,
        actor=actor,
        actor_label=actor_label,
        after={"unit_id": unit.id, "year": year, "tertial": tertial, "figures": snapshot.figures},
        occurred_at=now,
    )
    return snapshot


def unfreeze(
    actor: User, unit: OrgUnit, year: int, tertial: int, reason: str, *, now: datetime | None = None
) -> ReportSnapshot:
    """Undo a fastställd tertial (quality only), with a reason. The snapshot is kept."""
    now = now or utcnow()
    _require(actor, Permission.REPORT_UNFREEZE, unit)
    reason = clean_text(
        reason, "reason", max_length=1000, required="Ange varför fastställandet ska hävas."
    )
    snapshot = db.session.scalars(
        sa.select(ReportSnapshot).where(
            ReportSnapshot.org_unit_id == unit.id,
            ReportSnapshot.year == year,
            ReportSnapshot.tertial == tertial,
            ReportSnapshot.revoked_at.is_(None),
        )
    ).one_or_none()
    if snapshot is None:
        raise DomainError("Tertialen är inte fastställd.", "tertial")
    snapshot.revoked_at = now
    snapshot.revoked_by_id = actor.id
    snapshot.revoke_reason = reason
    audit.record(
        "report.unfrozen",
        entity_type="report_snapshot",
        entity_id=snapshot.id,
        actor=actor,
        before={"frozen_at": snapshot.frozen_at},
        after={"revoked_at": now, "reason": "(text)"},
        occurred_at=now,
    )
    return snapshot


def record_export(unit: OrgUnit, year: int, up_to: int, fmt: str, *, actor_label: str) -> None:
    """The report was exported without a logged-in person (``casetrack report``): such
    exports are recorded like any other change (a person's export is access-logged)."""
    audit.record(
        "report.exported",
        entity_type="report",
        entity_id=unit.id,
        actor=None,
        actor_label=actor_label,
        after={"unit_id": unit.id, "year": year, "tertial": up_to, "format": fmt},
    )
