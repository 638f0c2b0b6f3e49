#!/usr/bin/env python3
"""The ki-reise container image, built from the project's own files: no base
image is pulled. The one layer holds the release binary, exactly the shared
libraries it links (as `ldd` resolves them on the build machine), a user and
group `ki-reise` (65532), the data folder as a volume, and the licence and
SBOM. The result is an OCI image layout in a tar (`podman load -i FILE`,
`skopeo copy oci-archive:FILE ...`).

    container-image.py build --bin target/release/ki-reise --out ki-reise-oci.tar
    container-image.py check ki-reise-oci.tar --bin target/release/ki-reise
    container-image.py extract ki-reise-oci.tar ROOTFS

`check` reads the layout back as a runtime would (index, manifest, config,
every digest and size) and compares the layer's files with what the binary
needs; `extract` unpacks the root file system for a run without a runtime.
Byte-identical output for the same binary and SOURCE_DATE_EPOCH.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time

UID = 65532
DATA = "/var/lib/ki-reise"
PORT = 8080
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def fail(message):
    print(f"container-image: {message}", file=sys.stderr)
    sys.exit(1)


def linked_libraries(binary):
    """Paths of the shared objects the binary loads, the loader included."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"ldd {binary}: {out.stderr.strip() or out.stdout.strip()}")
    paths = []
    for line in out.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            fail(f"{binary} needs a library this machine lacks: {line}")
        m = re.match(r"(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$", line)
        if m:
            paths.append(m.group(1))
    if not any("ld-linux" in p or "ld-musl" in p for p in paths) and paths:
        fail(f"ldd named no program loader for {binary}")
    return sorted(set(paths))


def version():
    text = open("Cargo.toml", encoding="utf-8").read()
    m = re.search(r'\[workspace\.package\][^\[]*?version\s*=\s*"([^"]+)"', text, re.S)
    return m.group(1) if m else "0.0.0"


def layer_entries(binary, sbom):
    """(path, mode, uid, data or None for a directory) in the image."""
    files = [("usr/bin/ki-reise", 0o755, 0, open(binary, "rb").read())]
    for lib in linked_libraries(binary):
        files.append((lib.lstrip("/"), 0o755, 0, open(os.path.realpath(lib), "rb").read()))
    etc = {
        "etc/passwd": f"root:x:0:0:root:/root:/sbin/nologin\nki-reise:x:{UID}:{UID}:ki-reise:{DATA}:/sbin/nologin\n",
        "etc/group": f"root:x:0:\nki-reise:x:{UID}:\n",
        "etc/nsswitch.conf": "hosts: files dns\n",
    }
    files += [(p, 0o644, 0, text.encode()) for p, text in etc.items()]
    files.append(("usr/share/doc/ki-reise/copyright", 0o644, 0,
                  open("packaging/debian/copyright", "rb").read()))
    files.append(("usr/share/doc/ki-reise/ki-reise.cdx.json", 0o644, 0, sbom))
    dirs = {(DATA.lstrip("/"), 0o750, UID), ("tmp", 0o1777, 0),
            ("proc", 0o555, 0), ("sys", 0o555, 0), ("dev", 0o755, 0)}
    for path, _, _, _ in files:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if not any(x[0] == d for x in dirs):
                dirs.add((d, 0o755, 0))
    entries = [(d, mode, uid, None) for d, mode, uid in dirs] + files
    return sorted(entries, key=lambda e: e[0])


def tar_bytes(entries, mtime):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, mode, uid, data in entries:
            info = tarfile.TarInfo(path)
            info.mode, info.uid, info.gid, info.mtime = mode, uid, uid, mtime
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def build(args):
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH") or subprocess.run(
        ["git", "log", "-1", "--format=%ct"], capture_output=True, text=True).stdout.strip() or 0)
    made = subprocess.run([sys.executable, "scripts/sbom.py"], capture_output=True,
                          env={**os.environ, "SOURCE_DATE_EPOCH": str(mtime)})
    if made.returncode != 0:
        fail(f"scripts/sbom.py: {made.stderr.decode().strip()}")
    sbom = made.stdout
    layer_tar = tar_bytes(layer_entries(args.bin, sbom), mtime)
    layer = gzip.compress(layer_tar, mtime=0)
    ver = version()
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))
    seconds = 1_000_000_000
    config = {
        "created": created,
        "architecture": {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine),
        "os": "linux",
        "config": {
            "User": f"{UID}:{UID}",
            "Env": ["PATH=/usr/bin", f"KI_REISE_DATA={DATA}", f"KI_REISE_BIND=0.0.0.0:{PORT}"],
            "Entrypoint": ["/usr/bin/ki-reise"],
            "Cmd": ["serve"],
            "WorkingDir": DATA,
            "ExposedPorts": {f"{PORT}/tcp": {}},
            "Volumes": {DATA: {}},
            "StopSignal": "SIGTERM",
            # Docker's field; podman reads it from images in Docker format
            # and from this config with --health-cmd unset.
            "Healthcheck": {"Test": ["CMD", "/usr/bin/ki-reise", "probe"],
                            "Interval": 30 * seconds, "Timeout": 5 * seconds,
                            "StartPeriod": 20 * seconds, "Retries": 3},
            "Labels": {
                "org.opencontainers.image.title": "ki-reise",
                "org.opencontainers.image.version": ver,
                "org.opencontainers.image.licenses": "EUPL-1.2",
                "org.opencontainers.image.description": "Die KI-Reise für Kommunen",
            },
        },
        "rootfs": {"type": "layers", "diff_ids": [sha(layer_tar)]},
        "history": [{"created": created, "created_by": "scripts/container-image.py build"}],
    }
    config_bytes = json.dumps(config, sort_keys=True, ensure_ascii=False).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": sha(config_bytes), "size": len(config_bytes)},
        "layers": [{"mediaType": LAYER, "digest": sha(layer), "size": len(layer)}],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": MANIFEST, "digest": sha(manifest_bytes),
                       "size": len(manifest_bytes),
                       "annotations": {"org.opencontainers.image.ref.name": f"ki-reise:{ver}"}}],
    }
    blobs = [config_bytes, manifest_bytes, layer]
    entries = [("blobs", 0o755, 0, None), ("blobs/sha256", 0o755, 0, None)]
    entries += [(f"blobs/sha256/{sha(b)[7:]}", 0o644, 0, b) for b in blobs]
    entries += [("index.json", 0o644, 0, json.dumps(index, sort_keys=True).encode()),
                ("oci-layout", 0o644, 0, b'{"imageLayoutVersion":"1.0.0"}')]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(tar_bytes(entries, mtime))
    print(f"{args.out}: ki-reise:{ver}, {len(layer) / 1e6:.1f} MB compressed, {sha(manifest_bytes)}")


def read_image(path):
    with tarfile.open(path) as tar:
        def blob(desc):
            data = tar.extractfile(f"blobs/sha256/{desc['digest'].split(':', 1)[1]}").read()
            if sha(data) != desc["digest"] or len(data) != desc["size"]:
                fail(f"{desc['digest']}: digest or size does not match its descriptor")
            return data
        layout = json.loads(tar.extractfile("oci-layout").read())
        if layout.get("imageLayoutVersion") != "1.0.0":
            fail("oci-layout names no image layout version 1.0.0")
        index = json.loads(tar.extractfile("index.json").read())
        manifest = json.loads(blob(index["manifests"][0]))
        config = json.loads(blob(manifest["config"]))
        layers = [blob(d) for d in manifest["layers"]]
    return index, manifest, config, layers


def check(args):
    index, manifest, config, layers = read_image(args.image)
    if manifest["mediaType"] != MANIFEST or len(layers) != 1:
        fail("expected one OCI manifest with one layer")
    layer_tar = gzip.decompress(layers[0])
    if config["rootfs"]["diff_ids"] != [sha(layer_tar)]:
        fail("the layer's diff_id does not match its uncompressed content")
    c = config["config"]
    if c["User"].split(":")[0] in ("", "0", "root"):
        fail("the image runs as root")
    if c["Healthcheck"]["Test"][:2] != ["CMD", "/usr/bin/ki-reise"] or DATA not in c["Volumes"]:
        fail("health check or data volume missing")
    with tarfile.open(fileobj=io.BytesIO(layer_tar)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    files = {n for n, m in members.items() if m.isfile()}
    libs = {p.lstrip("/") for p in linked_libraries(args.bin)}
    expected = {"usr/bin/ki-reise", "etc/passwd", "etc/group", "etc/nsswitch.conf",
                "usr/share/doc/ki-reise/copyright", "usr/share/doc/ki-reise/ki-reise.cdx.json"} | libs
    if files != expected:
        fail(f"unexpected files {sorted(files - expected)}, missing {sorted(expected - files)}")
    data = members[DATA.lstrip("/")]
    if data.uid != UID:
        fail(f"{DATA} belongs to uid {data.uid}, not the image's user")
    print(f"{args.image}: {index['manifests'][0]['annotations']['org.opencontainers.image.ref.name']}, "
          f"user {c['User']}, {len(files)} files ({len(libs)} libraries), volume {DATA}, "
          f"health check {' '.join(c['Healthcheck']['Test'][1:])}")


def extract(args):
    _, _, _, layers = read_image(args.image)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layers[0]))) as tar:
        tar.extractall(args.rootfs, filter="fully_trusted" if hasattr(tarfile, "data_filter") else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--bin", required=True)
    b.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("image")
    c.add_argument("--bin", required=True)
    e = sub.add_parser("extract")
    e.add_argument("image")
    e.add_argument("rootfs")
    args = parser.parse_args()
    {"build": build, "check": check, "extract": extract}[args.command](args)


if __name__ == "__main__":
    main()
