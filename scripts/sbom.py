#!/usr/bin/env python3
"""CycloneDX 1.5 SBOM of the ki-reise binary and its licence check.

Reads `cargo metadata` (the locked dependency tree), follows the normal
(shipped) dependencies of the `ki-reise` package, and prints a CycloneDX
JSON document with each crate's purl, licence expression and the SHA-256
from Cargo.lock. With --check-licences it instead checks every shipped
crate's licence against the EUPL-compatible allow-list below and exits 1
naming those that fail.

  python3 scripts/sbom.py > target/ki-reise.cdx.json
  python3 scripts/sbom.py --check-licences
"""
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone

ROOT = "ki-reise"

# Licences whose terms let a crate be shipped inside an EUPL-1.2 program
# (permissive, or weak copyleft limited to the crate's own files).
ALLOWED = {
    "MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC",
    "Zlib", "0BSD", "Unlicense", "CC0-1.0", "BSL-1.0", "Unicode-3.0",
    "Unicode-DFS-2016", "MPL-2.0", "EUPL-1.2", "CDLA-Permissive-2.0",
    "OpenSSL", "bzip2-1.0.6",
}


def metadata():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def lock_checksums():
    sums, name, version = {}, None, None
    with open("Cargo.lock", encoding="utf-8") as f:
        for line in f:
            if m := re.match(r'name = "(.*)"', line):
                name = m.group(1)
            elif m := re.match(r'version = "(.*)"', line):
                version = m.group(1)
            elif m := re.match(r'checksum = "(.*)"', line):
                sums[(name, version)] = m.group(1)
    return sums


def shipped(meta):
    """Package ids reachable from ki-reise through normal dependencies."""
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = next(p["id"] for p in meta["packages"] if p["name"] == ROOT)
    seen, todo, edges = set(), [root], {}
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        normal = [
            d["pkg"] for d in nodes[pid]["deps"]
            if any(k["kind"] is None for k in d["dep_kinds"])
        ]
        edges[pid] = normal
        todo.extend(normal)
    return root, seen, edges


def licence_ok(expression):
    if not expression:
        return False
    text = expression.replace("/", " OR ")
    text = re.sub(r"\s+WITH\s+[\w.\-+]+", "", text)
    tokens = re.findall(r"\(|\)|[\w.\-+]+", text)
    python = []
    for t in tokens:
        if t in ("(", ")"):
            python.append(t)
        elif t == "OR":
            python.append("or")
        elif t == "AND":
            python.append("and")
        else:
            python.append(str(t in ALLOWED))
    try:
        return bool(eval(" ".join(python), {"__builtins__": {}}))  # only True/False/and/or
    except SyntaxError:
        return False


def purl(p):
    return f"pkg:cargo/{p['name']}@{p['version']}"


def main():
    meta = metadata()
    packages = {p["id"]: p for p in meta["packages"]}
    root, ids, edges = shipped(meta)
    if "--check-licences" in sys.argv:
        bad = sorted(
            f"{packages[i]['name']} {packages[i]['version']}: {packages[i]['license']}"
            for i in ids if not licence_ok(packages[i]["license"])
        )
        for line in bad:
            print(f"licence not allowed or missing: {line}", file=sys.stderr)
        print(f"{len(ids)} shipped crates checked, {len(bad)} with a licence outside the policy")
        sys.exit(1 if bad else 0)
    sums = lock_checksums()
    components = []
    for i in sorted(ids - {root}, key=lambda i: (packages[i]["name"], packages[i]["version"])):
        p = packages[i]
        c = {
            "type": "library",
            "bom-ref": purl(p),
            "name": p["name"],
            "version": p["version"],
            "purl": purl(p),
        }
        if p["license"]:
            c["licenses"] = [{"expression": p["license"]}]
        if (p["name"], p["version"]) in sums:
            c["hashes"] = [{"alg": "SHA-256", "content": sums[(p["name"], p["version"])]}]
        if p.get("description"):
            c["description"] = p["description"].strip()
        components.append(c)
    r = packages[root]
    # With SOURCE_DATE_EPOCH (reproducible builds) the same tree gives the
    # same bytes: the time is the source's, the serial number its hash.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    serial = (uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(components, sort_keys=True))
              if epoch else uuid.uuid4())
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        "metadata": {
            "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": [{"name": "scripts/sbom.py (ki-reise)"}],
            "component": {
                "type": "application",
                "bom-ref": purl(r),
                "name": r["name"],
                "version": r["version"],
                "purl": purl(r),
                "licenses": [{"expression": r["license"]}],
            },
        },
        "components": components,
        "dependencies": [
            {"ref": purl(packages[i]), "dependsOn": sorted({purl(packages[d]) for d in edges[i]})}
            for i in sorted(ids, key=lambda i: purl(packages[i]))
        ],
    }
    json.dump(bom, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
