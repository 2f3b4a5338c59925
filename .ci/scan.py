"""CI security scanning (SECURITY.md K3-65, 68, 71): bandit, detect-secrets, a CycloneDX
SBOM and pip-audit. Findings fail the run unless accepted, with a reason, in
.ci/accepted-findings.toml. pip-audit needs the network (OSV/PyPI): when its database is
out of reach, the output says plainly what was not checked and the run does not fail."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
ACCEPTED = tomllib.loads((ROOT / ".ci" / "accepted-findings.toml").read_text())


def run(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)  # noqa: S603


def bandit() -> int:
    result = run(str(BIN / "bandit"), "-r", "casetrack", "-f", "json", "-q")
    report = json.loads(result.stdout)
    accepted = {(a["id"], a["file"]) for a in ACCEPTED.get("bandit", []) if a.get("reason")}
    new = [r for r in report["results"] if (r["test_id"], r["filename"]) not in accepted]
    for r in new:
        print(f"  {r['test_id']} {r['filename']}:{r['line_number']} {r['issue_text']}")
    used = {(r["test_id"], r["filename"]) for r in report["results"]}
    for stale in sorted(accepted - used):
        print(f"  note: accepted finding {stale} no longer occurs; remove it")
    print(f"bandit: {len(report['results'])} findings, {len(new)} not accepted")
    return len(new)


def secrets() -> int:
    files = run("git", "ls-files").stdout.split()
    result = run(str(BIN / "detect-secrets-hook"), "--baseline", ".secrets.baseline", *files)
    if result.returncode:
        print(result.stdout + result.stderr)
        print("detect-secrets: new secrets (or an outdated baseline); see above")
        return 1
    print("detect-secrets: no secrets beyond the reviewed baseline")
    return 0


def sbom() -> int:
    result = run(
        str(BIN / "cyclonedx-py"), "environment", "--of", "JSON", "-o", "sbom.json",
        str(BIN / "python"),
    )  # fmt: skip
    if result.returncode:
        print(result.stderr)
        return 1
    count = len(json.loads((ROOT / "sbom.json").read_text()).get("components", []))
    print(f"SBOM: sbom.json (CycloneDX, {count} components) - keep it as a CI artifact")
    return 0


def vulnerabilities() -> int:
    try:
        result = run(
            str(BIN / "pip-audit"), "--skip-editable", "--format", "json",
            "--progress-spinner", "off", timeout=300,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        result = None
    if result is None or not result.stdout.strip().startswith("{"):
        reason = (result.stderr.strip().splitlines() or ["timeout"])[-1] if result else "timeout"
        print(
            "pip-audit: NOT CHECKED - the vulnerability database (OSV/PyPI) could not be "
            f"reached ({reason}). Installed dependencies were not checked for known "
            "vulnerabilities in this run; run .ci/scan.py again with network access."
        )
        return 0
    report = json.loads(result.stdout)
    accepted = {a["id"] for a in ACCEPTED.get("pip-audit", []) if a.get("reason")}
    new = [
        (dep["name"], dep["version"], vuln["id"])
        for dep in report.get("dependencies", [])
        for vuln in dep.get("vulns", [])
        if vuln["id"] not in accepted and not set(vuln.get("aliases", [])) & accepted
    ]
    for name, version, vuln in new:
        print(f"  {name} {version}: {vuln}")
    deps = report.get("dependencies", [])
    skipped = [dep for dep in deps if "skip_reason" in dep]
    if skipped:
        print(
            f"pip-audit: NOT CHECKED - {len(skipped)} of {len(deps)} packages could not be "
            "looked up in the vulnerability database (no network to PyPI/OSV, or not on "
            "PyPI), so they were not checked for known vulnerabilities in this run:"
        )
        print("  " + ", ".join(sorted(dep["name"] for dep in skipped)))
    print(
        f"pip-audit: {len(deps) - len(skipped)} packages checked, "
        f"{len(new)} vulnerabilities not accepted"
    )
    return len(new)


def main() -> int:
    failures = 0
    for step in (bandit, secrets, sbom, vulnerabilities):
        print(f"-- {step.__name__}")
        failures += step()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
