#!/usr/bin/env python3
"""Runs every shell block of the project's Markdown files as written, so the README never drifts
from what works.

    tests/readme-check.py                 # every tracked *.md file
    tests/readme-check.py README.md       # one file
    tests/readme-check.py --list          # the blocks and what would happen to each

A block fenced as ```sh, ```bash or ```shell runs in `bash -euo pipefail` from the repository
root, in its own process group (what it starts in the background is stopped when it ends), with
the freshly built `plugboard` and `demo-api` first on PATH, and at most BLOCK_TIMEOUT seconds
(default 600). Other fences (```text for command synopses, ```json, ```yaml ...) are not run.

A block that cannot run here says so, right above its fence, with a reason:

    <!-- readme-check: skip (needs systemd and /var/lib/plugboard) -->

Exit 0 when every runnable block succeeded; 1 when one failed (its output is shown); 2 on a usage
error. Needs python3, bash, cargo, curl and jq.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNABLE = {"sh", "bash", "shell"}
SKIP = re.compile(r"<!--\s*readme-check:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->")


def blocks(path):
    """Yields (line, language, text, skip reason or None) for each fenced block of a file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r"^(```+|~~~+)\s*([\w+-]*)", lines[index])
        if not fence:
            index += 1
            continue
        marker, language = fence.group(1), fence.group(2).lower()
        start = index
        body = []
        index += 1
        while index < len(lines) and not lines[index].startswith(marker):
            body.append(lines[index])
            index += 1
        index += 1
        previous = next((l for l in reversed(lines[:start]) if l.strip()), "")
        skip = SKIP.search(previous)
        yield start + 1, language, "\n".join(body) + "\n", skip.group("reason") if skip else None


def build():
    """Builds the binaries the blocks call and returns the directory they are in."""
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "plugboard-cli", "-p", "plugboard-tests",
         "--bin", "plugboard", "--bin", "demo-api"],
        cwd=ROOT, check=True)
    # Cargo reads a relative CARGO_TARGET_DIR from ROOT; PATH must not hold a relative directory
    # (a block that cd's would lose the binaries).
    target = ROOT / os.environ.get("CARGO_TARGET_DIR", "target")
    return target / "debug"


def run(text, bin_dir, timeout):
    """Runs one block; returns (exit code, output, seconds)."""
    scratch = tempfile.mkdtemp(prefix="readme-block-")
    # `mktemp` in a block makes its files here; they go when the block ends.
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               TMPDIR=scratch)
    started = time.monotonic()
    # Output goes to a file, not a pipe: what the block leaves running in the background would
    # hold a pipe open after the block ended.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", text], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = process.wait(timeout=timeout)
            note = b""
        except subprocess.TimeoutExpired:
            code = 124
            note = f"\n(timed out after {timeout} s)\n".encode()
        finally:
            # What the block started in the background (servers) ends with it, also when this
            # script is interrupted (the block's own session gets no Ctrl-C from the terminal).
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        log.seek(0)
        output = log.read() + note
    shutil.rmtree(scratch, ignore_errors=True)
    return code, output.decode("utf-8", "replace"), time.monotonic() - started


def main(argv):
    # SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so a running block's processes go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    listing = "--list" in argv
    names = [a for a in argv if a != "--list"]
    if any(a.startswith("-") for a in names):
        print(__doc__, file=sys.stderr)
        return 2
    if names:
        files = [Path(n).resolve() for n in names]
    else:
        # NUL-separated: names with spaces or non-ASCII letters as they are (not quoted).
        tracked = subprocess.run(["git", "ls-files", "-z", "*.md"], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        files = [ROOT / os.fsdecode(f) for f in tracked.split(b"\0") if f]
    timeout = int(os.environ.get("BLOCK_TIMEOUT", "600"))
    found = [(f, *b) for f in files for b in blocks(f) if b[1] in RUNNABLE]
    if listing:
        for path, line, _, _, skip in found:
            print(f"{path.relative_to(ROOT)}:{line}: {'skip: ' + skip if skip else 'run'}")
        return 0
    try:
        bin_dir = build()
    except subprocess.CalledProcessError as error:
        print(f"readme blocks: cannot build the binaries the blocks call ({error})", file=sys.stderr)
        return 1
    failed = 0
    for path, line, _, text, skip in found:
        where = f"{path.relative_to(ROOT)}:{line}"
        if skip:
            print(f"skip  {where} ({skip})")
            continue
        code, output, seconds = run(text, bin_dir, timeout)
        if code == 0:
            print(f"ok    {where} ({seconds:.1f} s)")
        else:
            failed += 1
            print(f"FAIL  {where} (exit {code}, {seconds:.1f} s):\n{text}--- output ---\n{output}")
    ran = sum(1 for f in found if not f[4])
    print(f"readme blocks: {ran - failed} of {ran} passed, {len(found) - ran} skipped with a reason")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
