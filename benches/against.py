#!/usr/bin/env python3
"""This tree against an earlier revision of veloscope, on the same generated backups: for a change
that should not alter speed (a refactor), every command's median time and peak RSS, as a ratio
new/old in one interleaved run. Builds the revision in a worktree under target/baseline/.

Usage: benches/against.py REV [--sizes 100000,1000000] [--runs 3] [--skip COMMAND]...
                          [--old-binary PATH] [--new-binary PATH]
(--skip leaves out a command by its row name, e.g. one the old revision takes minutes on;
--old-binary and --new-binary use release binaries built elsewhere, REV then only names the
baseline; the generated backups must already be under target/bench/ when --new-binary is given.)
"""
import argparse
import os
import shutil
import subprocess

from common import BENCH, ROOT, VELOSCOPE, build, measure, synth


def baseline(rev):
    """The veloscope binary of `rev`, built once."""
    tree = os.path.join(ROOT, "target", "baseline", "tree")
    out = os.path.join(ROOT, "target", "baseline", "target")
    if os.path.exists(tree):
        subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, check=False)
        shutil.rmtree(tree, ignore_errors=True)
    subprocess.run(["git", "worktree", "add", "--detach", tree, rev], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "veloscope"], cwd=tree,
                   env=dict(os.environ, CARGO_TARGET_DIR=out), check=True)
    binary = os.path.join(ROOT, "target", "baseline", "veloscope")
    shutil.copy(os.path.join(out, "release", "veloscope"), binary)
    subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, check=False)
    return binary


def bench(items, runs, old, new, skip=()):
    name = f"{items // 1000}k"
    a = synth(items, f"{name}.tar.gz")
    b = synth(items, f"{name}-changed1pct.tar.gz", mutate_percent=1)
    # Each binary indexes its own copy: their sidecar formats may differ.
    copies = {}
    for label, binary in (("new", new), ("old", old)):
        for side, src in (("", a), ("-changed1pct", b)):
            copy = os.path.join(BENCH, f"{name}{side}-{label}.tar.gz")
            if not os.path.exists(copy):
                shutil.copy(src, copy)
            subprocess.run([binary, "index", copy, "-q"], check=True, stdout=subprocess.DEVNULL)
            copies[label + side] = copy
    ns = "ns-0000"
    commands = {}
    for label, binary in (("new", new), ("old", old)):
        v = [binary, "--no-progress", "-q"]
        c = copies[label]
        runs_of = {
            "index": (v + ["index", c, "--out", c + ".bench.vsidx"], (0,)),
            "inspect --no-index": (v + ["inspect", c, "--no-index", "-o", "json"], (0,)),
            "ls -n (sidecar)": (v + ["ls", c, "--include-namespaces", ns, "-o", "json"], (0,)),
            "preview -n (sidecar)": (v + ["preview", c, "--include-namespaces", ns, "-o",
                                          "json"], (0,)),
            "plan -n (sidecar)": (v + ["plan", c, "--include-namespaces", ns, "-o", "json"],
                                  (0,)),
            "inspect (sidecar)": (v + ["inspect", c, "-o", "json"], (0,)),
            "diff A B --no-index": (v + ["diff", a, b, "--no-index", "-o", "json"], (0, 1)),
            "diff A B (sidecars)": (v + ["diff", c, copies[label + "-changed1pct"], "-o",
                                         "json"], (0, 1)),
            "verify": (v + ["verify", c, "-o", "json"], (0, 1)),
        }
        for what in skip:
            runs_of.pop(what, None)
        for what, cmd in runs_of.items():
            commands[f"{what} [{label}]"] = cmd
    med, rss = measure(commands, runs)
    rows = []
    for what in runs_of:
        new, old_ = f"{what} [new]", f"{what} [old]"
        rows.append([what, f"{med[new]:.3f}", f"{med[old_]:.3f}", f"{med[new] / med[old_]:.2f}",
                     f"{rss[new] // 1024}", f"{rss[old_] // 1024}"])
    print(f"\n{name} items, medians of {runs} interleaved runs")
    head = ["command", "new s", "old s", "new/old", "new MiB", "old MiB"]
    widths = [max(len(str(r[i])) for r in rows + [head]) + 2 for i in range(len(head))]
    for r in [head] + rows:
        print("".join(f"{str(c):<{w}}" for c, w in zip(r, widths)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rev")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--old-binary")
    ap.add_argument("--new-binary")
    args = ap.parse_args()
    if args.new_binary is None:
        build()
    new = args.new_binary or VELOSCOPE
    old = args.old_binary or baseline(args.rev)
    for items in map(int, args.sizes.split(",")):
        bench(items, args.runs, old, new, args.skip)


if __name__ == "__main__":
    main()
