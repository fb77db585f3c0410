"""Hardening finding: the dependency audit tells the truth. Its OSV matcher on a tiny
hand-made advisory set, and the command failing when it audited nothing."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "scripts" / "audit_deps.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_deps"] = module
    spec.loader.exec_module(module)
    return module


audit_deps = _load()
TODAY = dt.date(2026, 12, 1)
OFFLINE = {"ZHIFU_AUDIT_OFFLINE": "1"}


def advisory(name: str, *ranges: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    affected: dict[str, Any] = {
        "package": {"name": name, "ecosystem": extra.pop("ecosystem", "PyPI")},
        "ranges": [{"type": "ECOSYSTEM", "events": events} for events in ranges],
    }
    if "versions" in extra:
        affected["versions"] = extra.pop("versions")
    return {"id": extra.pop("id", "PYSEC-0000-1"), "aliases": ["CVE-0000-1"],
            "details": "A flaw.", "affected": [affected], **extra}  # fmt: skip


def matches(adv: dict[str, Any], name: str, version: str) -> list[Any]:
    return list(audit_deps.match_advisory(adv, {name: version}))


@pytest.mark.parametrize(
    ("version", "hit"),
    [("0.9", False), ("1.0", True), ("1.4.9", True), ("1.5", False), ("1.5.0rc1", True),
     ("2.0", True), ("2.2.post1", True), ("2.3", False), ("3.0", False)],
)  # fmt: skip
def test_dependency_audit_ranges_with_introduced_and_fixed(version: str, hit: bool) -> None:
    adv = advisory(
        "demo",
        [{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
    )
    assert bool(matches(adv, "demo", version)) is hit


@pytest.mark.parametrize(("version", "hit"), [("1.9", True), ("2.0", True), ("2.0.1", False)])
def test_dependency_audit_last_affected_is_inclusive(version: str, hit: bool) -> None:
    adv = advisory("demo", [{"introduced": "0"}, {"last_affected": "2.0"}])
    assert bool(matches(adv, "demo", version)) is hit


def test_dependency_audit_an_open_range_has_no_fix_yet() -> None:
    [match] = matches(advisory("demo", [{"introduced": "3.1"}]), "demo", "4.0")
    assert "no fix yet" in match.why
    assert match.fixed == ()


def test_dependency_audit_versions_list_alone_matches() -> None:
    adv = advisory("demo", versions=["1.2", "1.3"])
    adv["affected"][0]["ranges"] = []
    assert matches(adv, "demo", "1.3")
    assert not matches(adv, "demo", "1.4")


def test_dependency_audit_names_are_compared_normalised() -> None:
    adv = advisory("Zope.Interface", [{"introduced": "0"}, {"fixed": "6"}])
    pins = audit_deps.read_pins(["zope_interface==5.0  # via x", "Other==1"])
    assert [m.package for m in audit_deps.match_advisory(adv, pins)] == ["zope-interface"]


def test_dependency_audit_other_ecosystems_and_withdrawn_advisories_do_not_match() -> None:
    events = [{"introduced": "0"}]
    assert not matches(advisory("demo", events, ecosystem="npm"), "demo", "1.0")
    assert not matches(advisory("demo", events, withdrawn="2026-01-01T00:00:00Z"), "demo", "1.0")


def test_dependency_audit_report_lists_matches_and_the_snapshots_age(tmp_path: Path) -> None:
    snapshot = make_snapshot(tmp_path, [
        advisory("setuptools", [{"introduced": "0"}, {"fixed": "83.0.0"}], id="PYSEC-1"),
        advisory("django", [{"introduced": "5.2"}, {"fixed": "5.2.10"}], id="PYSEC-2"),
    ])  # fmt: skip
    lock = write(tmp_path / "requirements.lock", "Django==5.2.19\nsetuptools==80.9.0\n")
    accepted = write(tmp_path / "accepted.toml", ACCEPTED_SETUPTOOLS)
    out = io.StringIO()
    env = {**OFFLINE, "ZHIFU_ADVISORY_DB": str(snapshot)}
    assert audit_deps.audit([lock], env, TODAY, out, accepted) == 0
    text = out.getvalue()
    assert "snapshot of 2026-07-23, 131 days old" in text
    assert "setuptools 80.9.0: PYSEC-1 [CVE-0000-1] applies: 80.9.0 is in >= 0, < 83.0.0" in text
    assert "ACCEPTED (build time only)" in text
    assert "django" not in text.split("\n", 2)[2]  # 5.2.19 is past the fix: no match
    assert "1 matches, 1 accepted, 0 not" in text


def test_dependency_audit_fails_on_a_match_not_accepted(tmp_path: Path) -> None:
    snapshot = make_snapshot(tmp_path, [advisory("setuptools", [{"introduced": "0"}])])
    lock = write(tmp_path / "requirements.lock", "setuptools==80.9.0\n")
    out = io.StringIO()
    env = {**OFFLINE, "ZHIFU_ADVISORY_DB": str(snapshot)}
    assert audit_deps.audit([lock], env, TODAY, out, tmp_path / "none.toml") == 1
    assert "NOT ACCEPTED" in out.getvalue()


def test_dependency_audit_fails_when_it_audited_nothing(tmp_path: Path) -> None:
    snapshot = make_snapshot(tmp_path, [advisory("unrelated", [{"introduced": "0"}])])
    lock = write(tmp_path / "requirements.lock", "setuptools==80.9.0\n")
    env = {**OFFLINE, "ZHIFU_ADVISORY_DB": str(snapshot)}
    with pytest.raises(audit_deps.AuditError, match="no advisory for any pinned package"):
        audit_deps.audit([lock], env, TODAY, io.StringIO(), tmp_path / "none.toml")
    empty = write(tmp_path / "empty.lock", "# nothing pinned\n")
    with pytest.raises(audit_deps.AuditError, match="nothing to audit"):
        audit_deps.audit([empty], env, TODAY, io.StringIO(), tmp_path / "none.toml")
    with pytest.raises(audit_deps.AuditError, match="ZHIFU_ADVISORY_DB"):
        audit_deps.audit([lock], {**OFFLINE, "ZHIFU_ADVISORY_DB": str(tmp_path / "missing")},
                         TODAY, io.StringIO(), tmp_path / "none.toml")  # fmt: skip


def test_dependency_audit_accepted_entries_need_a_reason(tmp_path: Path) -> None:
    bad = write(tmp_path / "a.toml", '[[accepted]]\nid = "X"\npackage = "p"\nreviewed = "d"\n')
    with pytest.raises(audit_deps.AuditError, match="lacks reason"):
        audit_deps.read_accepted(bad)


def test_dependency_audit_the_repositorys_accepted_file_is_reviewed() -> None:
    accepted = audit_deps.read_accepted(audit_deps.ACCEPTED)
    assert accepted, "accepted-advisories.toml lists the reviewed exceptions"
    assert all(entry["reason"] and entry["reviewed"] for entry in accepted.values())


ACCEPTED_SETUPTOOLS = """
[[accepted]]
id = "CVE-0000-1"
package = "setuptools"
reason = "build time only"
reviewed = "2026-12-01"
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def make_snapshot(tmp_path: Path, advisories: list[dict[str, Any]]) -> Path:
    path = tmp_path / "pypa-advisory-database-2026-07-23.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for n, adv in enumerate(advisories):
            data = yaml.safe_dump({**adv, "modified": "2026-07-14T10:00:00Z"}).encode()
            name = adv["affected"][0]["package"]["name"]
            info = tarfile.TarInfo(f"vulns/{name}/{adv['id']}-{n}.yaml")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path
