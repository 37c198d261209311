#!/usr/bin/env python3
"""Issue 18: `plugboard convert` of Kubernetes 1.13 (Swagger 2.0, 4.2 MB) against swagger2openapi,
as whole processes, in alternating rounds (6 runs of ours, 1 of the peer, 10 rounds) so that both
see the same load. Prints the median CPU time (user + sys, from wait4) and wall time of each.

    tests/benches/convert_cli.py PLUGBOARD SPEC PEER [new|overwrite]

PLUGBOARD: the release CLI (cargo build --release -p plugboard-cli); SPEC: kubernetes-1.13.json
(tests/benches/specs.sh or tests/fetch-real-specs.sh fetch it); PEER: swagger2openapi 7.0.8's
executable (npm). `new` (default) removes each output before its run; `overwrite` replaces it,
which on ext4 costs ours a few ms more: renaming over an existing file starts its writeback.
Not run by CI.
"""
import os
import statistics
import sys
import tempfile
import time


def run(argv, out, fresh):
    if fresh and os.path.exists(out):
        os.remove(out)
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        sys.exit(f"failed ({status}): {' '.join(argv)}")
    return usage.ru_utime + usage.ru_stime, wall


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    plugboard, spec, peer = sys.argv[1:4]
    mode = sys.argv[4] if len(sys.argv) > 4 else "new"
    work = tempfile.mkdtemp(prefix="convert-cli-")
    ours_out, peer_out = os.path.join(work, "ours.json"), os.path.join(work, "peer.json")
    ours_argv = [plugboard, "convert", "--output", ours_out, spec]
    peer_argv = [peer, spec, "-o", peer_out]
    ours, theirs = [], []
    for _ in range(10):
        ours += [run(ours_argv, ours_out, mode == "new") for _ in range(6)]
        theirs.append(run(peer_argv, peer_out, mode == "new"))
    cpu = [statistics.median(x for x, _ in runs) for runs in (ours, theirs)]
    wall = [statistics.median(x for _, x in runs) for runs in (ours, theirs)]
    print(
        f"{mode}: CPU {cpu[0] * 1000:.1f} ms vs {cpu[1] * 1000:.0f} ms = {cpu[1] / cpu[0]:.1f}x; "
        f"wall {wall[0] * 1000:.1f} ms vs {wall[1] * 1000:.0f} ms = {wall[1] / wall[0]:.1f}x "
        f"({len(ours)} runs of ours, {len(theirs)} of the peer)"
    )


if __name__ == "__main__":
    main()
