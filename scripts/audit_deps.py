"""Audit the locked dependencies against known vulnerabilities, and say what was audited.

  python scripts/audit_deps.py [LOCK ...]     default: requirements*.lock beside this repo

pip-audit is used when it is installed and PyPI's vulnerability API answers; otherwise the
PyPA advisory database snapshot (OSV YAML in a .tar.gz) named by ZHIFU_ADVISORY_DB, by
default the newest ../shared/data/pypa-advisory-database-*.tar.gz beside the repository.
The snapshot is read where it lies, never copied into the repository.

Every match is listed with the range that makes it apply; a match passes only if
accepted-advisories.toml names its id with a reason. Exit 1 when a match is not accepted,
when nothing was audited (no pins, or no source of advisories), or on a bad input.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ROOT / "accepted-advisories.toml"
SNAPSHOT_GLOB = "pypa-advisory-database-*.tar.gz"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#\\]+)")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


class AuditError(Exception):
    """The audit could not run truthfully; str() says why."""


@dataclass(frozen=True)
class Match:
    package: str
    version: str
    advisory_id: str
    aliases: tuple[str, ...]
    summary: str
    why: str  # the range or list entry that makes the version affected
    fixed: tuple[str, ...] = field(default=())

    @property
    def ids(self) -> set[str]:
        return {self.advisory_id, *self.aliases}


# ---- pins -------------------------------------------------------------------------------


def read_pins(lines: Iterable[str]) -> dict[str, str]:
    """name (canonical) -> version of every `name==version` line of a requirements file."""
    pins: dict[str, str] = {}
    for line in lines:
        found = _PIN.match(line)
        if found:
            pins[canonicalize_name(found.group(1))] = found.group(2)
    return pins


# ---- OSV matching -------------------------------------------------------------------------


def _version(text: str) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[Mapping[str, Any]]) -> str | None:
    """OSV ECOSYSTEM range semantics: events in order open ("introduced") and close
    ("fixed": exclusive, "last_affected": inclusive) affected intervals."""
    ordered = sorted(
        events,
        key=lambda e: (_version(next(iter(e.values()))) or Version("0"), "introduced" not in e),
    )
    start: Version | None = None
    start_text = ""
    for event in ordered:
        if "introduced" in event:
            start_text = str(event["introduced"])
            start = Version("0") if start_text == "0" else _version(start_text)
        elif start is not None and ("fixed" in event or "last_affected" in event):
            end_text = str(event.get("fixed", event.get("last_affected")))
            end = _version(end_text)
            inclusive = "last_affected" in event
            if (
                end is not None
                and start <= version
                and (version <= end if inclusive else version < end)
            ):
                closer = "<=" if inclusive else "<"
                return f">= {start_text}, {closer} {end_text}"
            start = None
    if start is not None and start <= version:
        return f">= {start_text} (no fix yet)"
    return None


def _fixed_versions(affected: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(event["fixed"])
        for rng in affected.get("ranges") or []
        for event in rng.get("events") or []
        if "fixed" in event
    )


def match_advisory(advisory: Mapping[str, Any], pins: Mapping[str, str]) -> list[Match]:
    """The pinned versions one OSV advisory applies to (withdrawn advisories apply to none)."""
    if advisory.get("withdrawn"):
        return []
    found: list[Match] = []
    details = " ".join(str(advisory.get("summary") or advisory.get("details") or "").split())
    details = details if len(details) <= 200 else details[:199].rsplit(" ", 1)[0] + " …"
    for affected in advisory.get("affected") or []:
        package = affected.get("package") or {}
        if str(package.get("ecosystem", "")) != "PyPI":
            continue
        name = canonicalize_name(str(package.get("name", "")))
        pinned = pins.get(name)
        if pinned is None:
            continue
        version = _version(pinned)
        why = None
        listed = [str(v) for v in affected.get("versions") or []]
        if pinned in listed or (version is not None and version in map(_version, listed)):
            why = f"{pinned} is listed as affected"
        if why is None and version is not None:
            for rng in affected.get("ranges") or []:
                if rng.get("type") == "ECOSYSTEM":
                    hit = _in_range(version, list(rng.get("events") or []))
                    if hit:
                        why = f"{pinned} is in {hit}"
                        break
        if why:
            found.append(
                Match(
                    package=name,
                    version=pinned,
                    advisory_id=str(advisory.get("id", "?")),
                    aliases=tuple(str(a) for a in advisory.get("aliases") or []),
                    summary=details,
                    why=why,
                    fixed=_fixed_versions(affected),
                )
            )
    return found


# ---- the snapshot -----------------------------------------------------------------------


@dataclass
class Snapshot:
    path: Path
    date: dt.date | None
    newest_modified: dt.datetime | None = None
    advisories_read: int = 0


def find_snapshot(environ: Mapping[str, str]) -> Path | None:
    configured = environ.get("ZHIFU_ADVISORY_DB")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise AuditError(f"ZHIFU_ADVISORY_DB: {path} is not a file")
        return path
    candidates = sorted((ROOT.parent / "shared" / "data").glob(SNAPSHOT_GLOB))
    return candidates[-1] if candidates else None


def read_snapshot(path: Path, packages: set[str]) -> tuple[Snapshot, Iterator[dict[str, Any]]]:
    """The snapshot's facts, and the advisories (vulns/<package>/<id>.yaml) of packages."""
    found = _DATE.search(path.name)
    snapshot = Snapshot(path, dt.date.fromisoformat(found.group(1)) if found else None)

    def advisories() -> Iterator[dict[str, Any]]:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                parts = member.name.split("/")
                if not member.isfile() or not member.name.endswith((".yaml", ".yml")):
                    continue
                if len(parts) < 3 or canonicalize_name(parts[-2]) not in packages:
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                advisory = yaml.safe_load(handle.read())
                if not isinstance(advisory, dict):
                    continue
                snapshot.advisories_read += 1
                modified = advisory.get("modified")
                stamp = _stamp(modified)
                if stamp and (snapshot.newest_modified is None or stamp > snapshot.newest_modified):
                    snapshot.newest_modified = stamp
                yield advisory

    return snapshot, advisories()


def _stamp(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# ---- pip-audit, where its service answers -------------------------------------------------


def pip_audit_usable() -> str | None:
    """Why pip-audit cannot be used here, or None when it can."""
    if shutil.which("pip-audit") is None:
        return "pip-audit is not installed"
    try:
        url = "https://pypi.org/pypi/pip/json"
        with urllib.request.urlopen(url, timeout=5) as resp:  # fixed https URL  # nosec B310
            if "vulnerabilities" not in json.loads(resp.read()):
                return "PyPI's JSON API answered without vulnerability data"
    except (OSError, ValueError) as exc:
        return f"PyPI's vulnerability API is unreachable ({type(exc).__name__})"
    return None


def run_pip_audit(locks: list[Path], pins: Mapping[str, str]) -> list[Match]:
    args = ["pip-audit", "--no-deps", "--disable-pip", "--format", "json", "--progress-spinner",
            "off"] + [a for lock in locks for a in ("-r", str(lock))]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise AuditError(f"pip-audit failed: {result.stderr.strip()[:300]}") from None
    deps = report.get("dependencies", report) if isinstance(report, dict) else report
    audited = [d for d in deps if not d.get("skip_reason")]
    if len(audited) < len(pins):
        raise AuditError(f"pip-audit audited {len(audited)} of {len(pins)} pinned packages")
    return [
        Match(canonicalize_name(d["name"]), d["version"], v["id"], tuple(v.get("aliases", [])),
              " ".join(str(v.get("description", "")).split())[:160],
              f"pip-audit: {d['version']} is affected", tuple(v.get("fix_versions", [])))
        for d in audited for v in d.get("vulns", [])
    ]  # fmt: skip


# ---- accepted findings --------------------------------------------------------------------


def read_accepted(path: Path) -> dict[str, dict[str, Any]]:
    """id -> entry; each entry needs a package, a reason and the date it was reviewed."""
    if not path.exists():
        return {}
    entries = tomllib.loads(path.read_text()).get("accepted", [])
    accepted: dict[str, dict[str, Any]] = {}
    for entry in entries:
        missing = [key for key in ("id", "package", "reason", "reviewed") if not entry.get(key)]
        if missing:
            raise AuditError(f"{path.name}: an entry lacks {', '.join(missing)}")
        accepted[str(entry["id"])] = entry
    return accepted


def acceptance(match: Match, accepted: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for advisory_id in sorted(match.ids):
        entry = accepted.get(advisory_id)
        if entry and canonicalize_name(str(entry["package"])) == match.package:
            return entry
    return None


# ---- the command ---------------------------------------------------------------------------


def audit(
    locks: list[Path],
    environ: Mapping[str, str],
    today: dt.date,
    out: Any = sys.stdout,
    accepted_path: Path = ACCEPTED,
) -> int:
    pins: dict[str, str] = {}
    for lock in locks:
        pins.update(read_pins(lock.read_text().splitlines()))
    if not pins:
        raise AuditError("no pinned dependency found: nothing to audit")
    print(f"Auditing {len(pins)} pinned packages from {', '.join(p.name for p in locks)}", file=out)

    why_not = pip_audit_usable() if environ.get("ZHIFU_AUDIT_OFFLINE") != "1" else "offline"
    if why_not is None:
        print("Source: pip-audit (PyPI vulnerability service)", file=out)
        matches = run_pip_audit(locks, pins)
    else:
        path = find_snapshot(environ)
        if path is None:
            raise AuditError(
                f"{why_not}, and no advisory snapshot: set ZHIFU_ADVISORY_DB to a "
                f"{SNAPSHOT_GLOB} file (nothing was audited)"
            )
        snapshot, advisories = read_snapshot(path, set(pins))
        matches = [m for advisory in advisories for m in match_advisory(advisory, pins)]
        age = f"{(today - snapshot.date).days} days old" if snapshot.date else "of unknown age"
        newest = snapshot.newest_modified.date() if snapshot.newest_modified else "?"
        print(f"Source: {path.name} ({why_not}); snapshot of {snapshot.date}, {age}; "
              f"{snapshot.advisories_read} advisories for the pinned packages read, newest "
              f"modified {newest}", file=out)  # fmt: skip
        if snapshot.advisories_read == 0:
            raise AuditError("the snapshot holds no advisory for any pinned package: is it one?")

    accepted = read_accepted(accepted_path)
    refused = 0
    for match in sorted(matches, key=lambda m: (m.package, m.advisory_id)):
        entry = acceptance(match, accepted)
        fix = f"; fixed in {', '.join(match.fixed)}" if match.fixed else "; no fixed version"
        verdict = f"ACCEPTED ({entry['reason']})" if entry else "NOT ACCEPTED"
        refused += entry is None
        print(f"- {match.package} {match.version}: {match.advisory_id} "
              f"[{', '.join(match.aliases)}] applies: {match.why}{fix}\n"
              f"  {match.summary}\n  -> {verdict}", file=out)  # fmt: skip
    matched_ids = {i for m in matches for i in m.ids}
    for advisory_id in sorted(set(accepted) - matched_ids):
        print(f"- note: accepted {advisory_id} no longer matches; remove it", file=out)
    print(f"{len(matches)} matches, {len(matches) - refused} accepted, {refused} not", file=out)
    return 1 if refused else 0


def main(argv: list[str]) -> int:
    locks = [Path(a) for a in argv] or sorted(ROOT.glob("requirements*.lock"))
    try:
        return audit(locks, os.environ, dt.datetime.now(dt.UTC).date())
    except AuditError as exc:
        print(f"audit_deps: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
