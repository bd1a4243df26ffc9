"""Shared helpers for the benchmark scripts: build, generate archives, time commands."""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "target", "bench")
VELOSCOPE = os.path.join(ROOT, "target", "release", "veloscope")


def build():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "veloscope", "-p", "fixture-gen"],
                   cwd=ROOT, check=True)
    os.makedirs(BENCH, exist_ok=True)


def synth(items, name, mutate_percent=0, velero_order=False, pod_percent=None):
    """A generated backup under target/bench/, made once. With velero_order, items are grouped by
    resource, then namespace, as Velero writes them (else every namespace is spread over the
    whole archive, the worst case for reading one namespace's objects)."""
    path = os.path.join(BENCH, name)
    if not os.path.exists(path):
        cmd = [os.path.join(ROOT, "target/release/fixture-gen"), "synth", "--items", str(items),
               "--out", path]
        if mutate_percent:
            cmd += ["--mutate-percent", str(mutate_percent)]
        if velero_order:
            cmd += ["--velero-order"]
        if pod_percent is not None:
            cmd += ["--pod-percent", str(pod_percent)]
        subprocess.run(cmd, check=True)
    return path


def run(cmd, ok_codes=(0,)):
    """Wall seconds and peak RSS (KiB) of one run, stdout discarded. The RSS comes from
    /usr/bin/time (wait4 on the exec'd command itself), so the Python parent's size does not leak
    into it through the fork."""
    timed = os.path.exists("/usr/bin/time")
    rss_file = os.path.join(BENCH, ".rss")
    full = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd if timed else cmd
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(full, stdout=null, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) not in ok_codes:
        sys.exit(f"{' '.join(cmd)} failed: {err}")
    rss = usage.ru_maxrss
    if timed:
        with open(rss_file) as f:
            rss = int(f.read().strip().splitlines()[-1])
    return elapsed, rss


def measure(commands, runs):
    """Interleaved runs (machine noise hits all alike); median seconds and max RSS per name."""
    results = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cmd, ok) in commands.items():
            results[name].append(run(cmd, ok))
    med = {n: statistics.median(t for t, _ in r) for n, r in results.items()}
    rss = {n: max(m for _, m in r) for n, r in results.items()}
    return med, rss


def items_and_runs(description, runs=5):
    """The --items/--runs arguments every single-size script takes."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=runs)
    return ap.parse_args()


def table(commands, med, rss, baselines):
    """One row per command: median seconds, its ratio to each baseline, peak RSS."""
    width = max(len(n) for n in commands) + 2
    print(f"{'command':<{width}}{'median s':>10}"
          + "".join(f"{'vs ' + b:>{max(13, len(b) + 5)}}" for b in baselines) + f"{'peak RSS':>12}")
    for n in commands:
        print(f"{n:<{width}}{med[n]:>10.3f}"
              + "".join(f"{med[n] / med[b]:>{max(13, len(b) + 5) - 1}.2f}x" for b in baselines)
              + f"{rss[n] / 1024:>9.1f} MiB")
