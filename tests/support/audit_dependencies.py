"""Audit the installed dependencies for known vulnerabilities with pip-audit.

pip-audit asks a vulnerability service about each installed package. Where that
service cannot be reached (an offline machine, a mirror that serves packages but not
advisories) every package comes back skipped: this script then says so plainly and
exits 0, because "not audited" is not "vulnerable". Any vulnerability found fails.
"""

from __future__ import annotations

import json
import subprocess
import sys


def main() -> int:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--progress-spinner",
            "off",
            "--skip-editable",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        print(
            "pip-audit: skipped, the vulnerability index could not be reached"
            f" ({completed.stderr.strip().splitlines()[-1:] or ['no output']})"
        )
        return 0
    dependencies = report.get("dependencies", [])
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    if not audited:
        print(
            f"pip-audit: skipped, the vulnerability index could not be reached;"
            f" {len(dependencies)} packages not audited"
        )
        return 0
    for dep in vulnerable:
        ids = ", ".join(vuln["id"] for vuln in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep['version']} is vulnerable: {ids}")
    skipped = len(dependencies) - len(audited)
    print(
        f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} vulnerable,"
        f" {skipped} not found on the index"
    )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
