#!/usr/bin/env python3
"""`veloscope serve` on a generated backup, through the real kubectl, against the CLI on the same
sidecar in the same run (issue 17 asks for at most 2x): listing one namespace's pods by name
against `ls -n`, and one object against `show`. Also the server's peak RSS while serving, against
the `index` command's peak for the same backup.

Then the apiserver targets (issue 23), on every pod of the backup:
- the server's 500-row Table pages, as `kubectl get pods -A` asks for them (each page timed on one
  kept-alive connection; median page), and the same pages with a field selector the index lacks
  (`status.phase=Running`, which needs the bodies), as a ratio to the plain page;
- one list of every pod without `limit` (JSON, median of the runs);
- `kubectl get pods -A` against the server, and against a server that answers instantly: a Python
  server replaying the answers recorded from ours (kubectl's own rate limit and parsing are the
  floor).

Usage: benches/serve.py [--items N] [--runs N]
"""
import http.client
import http.server
import json
import os
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse

from common import BENCH, VELOSCOPE, build, items_and_runs, measure, run, synth, table


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def pages(plain_url, token, query, accept=TABLE):
    """Every page of all pods, 500 rows each, on one connection: the seconds of each request."""
    url = urllib.parse.urlsplit(plain_url)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    times, token_ = [], ""
    while True:
        q = dict(query, limit="500")
        if token_:
            q["continue"] = token_
        start = time.perf_counter()
        conn.request("GET", "/api/v1/pods?" + urllib.parse.urlencode(q), headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        times.append(time.perf_counter() - start)
        if resp.status != 200:
            raise SystemExit(f"page {len(times)}: {resp.status} {body[:200]!r}")
        token_ = json.loads(body)["metadata"].get("continue", "")
        if not token_:
            return times


def whole_list(plain_url, token):
    """Seconds for every pod in one JSON list without `limit`, and how many came."""
    url = urllib.parse.urlsplit(plain_url)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    start = time.perf_counter()
    conn.request("GET", "/api/v1/pods", headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    took = time.perf_counter() - start
    return took, len(json.loads(body)["items"])


class Recorder:
    """Forwards kubectl's requests to the real server once and keeps each answer; then answers
    them again at once from memory: the server that answers instantly."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.answers = {}
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                key = (self.path, self.headers.get("Accept", ""))
                if key not in recorder.answers:
                    conn = http.client.HTTPConnection(recorder.upstream.hostname,
                                                      recorder.upstream.port)
                    conn.request("GET", self.path, headers={
                        k: v for k, v in self.headers.items() if k.lower() != "host"})
                    resp = conn.getresponse()
                    recorder.answers[key] = (resp.status, resp.getheader("Content-Type", ""),
                                             resp.read())
                status, ctype, body = recorder.answers[key]
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # TLS as ours speaks it to kubectl (which sends no token over plain HTTP): a
        # self-signed certificate the kubeconfig skips verifying.
        cert, key = os.path.join(BENCH, ".instant.crt"), os.path.join(BENCH, ".instant.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-keyout", key, "-out", cert], check=True,
                       capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"


def instant_kubeconfig(path, server, token):
    with open(path, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "{server}", insecure-skip-tls-verify: true}}}}]
users: [{{name: u, user: {{token: "{token}"}}}}]
contexts: [{{name: c, context: {{cluster: c, user: u}}}}]
current-context: c
""")


def main():
    args = items_and_runs(__doc__, runs=5)
    build()
    # Velero's layout: a namespace's pods lie together, as in a real backup.
    # 40% pods, as the 100k-item backup had (40k pods).
    archive = synth(args.items, f"{args.items // 1000}k-velero-order-40pods.tar.gz",
                    velero_order=True, pod_percent=40)
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
        # The server's peak so far after each phase: where a peak comes from.
        phases = [("kubectl and curl per namespace", peak_rss_kib(server.pid))]

        # The apiserver targets over every pod.
        plain, filtered = [], []
        for _ in range(args.runs):
            plain += pages(plain_url, token, {})
            filtered += pages(plain_url, token, {"fieldSelector": "status.phase=Running"})
        phases.append(("500-row pages, plain and field-selected", peak_rss_kib(server.pid)))
        whole = [whole_list(plain_url, token) for _ in range(args.runs)]
        phases.append(("lists without limit", peak_rss_kib(server.pid)))
        recorder = Recorder(plain_url)
        instant_cfg = os.path.join(work, "instant.kubeconfig")
        instant_kubeconfig(instant_cfg, recorder.url, token)
        get_all = {
            "kubectl get pods -A (serve)": (kubectl + ["get", "pods", "-A"], (0,)),
            "kubectl get pods -A (instant)": (["kubectl", "--kubeconfig", instant_cfg,
                                               f"--cache-dir={work}/c2", "get", "pods", "-A"],
                                              (0,)),
        }
        for cmd, _ in get_all.values():  # discovery cached, the answers recorded
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        all_med, all_rss = measure(get_all, args.runs)
        serve_rss = peak_rss_kib(server.pid)
        phases.append(("kubectl get pods -A", serve_rss))
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
    print("  server peak after each phase: " + "; ".join(f"{name} {kib / 1024:.1f} MiB"
                                                         for name, kib in phases))
    page, page_f = statistics.median(plain), statistics.median(filtered)
    took, count = statistics.median(t for t, _ in whole), whole[0][1]
    print(f"\napiserver targets over all {count} pods ({len(plain) // args.runs} pages a list):")
    print(f"  Table page of 500 rows, median: {page * 1000:.1f} ms (target <= 20 ms)")
    print(f"  same page with fieldSelector=status.phase=Running: {page_f * 1000:.1f} ms, "
          f"{page_f / page:.2f}x the plain page (target <= 2x)")
    print(f"  every pod in one list without limit: {took:.2f} s (target <= 2 s)")
    table(get_all, all_med, all_rss, ["kubectl get pods -A (instant)"])
    print(f"  kubectl get pods -A: {all_med['kubectl get pods -A (serve)'] / all_med['kubectl get pods -A (instant)']:.2f}x "
          "the instant server (target <= 1.2x)")


if __name__ == "__main__":
    main()
