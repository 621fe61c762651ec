"""Runs scim2-tester (https://pypi.org/project/scim2-tester/) against a live Tessera SCIM
endpoint and writes every check's outcome as JSON.

Usage: conformance.py BASE_URL TOKEN OUT_JSON

BASE_URL is `<public url>/scim/v2`; TOKEN a provisioning connection's bearer token. The Rust
test `crates/tessera-cli/tests/scim.rs` starts the server, runs this script and decides
which outcomes are acceptable.
"""

import json
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server


def main() -> int:
    base_url, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
    http = httpx2.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    client = SyncSCIMClient(http)
    results = check_server(client, raise_exceptions=False)
    rows = [
        {
            "title": r.title,
            "status": r.status.name,
            "resource_type": r.resource_type,
            "reason": r.reason,
            "tags": sorted(r.tags or []),
        }
        for r in results
    ]
    with open(out, "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=1, default=str)
    for r in rows:
        print(f"{r['status']:<10} {r['resource_type'] or '-':<8} {r['title']}: {r['reason'] or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
