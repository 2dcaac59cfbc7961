"""Fetch the pinned browser libraries with `npm pack` and check them against committed sha256s.

Exit codes: 0 ready, 3 npm is missing (the app still works without JavaScript),
2 a download failed or a checksum did not match. Errors are one sentence, never a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "tooling" / "vendor.sha256"
VENDOR = ROOT / "static" / "vendor"

NPM_MISSING = 3
FAILED = 2


def pinned(lock: Path) -> list[tuple[str, str, str]]:
    """Return (package spec, member path, sha256) for each line of the lock file."""
    entries = []
    for line in lock.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            spec, member, digest = line.split()
            entries.append((spec, member, digest))
    return entries


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(spec: str, member: str) -> bytes:
    npm = shutil.which("npm")
    if npm is None:
        raise LookupError
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [npm, "pack", spec, "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            raise OSError(result.stderr.strip().splitlines()[-1:] or ["npm pack failed"])
        with tarfile.open(tarballs[0]) as tar:
            extracted = tar.extractfile(member)
            if extracted is None:
                raise OSError(f"{member} is not in the package")
            return extracted.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK, help="the sha256 lock file")
    parser.add_argument("--dest", type=Path, default=VENDOR, help="where the files go")
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    for spec, member, digest in pinned(args.lock):
        target = args.dest / Path(member).name
        if target.exists() and sha256(target.read_bytes()) == digest:
            continue
        try:
            data = fetch(spec, member)
        except LookupError:
            print(f"htmx could not be fetched: npm is not installed (needed for {spec}).")
            return NPM_MISSING
        except (OSError, subprocess.TimeoutExpired) as error:
            print(f"{spec} could not be fetched with npm: {error}.")
            return FAILED
        if sha256(data) != digest:
            print(
                f"{spec} does not match the sha256 committed in {args.lock.name}; "
                "refusing to serve it."
            )
            return FAILED
        target.write_bytes(data)
        print(f"Fetched {spec} -> {target} (sha256 checked).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
