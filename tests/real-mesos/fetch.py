#!/usr/bin/env python3
"""Downloads one file to a path and checks its SHA-256; keeps a file already there that matches.

Usage: fetch.py URL SHA256 DEST

Why not pip: the two mesos.* distributions on the package index are "bdist_dumb" tarballs with no
setup.py, which `pip download` fetches and then refuses. Their file URLs (the ones that
`pip download -v` prints) and digests are pinned in `install`, and this fetches exactly those.
"""

import hashlib
import os
import ssl
import sys
import time
import urllib.request


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tls_context():
    # The machine points pip at the system CA bundle; use the same one when it is set.
    cafile = os.environ.get("SSL_CERT_FILE") or os.environ.get("PIP_CERT")
    return ssl.create_default_context(cafile=cafile if cafile and os.path.exists(cafile) else None)


def download(url, dest, attempts=3):
    part = dest + ".part"
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=60, context=tls_context()) as r, \
                    open(part, "wb") as out:
                while True:
                    block = r.read(1 << 20)
                    if not block:
                        break
                    out.write(block)
            return part
        except OSError as e:
            if attempt == attempts:
                raise
            sys.stderr.write("fetch: %s (attempt %d of %d), retrying\n" % (e, attempt, attempts))
            time.sleep(2 * attempt)
    raise AssertionError("unreachable")


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: fetch.py URL SHA256 DEST\n")
        return 2
    url, want, dest = argv[1], argv[2].lower(), argv[3]
    if os.path.exists(dest) and sha256_of(dest) == want:
        return 0
    part = download(url, dest)
    got = sha256_of(part)
    if got != want:
        os.unlink(part)
        sys.stderr.write("fetch: %s has sha256 %s, expected %s; refusing it\n" % (url, got, want))
        return 1
    os.replace(part, dest)
    print("fetched %s (%d bytes, sha256 verified)" % (os.path.basename(dest), os.path.getsize(dest)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
