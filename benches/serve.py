#!/usr/bin/env python3
"""`veloscope serve` on a generated backup, through the real kubectl, against the CLI on the same
sidecar in the same run (issue 17 asks for at most 2x): listing one namespace's pods by name
against `ls -n`, and one object against `show`. Also the server's peak RSS while serving, against
the `index` command's peak for the same backup.

Usage: benches/serve.py [--items N] [--runs N]
"""
import json
import os
import subprocess
import tempfile
import time

from common import BENCH, VELOSCOPE, build, items_and_runs, measure, run, synth, table


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    args = items_and_runs(__doc__, runs=5)
    build()
    # Velero's layout: a namespace's pods lie together, as in a real backup.
    archive = synth(args.items, f"{args.items // 1000}k-velero-order.tar.gz", velero_order=True)
    _, index_rss = run([VELOSCOPE, "-q", "index", archive])
    ns = "ns-0000"
    pods = json.loads(subprocess.run(
        [VELOSCOPE, "-q", "ls", archive, "--include-namespaces", ns, "--include-resources", "pods",
         "-o", "json"], check=True, capture_output=True).stdout)
    pod = pods[len(pods) // 2]["name"]
    work = tempfile.mkdtemp()
    kubeconfig = os.path.join(work, "kubeconfig")
    server = subprocess.Popen([VELOSCOPE, "serve", archive, "--listen", "127.0.0.1:0",
                               "--write-kubeconfig", kubeconfig],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while "read-only at" not in server.stderr.readline():
            time.sleep(0.01)
        kubectl = ["kubectl", "--kubeconfig", kubeconfig, f"--cache-dir={work}/cache"]
        subprocess.run(kubectl + ["api-resources"], check=True, stdout=subprocess.DEVNULL)
        v = [VELOSCOPE, "-q", "--no-progress"]
        server_url = next(line.split()[-1] for line in open(kubeconfig) if "server:" in line)
        token = next(line.split()[-1].strip("'\"") for line in open(kubeconfig) if "token:" in line)
        # Plain HTTP on the same port (loopback), with the kubeconfig's token.
        plain_url = server_url.replace("https://", "http://")
        commands = {
            # kubectl's own floor: process start, kubeconfig, discovery cache, one request.
            "kubectl get --raw /version": (kubectl + ["get", "--raw", "/version"], (0,)),
            # The server's part of the list: the same objects in one answer, fetched by curl.
            "curl pods -n NS (server)": (["curl", "-sf", "-o", "/dev/null", "-H",
                                          f"Authorization: Bearer {token}",
                                          f"{plain_url}/api/v1/namespaces/{ns}/pods"], (0,)),
            "ls -n NS": (v + ["ls", archive, "--include-namespaces", ns, "--include-resources",
                              "pods", "-o", "json"], (0,)),
            "kubectl get pods -n NS -o name": (kubectl + ["get", "pods", "-n", ns, "-o", "name"],
                                               (0,)),
            "show POD": (v + ["show", archive, "pods", pod, "-n", ns], (0,)),
            "kubectl get pod POD -o json": (kubectl + ["get", "pod", pod, "-n", ns, "-o", "json"],
                                            (0,)),
        }
        med, rss = measure(commands, args.runs)
        serve_rss = peak_rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(f"archive: {archive} ({args.items} items, {len(pods)} pods in {ns}), {args.runs} runs, "
          f"{os.cpu_count()} cores")
    table(commands, med, rss, ["ls -n NS", "show POD"])
    floor = med["kubectl get --raw /version"]
    net = med["kubectl get pods -n NS -o name"] - floor
    print(f"kubectl list less kubectl's floor: {net:.3f} s ({net / med['ls -n NS']:.2f}x ls -n NS)")
    print(f"server peak RSS {serve_rss / 1024:.1f} MiB; index peak RSS {index_rss / 1024:.1f} MiB "
          f"(ratio {serve_rss / max(index_rss, 1):.2f})")


if __name__ == "__main__":
    main()
