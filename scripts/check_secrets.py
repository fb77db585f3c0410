"""`make secrets`: no secret in any tracked file but the reviewed ones in .secrets.baseline.

Rescans the repository (git's tracked files) with detect-secrets on a copy of the baseline,
so the audit labels carry over and moved lines never dirty the tree. Every finding must be
labelled a false positive (a test fixture, a published demo value); a new one is unlabelled
and fails, and so does one labelled real. docs/development.md "Secrets" says how to review.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".secrets.baseline"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "baseline.json"
        shutil.copyfile(BASELINE, copy)
        tool = Path(sys.executable).with_name("detect-secrets")
        subprocess.run([tool, "scan", "--baseline", copy], cwd=ROOT, check=True)
        results = json.loads(copy.read_text())["results"]
    bad = [
        (path, found["line_number"], found["type"], found.get("is_secret"))
        for path, findings in sorted(results.items())
        for found in findings
        if found.get("is_secret") is not False
    ]
    for path, line, kind, verdict in bad:
        state = "labelled a real secret" if verdict else "not reviewed"
        print(f"{path}:{line}: {kind} ({state})", file=sys.stderr)
    if bad:
        print(
            f"detect-secrets: {len(bad)} finding(s) to remove or review: "
            "see docs/development.md, Secrets",
            file=sys.stderr,
        )
        return 1
    print(f"detect-secrets: {sum(map(len, results.values()))} reviewed finding(s), none new")
    return 0


if __name__ == "__main__":
    sys.exit(main())
