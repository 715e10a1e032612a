"""bench.py - the measurements behind docs/benchmarks.md, driven by bench/run.sh.

Everything runs on loopback: pouchdb-server with a mapping, nginx as the Matrix sink
(bench/nginx.conf.in), postfix's smtp-sink as the SMTP sink, the Release crier processes, and
crier-bench (bench/bench_client.c) as the load. Deliveries are counted at the sinks: nginx's
access log (one line per request, with its time) and smtp-sink's message counter. Apprise
(Debian's package, its Python API kept warm in this process) is measured against the same sinks.
Prints a Markdown table; --quick runs small counts only to check that everything works.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

ROOMS = [f"!room{n}:bench" for n in range(10)]
MAILBOX = "inbox@bench.example"
MAPPING = {
    "#one": {"matrix": ROOMS[:1]},
    "#ten": {"matrix": ROOMS},
    "#mixed": {"matrix": ROOMS[:1], "email": [MAILBOX]},
    "#mail": {"email": [MAILBOX]},
    # Pending nags (docs/nag.md): held by crier-ingest for an hour after each delivery.
    "#nagged": {"matrix": ROOMS[:1], "nag": {"after": "1h"}},
    # Throttles (docs/throttle.md): repeats of a key within an hour are counted, not sent.
    "#throttled": {"matrix": ROOMS[:1], "throttle": {"window": "1h"}},
    # End-to-end encryption: rooms of the homeserver double (the "e2ee" part).
    "#encrypted": {"matrix": ["!encrypted:bench"]},
    "#double": {"matrix": ["!plain:bench"]},
}
COUCH_PORT, MATRIX_PORT, SMTP_PORT = 15984, 18008, 12525
DOUBLE_PORT = 18010  # the homeserver double, for the encryption rows
MEMBERS, DEVICES_EACH = 10, 5  # 50 member devices in the encrypted room
MATRIX_TLS_PORT = 18443  # the same sink over HTTPS, HTTP/2 offered
PROCESSES = ["crier-resolver", "crier-ingest", "crier-sender-matrix", "crier-sender-email"]
READY = {"crier-resolver": "mapping.loaded", "crier-ingest": "ingest.ready",
         "crier-sender-matrix": "matrix.ready", "crier-sender-email": "sender.ready"}


class Failure(Exception):
    pass


def wait_until(what, condition, timeout):
    """Polls condition (a question to another process, no event to wait on) until deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def listening(port):
    import socket
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port, timeout=30):
    wait_until(f"port {port}", lambda: listening(port), timeout)


def die_with_parent():
    """Runs in each child before exec: SIGTERM when the harness dies, however it dies."""
    import ctypes
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LogTail:
    """The lines a growing log gained since the last call. The harness polls the sinks' logs
    while crier runs: reading them whole each time would take a core from what it measures."""

    def __init__(self, path):
        self.path, self.offset, self.partial = path, 0, b""

    def new_lines(self):
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            data = self.partial + log.read()
            self.offset = log.tell()
        lines = re.split(rb"[\r\n]", data)  # smtp-sink ends its count lines with \r
        self.partial = lines.pop()
        return [line.decode() for line in lines]


class Bench:
    def __init__(self, root, bin_dir, work, quick, count=100000):
        self.root, self.bin, self.work, self.quick = root, bin_dir, work, quick
        self.count = count
        self.children = {}
        self.crier = {}
        self.rows = []
        self.matrix_log = self.smtp_log = None
        self.matrix_count, self.matrix_last, self.email_count = 0, 0.0, 0

    # ---- processes -------------------------------------------------------------------------
    def spawn(self, name, argv, env=None, stdout=None):
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        process = subprocess.Popen(argv, env=env, stdout=stdout or log, stderr=log,
                                   stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        self.children[name] = process
        return process

    def stop(self, name, sig=signal.SIGTERM):
        process = self.children.pop(name, None)
        if process and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self):
        for name in reversed(list(self.children)):
            self.stop(name)

    def log_has(self, name, needle):
        with open(os.path.join(self.work, f"{name}.log")) as log:
            return needle in log.read()

    # ---- sinks -------------------------------------------------------------------------------
    def start_nginx(self):
        with open(os.path.join(self.root, "bench", "nginx.conf.in")) as template:
            config = template.read().replace("@WORK@", self.work)
        config = config.replace("@PORT@", str(MATRIX_PORT)).replace("@TLSPORT@",
                                                                    str(MATRIX_TLS_PORT))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", os.path.join(self.work, "tls-key.pem"),
                        "-out", os.path.join(self.work, "tls-cert.pem")],
                       check=True, capture_output=True)
        path = os.path.join(self.work, "nginx.conf")
        with open(path, "w") as out:
            out.write(config)
        open(os.path.join(self.work, "matrix.log"), "w").close()
        self.matrix_log = LogTail(os.path.join(self.work, "matrix.log"))
        self.spawn("nginx", ["nginx", "-c", path, "-p", self.work])
        wait_for_port(MATRIX_PORT)

    def start_smtp_sink(self):
        # -c: a running count of messages on standard output; 1024: the listen backlog.
        out = open(os.path.join(self.work, "smtp-sink.out"), "w")
        self.smtp_log = LogTail(os.path.join(self.work, "smtp-sink.out"))
        self.spawn("smtp-sink", ["smtp-sink", "-c", "-u", "nobody", f"127.0.0.1:{SMTP_PORT}",
                                 "1024"], stdout=out)
        wait_for_port(SMTP_PORT)

    def matrix_sends(self):
        """(count, time of the last) of send requests the Matrix sink has answered."""
        for line in self.matrix_log.new_lines():
            if "/send/" in line:
                self.matrix_count += 1
                self.matrix_last = float(line.split(" ", 1)[0])
        return self.matrix_count, self.matrix_last

    def matrix_send_lines(self):
        """Every send request in the Matrix sink's log (read whole: once per latency run)."""
        with open(os.path.join(self.work, "matrix.log")) as log:
            return [line.split() for line in log if "/send/" in line]

    def emails(self):
        """Messages smtp-sink has counted (it writes a running count)."""
        counts = re.findall(r"mesg=(\d+)", "\n".join(self.smtp_log.new_lines()))
        if counts:
            self.email_count = int(counts[-1])
        return self.email_count

    # ---- CouchDB and crier --------------------------------------------------------------------
    def couch(self, method, path, body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{COUCH_PORT}{path}", method=method,
                                         data=json.dumps(body).encode() if body else None)
        request.add_header("Authorization",
                           "Basic " + base64.b64encode(b"admin:bench-secret").decode())
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read())

    def start_couch(self):
        directory = os.path.join(self.work, "couchdb")
        os.makedirs(directory)
        with open(os.path.join(directory, "config.json"), "w") as config:
            json.dump({"admins": {"admin": "bench-secret"},
                       "log": {"file": os.path.join(directory, "log.txt")}}, config)
        self.spawn("pouchdb-server", [os.path.join(self.root, "node_modules/.bin/pouchdb-server"),
                                      "--host", "127.0.0.1", "--port", str(COUCH_PORT),
                                      "--dir", os.path.join(directory, "data"),
                                      "--config", os.path.join(directory, "config.json"),
                                      "--no-stdout-logs"])
        wait_for_port(COUCH_PORT)
        self.couch("PUT", "/crier")
        self.couch("PUT", "/crier/mapping", {"mapping": MAPPING})

    def crier_env(self, extra=None):
        env = dict(os.environ)
        links = ["CRIER_NOTIFICATIONS_ENDPOINT", "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                 "CRIER_EMAIL_DELIVERIES_ENDPOINT", "CRIER_EVENTS_PUBLISH_ENDPOINT",
                 "CRIER_EVENTS_ENDPOINT", "CRIER_INGEST_ENDPOINT", "CRIER_INGEST_ACK_ENDPOINT",
                 "CRIER_INGEST_CONTROL_ENDPOINT"]
        for index, name in enumerate(links):
            env[name] = f"ipc://{self.work}/link-{index}"
        env.update({
            "CRIER_COUCHDB_URL": f"http://127.0.0.1:{COUCH_PORT}",
            "CRIER_COUCHDB_USER": "admin", "CRIER_COUCHDB_PASSWORD": "bench-secret",
            "CRIER_MATRIX_HOMESERVER": f"http://127.0.0.1:{MATRIX_PORT}",
            "CRIER_MATRIX_ACCESS_TOKEN": "bench",
            "CRIER_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}", "CRIER_SMTP_TLS": "none",
            "CRIER_EMAIL_FROM": "crier <crier@bench.example>",
            "CRIER_DATA_DIR": os.path.join(self.work, "ingest"),
            "CRIER_LOG_LEVEL": "warn",
            # Room for the whole backlog test (100,000 waiting with the sinks stopped).
            "CRIER_MAX_BACKLOG": "1000000",
            # The large group's mapping (the "fanout" part).
            "CRIER_MAPPING_MAX_BYTES": "256MiB",
        })
        env.update(extra or {})
        return env

    def start_crier(self):
        env = self.crier_env({"CRIER_LOG_LEVEL": "info"})
        for name in PROCESSES:
            self.crier[name] = self.spawn(name, [os.path.join(self.bin, name)], env=env)
            wait_until(f"{name} ready", lambda: self.log_has(name, READY[name]), 60)

    def rss(self, name, field="VmRSS"):
        with open(f"/proc/{self.crier[name].pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # MiB
        return 0.0

    def cpu_times(self):
        """Each crier process's CPU time so far, (user, kernel) in seconds, from /proc."""
        ticks = os.sysconf("SC_CLK_TCK")
        times = {}
        for name, process in self.crier.items():
            with open(f"/proc/{process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            times[name] = (int(fields[11]) / ticks, int(fields[12]) / ticks)  # utime, stime
        return times

    def cpu_row(self, before, deliveries):
        """A row: the CPU time each crier process spent per delivery since before (µs)."""
        after = self.cpu_times()
        spent = {name: (after[name][0] - before[name][0], after[name][1] - before[name][1])
                 for name in after}
        total = sum(user + kernel for user, kernel in spent.values())
        parts = ", ".join(f"{name.replace('crier-', '')} {1e6 * (user + kernel) / deliveries:.1f}"
                          f" ({1e6 * kernel / deliveries:.1f} kernel)"
                          for name, (user, kernel) in spent.items() if user + kernel > 0)
        self.row("  ... CPU per delivery, all crier processes", f"{1e6 * total / deliveries:.1f} µs",
                 f"({parts})")
        return {name: 1e6 * (user + kernel) / deliveries for name, (user, kernel) in spent.items()}

    def push(self, *args):
        argv = [os.path.join(self.bin, "crier-bench"), "push",
                "--endpoint", self.crier_env()["CRIER_INGEST_ACK_ENDPOINT"
                                                if "--ack" in args
                                                else "CRIER_INGEST_ENDPOINT"]] + list(args)
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    # ---- measurements ------------------------------------------------------------------------
    def row(self, what, value, note=""):
        self.rows.append((what, value, note))
        print(f"  {what}: {value} {note}", file=sys.stderr, flush=True)

    def ceilings(self):
        seconds = "2s" if self.quick else "10s"
        wrk = subprocess.run(["wrk", "-t1", "-c64", "-d" + seconds, "-s",
                              os.path.join(self.root, "bench", "wrk-send.lua"),
                              f"http://127.0.0.1:{MATRIX_PORT}"],
                             check=True, capture_output=True, text=True).stdout
        matrix = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
        self.row("Matrix sink alone (wrk, 64 connections)", f"{matrix:,.0f} req/s")
        count = 500 if self.quick else 5000
        before = self.emails()
        start = time.monotonic()
        subprocess.run(["smtp-source", "-s", "20", "-m", str(count), "-l", "500",
                        "-t", MAILBOX, f"127.0.0.1:{SMTP_PORT}"], check=True)
        wait_until("smtp-source's messages", lambda: self.emails() >= before + count, 60)
        mail = count / (time.monotonic() - start)
        self.row("SMTP sink alone (smtp-source, 20 sessions)", f"{mail:,.0f} emails/s")
        return matrix, mail

    def throughput(self, group, count, rooms, emails, label):
        matrix_before, _ = self.matrix_sends()
        email_before = self.emails()
        cpu_before = self.cpu_times()
        start = time.time()
        pushed = self.push("--count", str(count), "--to", group)
        want_matrix, want_email = matrix_before + count * rooms, email_before + count * emails
        wait_until(f"{label} to reach the sinks",
                   lambda: self.matrix_sends()[0] >= want_matrix and self.emails() >= want_email,
                   600)
        end = time.time()
        if rooms:
            end = self.matrix_sends()[1] if not emails else max(end, self.matrix_sends()[1])
        deliveries = count * (rooms + emails)
        rate = count / (end - start)
        self.row(label, f"{rate:,.0f} notifications/s",
                 f"({deliveries / (end - start):,.0f} deliveries/s; client pushed at "
                 f"{pushed['rate']:,.0f}/s)")
        self.last_cpu = self.cpu_row(cpu_before, deliveries)
        return rate

    def curl_alone(self, count, sender_us):
        """The floor under the Matrix sender: libcurl alone sending the same requests, ten rooms
        in flight, its easy handles reused; and the sender's figure of the ten-room row as a
        multiple of it."""
        out = subprocess.run([os.path.join(self.bin, "crier-bench"), "curl", "--endpoint",
                              f"http://127.0.0.1:{MATRIX_PORT}", "--count", str(count),
                              "--window", "10"], check=True, capture_output=True, text=True).stdout
        floor = json.loads(out)
        alone = floor["user_us"] + floor["kernel_us"]
        self.row("libcurl alone, the same requests (ten rooms in flight, handles reused)",
                 f"{alone:.1f} µs CPU per request",
                 f"({floor['kernel_us']:.1f} kernel; crier-bench curl)")
        self.row("  ... the Matrix sender's CPU per delivery (ten rooms) as a multiple of it",
                 f"{sender_us / alone:.2f}")

    def restart_matrix_sender(self, extra):
        self.stop("crier-sender-matrix")
        env = self.crier_env(dict({"CRIER_LOG_LEVEL": "info"}, **extra))
        self.crier["crier-sender-matrix"] = self.spawn(
            "crier-sender-matrix", [os.path.join(self.bin, "crier-sender-matrix")], env=env)
        wait_until("the Matrix sender", lambda: self.log_has("crier-sender-matrix", "matrix.ready"),
                   60)

    def http2(self, n):
        """Ten rooms to the same sink in turn: plain HTTP/1.1, then HTTPS with HTTP/1.1 and with
        HTTP/2 (CRIER_MATRIX_HTTP=auto, ALPN)."""
        self.throughput("#ten", n // 10, 10, 0, "end to end, ten rooms, HTTP/1.1")
        tls = {"CRIER_MATRIX_HOMESERVER": f"https://127.0.0.1:{MATRIX_TLS_PORT}",
               "CRIER_MATRIX_CA_FILE": os.path.join(self.work, "tls-cert.pem")}
        self.restart_matrix_sender(dict(tls, CRIER_MATRIX_HTTP="1.1"))
        self.throughput("#ten", n // 10, 10, 0, "end to end, ten rooms, HTTPS, HTTP/1.1")
        self.restart_matrix_sender(tls)
        self.throughput("#ten", n // 10, 10, 0, "end to end, ten rooms, HTTPS, HTTP/2")
        self.restart_matrix_sender({})

    def latency(self, rate, count):
        times = os.path.join(self.work, f"times-{rate}.txt")
        before = self.matrix_sends()[0]
        prefix = f"lat{rate}"
        self.push("--count", str(count), "--to", "#one", "--rate", str(rate), "--ids", prefix,
                  "--times", times)
        wait_until("the latency run to reach the sink",
                   lambda: self.matrix_sends()[0] >= before + count, 300)
        percentile, samples = self.matrix_latencies(times, before)
        self.row(f"push-to-sink latency at {rate:,}/s (Matrix, {samples:,} samples)",
                 f"p50 {percentile(50):.1f} ms, p99 {percentile(99):.1f} ms, "
                 f"p99.9 {percentile(99.9):.1f} ms",
                 "(nginx logs whole milliseconds: ±0.5 ms)")

    def matrix_latencies(self, times, before):
        """The push-to-sink latencies of the notifications to #one in a times file (crier-bench
        push --times), from the sink's send lines after the first before: (percentile function
        in ms, samples)."""
        sent = {}
        with open(times) as lines:
            for line in lines:
                notification_id, at = line.split()
                digest = hashlib.sha1(f"{notification_id}\nmatrix\n{ROOMS[0]}\n".encode())
                sent[digest.hexdigest()] = float(at)
        # nginx's $msec is cut to the millisecond: a sample counts from the middle of its
        # millisecond (so it is right within 0.5 ms, and never below zero by the cut alone).
        latencies = sorted((float(fields[0]) * 1000 + 0.5 - sent[fields[2].rsplit("/", 1)[1]])
                           for fields in self.matrix_send_lines()[before:]
                           if fields[2].rsplit("/", 1)[1] in sent)

        def percentile(p):
            return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]
        return percentile, len(latencies)

    def ingest_alone(self, count):
        env = self.crier_env({
            "CRIER_NOTIFICATIONS_ENDPOINT": f"ipc://{self.work}/alone-drain",
            "CRIER_INGEST_ENDPOINT": f"ipc://{self.work}/alone-pull",
            "CRIER_INGEST_ACK_ENDPOINT": f"ipc://{self.work}/alone-ack",
            "CRIER_INGEST_CONTROL_ENDPOINT": f"ipc://{self.work}/alone-control",
            "CRIER_EVENTS_PUBLISH_ENDPOINT": f"ipc://{self.work}/alone-events",
            "CRIER_DATA_DIR": os.path.join(self.work, "ingest-alone"),
            "CRIER_LOG_LEVEL": "info",  # for ingest.ready; nothing per notification
            "CRIER_MAX_IN_FLIGHT": "10000000", "CRIER_MAX_BACKLOG": "10000000"})
        # CURVE: ingest's keys and one client's, made by crier keygen.
        keys = os.path.join(self.work, "curve")
        clients = os.path.join(keys, "clients")
        os.makedirs(clients, exist_ok=True)
        for key in ("ingest", "bench"):
            subprocess.run([os.path.join(self.bin, "crier"), "keygen", "--force", "--dir", keys,
                            key], check=True, capture_output=True)
        shutil.copy(os.path.join(keys, "bench"), clients)
        curve_server = {"CRIER_CURVE_SECRET_KEY_FILE": os.path.join(keys, "ingest_secret"),
                        "CRIER_CURVE_CLIENTS_DIR": clients}
        curve_client = dict(os.environ, CRIER_CURVE_CERT=os.path.join(keys, "bench_secret"),
                            CRIER_CURVE_SERVER_CERT=os.path.join(keys, "ingest"))
        for ack, curve in ((False, False), (True, False), (False, True), (True, True)):
            name = "ingest-alone" + ("-ack" if ack else "") + ("-curve" if curve else "")
            drain = subprocess.Popen([os.path.join(self.bin, "crier-bench"), "drain",
                                      "--endpoint", f"ipc://{self.work}/alone-drain",
                                      "--count", str(count)],
                                     stdout=subprocess.PIPE, text=True)
            self.spawn(name, [os.path.join(self.bin, "crier-ingest")],
                       env=dict(env, **curve_server) if curve else env)
            wait_until("ingest alone ready", lambda: self.log_has(name, "ingest.ready"), 30)
            endpoint = env["CRIER_INGEST_ACK_ENDPOINT" if ack else "CRIER_INGEST_ENDPOINT"]
            argv = [os.path.join(self.bin, "crier-bench"), "push", "--endpoint", endpoint,
                    "--count", str(count), "--to", "#one"] + (["--ack"] if ack else [])
            pushed = json.loads(subprocess.run(argv, check=True, capture_output=True, text=True,
                                               env=curve_client if curve else None).stdout)
            drained = json.loads(drain.communicate(timeout=300)[0])
            self.stop(name)
            shutil.rmtree(env["CRIER_DATA_DIR"], ignore_errors=True)
            security = ", CURVE" if curve else ""
            if ack:
                self.row(f"crier-ingest alone, acknowledged endpoint{security} (1,000 in flight)",
                         f"{pushed['rate']:,.0f} notifications/s",
                         "(each answered after its fdatasync; batches share one)")
            else:
                self.row(f"crier-ingest alone, PULL endpoint{security}", f"{drained['rate']:,.0f} "
                         "notifications/s", "(journaled and passed on)")

    def gateway(self):
        """crier-gateway in front of crier-ingest alone (a drain in place of the resolver): wrk's
        POSTs of a JSON notification over 64 keep-alive connections, each answered 202 once on
        disk."""
        env = self.crier_env({
            "CRIER_NOTIFICATIONS_ENDPOINT": f"ipc://{self.work}/gateway-drain",
            "CRIER_INGEST_ENDPOINT": f"ipc://{self.work}/gateway-pull",
            "CRIER_INGEST_ACK_ENDPOINT": f"ipc://{self.work}/gateway-ack",
            "CRIER_INGEST_CONTROL_ENDPOINT": f"ipc://{self.work}/gateway-control",
            "CRIER_EVENTS_PUBLISH_ENDPOINT": f"ipc://{self.work}/gateway-events",
            "CRIER_EVENTS_ENDPOINT": f"ipc://{self.work}/gateway-bus",
            "CRIER_DATA_DIR": os.path.join(self.work, "ingest-gateway"),
            "CRIER_LOG_LEVEL": "info",
            "CRIER_MAX_IN_FLIGHT": "10000000", "CRIER_MAX_BACKLOG": "10000000",
            "CRIER_ACK_ENDPOINT": f"ipc://{self.work}/gateway-ack",
            "CRIER_GATEWAY_LISTEN": "127.0.0.1:17480"})
        drain = subprocess.Popen([os.path.join(self.bin, "crier-bench"), "drain", "--endpoint",
                                  f"ipc://{self.work}/gateway-drain", "--count", "1000000000"],
                                 stdout=subprocess.DEVNULL)
        self.spawn("ingest-gateway", [os.path.join(self.bin, "crier-ingest")], env=env)
        wait_until("ingest ready", lambda: self.log_has("ingest-gateway", "ingest.ready"), 30)
        self.spawn("crier-gateway", [os.path.join(self.bin, "crier-gateway")], env=env)
        wait_until("gateway connected",
                   lambda: self.log_has("crier-gateway", "gateway.ingest_connected"), 30)
        seconds = "2s" if self.quick else "10s"
        out = subprocess.run(["wrk", "-t1", "-c64", "-d" + seconds, "-s",
                              os.path.join(self.root, "bench", "wrk-gateway.lua"),
                              "http://127.0.0.1:17480"],
                             check=True, capture_output=True, text=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        self.stop("crier-gateway")
        self.stop("ingest-gateway")
        drain.kill()
        drain.wait()
        shutil.rmtree(env["CRIER_DATA_DIR"], ignore_errors=True)
        self.row("crier-gateway, POST /v1/notifications (wrk, 64 keep-alive connections)",
                 f"{rate:,.0f} notifications/s",
                 "(each answered 202 after crier-ingest's fdatasync; "
                 f"{int(failed.group(1)) if failed else 0} not 2xx)")

    def memory_table(self, label):
        """RSS, and in brackets the private (anonymous) part: the rest is shared libraries'
        pages, mapped once for all the processes."""
        return ", ".join(f"{name.replace('crier-', '')} {self.rss(name):.1f} "
                         f"({self.rss(name, 'RssAnon'):.1f})" for name in PROCESSES)

    def backlog(self, count):
        # Stop the sinks: deliveries fail and are retried, notifications wait in the journal.
        # (SIGTERM for nginx: its master stops the worker; SIGKILL would orphan it.)
        self.stop("nginx")
        self.stop("smtp-sink")
        samples = []
        chunk = count // 4
        for part in range(4):
            self.push("--count", str(chunk), "--to", "#mixed", "--ack")
            samples.append(f"{(part + 1) * chunk:,}: " + ", ".join(
                f"{name.replace('crier-', '')} {self.rss(name):.1f}" for name in PROCESSES))
        self.row(f"RSS (MiB) while {count:,} notifications back up, sinks stopped",
                 "; ".join(samples))
        self.row("peak RSS (MiB) after everything", ", ".join(
            f"{name.replace('crier-', '')} {self.rss(name, 'VmHWM'):.1f}" for name in PROCESSES))

    def ingest_field(self, field):
        """A field of crier-ingest's heartbeat, from crier status (-1 when not there)."""
        return self.field("crier-ingest", field)

    def nags_pending(self):
        return self.ingest_field("nags_pending")

    def ingest_backlog(self):
        return self.ingest_field("backlog")

    def nags(self, count):
        """The memory of pending nags: count notifications to a group whose nag waits an hour,
        delivered, then held by crier-ingest (without the rooms' members: crier-matrix-watch does
        not run against the sink, and each member adds its user id)."""
        # The same burst without nags first: what the burst itself leaves in ingest's heap
        # (freed but kept by malloc) is then not counted as the nags'.
        matrix_before, _ = self.matrix_sends()
        self.push("--count", str(count), "--to", "#one")
        wait_until("the messages without nags",
                   lambda: self.matrix_sends()[0] >= matrix_before + count, 300)
        wait_until("crier-ingest done with them", lambda: self.ingest_backlog() == 0, 120)
        before = self.rss("crier-ingest", "RssAnon")
        matrix_before, _ = self.matrix_sends()
        self.push("--count", str(count), "--to", "#nagged")
        wait_until("the nagged messages", lambda: self.matrix_sends()[0] >= matrix_before + count,
                   300)
        wait_until("crier-ingest holding every nag", lambda: self.nags_pending() >= count, 120)
        after = self.rss("crier-ingest", "RssAnon")
        journal = sum(os.path.getsize(os.path.join(folder, name))
                      for folder, _, names in os.walk(os.path.join(self.work, "ingest"))
                      for name in names)
        self.row(f"{count:,} pending nags held by crier-ingest",
                 f"{after - before:,.1f} MiB more private RSS "
                 f"({(after - before) * 1048576 / count:,.0f} bytes per nag)",
                 f"(after the same burst without nags: {before:,.1f} MiB; with them "
                 f"{after:,.1f} MiB; journal {journal / 1048576:,.1f} MiB)")

    def field(self, process, field):
        """A field of a process's heartbeat, from crier status (-1 when not there)."""
        out = subprocess.run([os.path.join(self.bin, "crier"), "status"], env=self.crier_env(),
                             capture_output=True, text=True).stdout
        found = re.search(process + r" .*?\b" + field + r"=(\d+)", out)
        return int(found.group(1)) if found else -1

    def throttle(self, count, keys=1000):
        """count notifications over keys distinct keys to a group with an hour's throttle: the
        first of each key reaches the room, the rest are held back and counted in crier-ingest's
        windows (and each window's first message is edited with the count). The rate is until
        ingest is done with every one. Measured against the same burst to #one just before, so
        that what any burst leaves in ingest's heap is not counted as the windows'."""
        matrix_before, _ = self.matrix_sends()
        self.push("--count", str(count), "--to", "#one")
        wait_until("the burst without throttle",
                   lambda: self.matrix_sends()[0] >= matrix_before + count, 300)
        wait_until("crier-ingest done with it", lambda: self.ingest_backlog() == 0, 120)
        before = self.rss("crier-ingest", "RssAnon")
        held_before = self.field("crier-resolver", "held")
        matrix_before, _ = self.matrix_sends()
        start = time.time()
        pushed = self.push("--count", str(count), "--to", "#throttled", "--keys", str(keys))
        wait_until("the first of each key", lambda: self.matrix_sends()[0] >= matrix_before + keys,
                   300)
        wait_until("crier-ingest done with every notification",
                   lambda: self.ingest_backlog() == 0, 300)
        elapsed = time.time() - start
        held = self.field("crier-resolver", "held") - held_before
        sends = self.matrix_sends()[0] - matrix_before
        windows = self.ingest_field("throttle_windows")
        after = self.rss("crier-ingest", "RssAnon")
        self.row(f"{count:,} notifications over {keys:,} keys, throttled group (1 h window)",
                 f"{count / elapsed:,.0f} notifications/s",
                 f"({count - held:,} delivered, {held:,} held back and counted; "
                 f"{sends - (count - held):,} edits so far; {windows:,} windows open; ingest "
                 f"{after - before:+,.1f} MiB private RSS, {(after - before) * 1048576 / keys:,.0f}"
                 f" bytes per window; client pushed at {pushed['rate']:,.0f}/s)")

    def apprise(self, count, crier_rates):
        import apprise
        import logging
        logging.disable(logging.WARNING)
        notifier = apprise.Apprise()
        notifier.add(f"matrix://crier:bench@127.0.0.1:{MATRIX_PORT}/{ROOMS[0]}", tag="one")
        notifier.add(f"mailto://127.0.0.1:{SMTP_PORT}?smtp=127.0.0.1"
                     f"&from=crier@bench.example&to={MAILBOX}", tag="mixed")
        notifier.add(f"matrix://crier:bench@127.0.0.1:{MATRIX_PORT}/{ROOMS[0]}", tag="mixed")
        # Apprise at its best: no pause between sends.
        for service in notifier:
            service.request_rate_per_sec = 0
        notifier.notify(body="warm-up", tag="one")
        for tag, label, per in (("one", "one room", 1), ("mixed", "one room + one mailbox", 2)):
            matrix_before, email_before = self.matrix_sends()[0], self.emails()
            start = time.time()
            for number in range(count):
                notifier.notify(body=f"apprise {number}", tag=tag)
            rooms = 1
            emails = per - 1
            wait_until("Apprise's messages",
                       lambda: self.matrix_sends()[0] >= matrix_before + count * rooms
                       and self.emails() >= email_before + count * emails, 120)
            rate = count / (time.time() - start)
            crier = crier_rates.get(tag)
            self.row(f"Apprise {apprise.__version__}, {label}", f"{rate:,.0f} notifications/s",
                     (f"(crier: {crier / rate:,.1f}x that; " if crier else "(") +
                     "Apprise's request_rate_per_sec = 0)")

    # ---- end-to-end encryption -----------------------------------------------------------------
    def double(self, method, path, body=None, token=None):
        request = urllib.request.Request(f"http://127.0.0.1:{DOUBLE_PORT}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None
                                         else None)
        if token:
            request.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read())

    def e2ee_members(self):
        """MEMBERS users with DEVICES_EACH devices each join the encrypted room, every device
        with signed device keys and one-time keys (python3-olm), as Element would publish."""
        import olm
        canonical = lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                                             sort_keys=True)
        for member in range(MEMBERS):
            user = f"@member{member}:bench"
            for index in range(DEVICES_EACH):
                device, token = f"DEV{member}X{index}", f"token-{member}-{index}"
                self.double("POST", "/_test/user", {"user": user, "token": token,
                                                    "device": device})
                account = olm.Account()
                keys = account.identity_keys
                device_keys = {"user_id": user, "device_id": device,
                               "algorithms": ["m.olm.v1.curve25519-aes-sha2",
                                              "m.megolm.v1.aes-sha2"],
                               "keys": {f"curve25519:{device}": keys["curve25519"],
                                        f"ed25519:{device}": keys["ed25519"]}}
                device_keys["signatures"] = {user: {f"ed25519:{device}":
                                                    account.sign(canonical(device_keys))}}
                account.generate_one_time_keys(4)
                one_time = {}
                for key_id, key in account.one_time_keys["curve25519"].items():
                    signed = {"key": key}
                    signed["signatures"] = {user: {f"ed25519:{device}":
                                                   account.sign(canonical(signed))}}
                    one_time[f"signed_curve25519:{key_id}"] = signed
                self.double("POST", "/_matrix/client/v3/keys/upload",
                            {"device_keys": device_keys, "one_time_keys": one_time}, token)
            self.double("POST", "/_test/member", {"room": "!encrypted:bench", "user": user,
                                                  "membership": "join"})

    def double_rate(self, group, count, label):
        """count notifications to group, delivered into the double: notifications/s."""
        before = self.double("GET", "/_test/count")["events"]
        cpu_before = self.cpu_times()
        start = time.time()
        self.push("--count", str(count), "--to", group)
        wait_until(f"{label} to reach the homeserver double",
                   lambda: self.double("GET", "/_test/count")["events"] >= before + count, 600)
        rate = count / (time.time() - start)
        self.row(label, f"{rate:,.0f} notifications/s")
        self.cpu_row(cpu_before, count)
        return rate

    def e2ee(self, count):
        """One room of the homeserver double, plaintext, then through crier-matrix-watch (a room
        that is not encrypted, then one with 50 member devices), in one run: the double is the
        sink for all three, so their ratios are crier's cost."""
        self.spawn("homeserver-double",
                   ["/usr/bin/python3", os.path.join(self.root, "tests/matrix/homeserver_double.py"),
                    "--token", "bench", "--user", "@crier:bench", "--port", str(DOUBLE_PORT),
                    "--joined", "!encrypted:bench", "--joined", "!plain:bench"])
        wait_for_port(DOUBLE_PORT)
        self.double("POST", "/_test/timeline",
                    {"room": "!encrypted:bench", "sender": "@crier:bench",
                     "type": "m.room.encryption", "state_key": "",
                     "content": {"algorithm": "m.megolm.v1.aes-sha2"}})  # rotation: defaults
        self.e2ee_members()
        double = {"CRIER_MATRIX_HOMESERVER": f"http://127.0.0.1:{DOUBLE_PORT}"}
        self.restart_matrix_sender(double)
        plain = self.double_rate("#double", count, "homeserver double, one room, plaintext")
        env = self.crier_env(dict(double, CRIER_LOG_LEVEL="info",
                                  CRIER_MATRIX_STATE_KEY="bench-state-key-bench-state-key-0123",
                                  CRIER_MATRIX_WATCH_DIR=os.path.join(self.work, "watch"),
                                  CRIER_MATRIX_E2EE_ENDPOINT=f"ipc://{self.work}/e2ee"))
        self.crier["crier-matrix-watch"] = self.spawn(
            "crier-matrix-watch", [os.path.join(self.bin, "crier-matrix-watch")], env=env)
        wait_until("crier-matrix-watch's device",
                   lambda: self.log_has("crier-matrix-watch", "e2ee.device_ready"), 60)
        self.restart_matrix_sender(dict(double, CRIER_MATRIX_E2EE="on",
                                        CRIER_MATRIX_E2EE_ENDPOINT=f"ipc://{self.work}/e2ee"))
        asked = self.double_rate("#double", count,
                                 "  ... through crier-matrix-watch, room not encrypted")
        encrypted = self.double_rate("#encrypted", count,
                                     f"  ... encrypted room, {MEMBERS * DEVICES_EACH} member "
                                     "devices")
        self.row("  ... encrypted as a share of plaintext", f"{100 * encrypted / plain:.0f} %",
                 f"(asking the watcher alone: {100 * asked / plain:.0f} %)")
        del self.crier["crier-matrix-watch"]
        self.stop("crier-matrix-watch")
        self.restart_matrix_sender({})

    # ---- a large mapping -----------------------------------------------------------------------
    def large_mapping(self, groups):
        """A resolver of its own on a database of its own: a mapping of `groups` groups loaded,
        then one group edited; how long each took and the resolver's peak memory."""
        # A resolver's own RSS before any mapping (libraries, buffers): the main stack's at the
        # start, when its mapping of a few groups was all it held.
        base = self.idle_resolver_rss
        self.couch("PUT", "/crier-large")
        document = {"mapping": {f"#customer-{number}": {"email": [f"c{number}@example.org"]}
                                for number in range(groups)}}
        document["mapping"]["#one"] = MAPPING["#one"]
        body = json.dumps(document, separators=(",", ":"))
        size = len(body)
        answer = self.couch("PUT", "/crier-large/mapping", document)
        env = self.crier_env({"CRIER_LOG_LEVEL": "info", "CRIER_COUCHDB_DB": "crier-large",
                              "CRIER_MAPPING_MAX_BYTES": str(4 * size)})
        for index, name in enumerate(["CRIER_NOTIFICATIONS_ENDPOINT",
                                      "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                                      "CRIER_EMAIL_DELIVERIES_ENDPOINT",
                                      "CRIER_EVENTS_PUBLISH_ENDPOINT", "CRIER_EVENTS_ENDPOINT"]):
            env[name] = f"ipc://{self.work}/large-{index}"
        start = time.time()
        process = self.spawn("crier-resolver-large", [os.path.join(self.bin, "crier-resolver")],
                             env=env)
        self.crier["crier-resolver-large"] = process
        log = os.path.join(self.work, "crier-resolver-large.log")

        def loaded(times):
            with open(log) as lines:
                return sum("mapping.loaded" in line for line in lines) >= times
        wait_until("the large mapping loaded", lambda: loaded(1), 600)
        load_seconds = time.time() - start
        load_peak = self.rss("crier-resolver-large", "VmHWM")
        document["_rev"] = answer["rev"]
        document["mapping"]["#customer-0"] = {"email": ["edited@example.org"]}
        self.couch("PUT", "/crier-large/mapping", document)
        start = time.time()
        wait_until("the edit applied", lambda: loaded(2), 600)
        edit_seconds = time.time() - start
        peak = self.rss("crier-resolver-large", "VmHWM")
        idle = self.rss("crier-resolver-large")
        del self.crier["crier-resolver-large"]
        self.stop("crier-resolver-large")
        mib = size / 1024 / 1024
        self.row(f"mapping of {groups:,} groups ({mib:.1f} MiB of JSON), loaded at start",
                 f"{load_seconds:.1f} s", f"(resolver peak RSS {load_peak:.0f} MiB, "
                 f"{load_peak / mib:.2f}x the document; {(load_peak - base) / mib:.2f}x above "
                 f"its {base:.0f} MiB without a mapping)")
        self.row("  ... one group edited: applied after the PUT", f"{edit_seconds:.1f} s",
                 f"(resolver peak RSS {peak:.0f} MiB, {peak / mib:.2f}x the document, "
                 f"{(peak - base) / mib:.2f}x above its base; {idle:.0f} MiB after)")

    # ---- one notification to a large group ------------------------------------------------------
    def restart_crier(self):
        """Every crier process anew (ingest with an empty journal): peak RSS from here on."""
        for name in PROCESSES:
            self.stop(name)
        shutil.rmtree(os.path.join(self.work, "ingest"), ignore_errors=True)
        self.start_crier()

    def email_rate(self, group, count, deliveries):
        """count notifications to group reaching the SMTP sink: (deliveries/s, elapsed s)."""
        before = self.emails()
        start = time.time()
        self.push("--count", str(count), "--to", group)
        wait_until(f"{group} in the SMTP sink", lambda: self.emails() >= before + deliveries,
                   3600)
        elapsed = time.time() - start
        return deliveries / elapsed, elapsed

    def fanout(self, addresses):
        """One notification to a group of `addresses` mailboxes (in parts, docs/delivery.md,
        Large groups), against a small-group run to the same sink just before; while it goes
        out, small notifications to a room at 5/s, with their push-to-sink latency; every
        process's peak RSS, counted from a fresh start."""
        document = self.couch("GET", "/crier/mapping")
        document["mapping"]["#customers"] = {"email": [f"c{number}@bench.example"
                                                       for number in range(addresses)]}
        document["mapping"]["#small"] = {"email": [f"s{number}@bench.example"
                                                   for number in range(10)]}
        self.couch("PUT", "/crier/mapping", document)
        self.restart_crier()
        start_rss = {name: self.rss(name) for name in PROCESSES}
        small_count = max(100, addresses // 100)
        small_rate, _ = self.email_rate("#small", small_count, small_count * 10)
        self.row("one notification to 10 mailboxes, repeated (the small-group reference)",
                 f"{small_rate:,.0f} deliveries/s", f"({small_count:,} notifications)")
        # The small ones to a room while the big one goes out: as many as 5/s for the time the
        # big one should take at the reference rate.
        times = os.path.join(self.work, "times-fanout.txt")
        matrix_before = self.matrix_sends()[0]
        during = max(10, int(addresses / small_rate * 5))
        small = subprocess.Popen([os.path.join(self.bin, "crier-bench"), "push", "--endpoint",
                                  self.crier_env()["CRIER_INGEST_ENDPOINT"], "--count",
                                  str(during), "--to", "#one", "--rate", "5", "--ids", "during",
                                  "--times", times], stdout=subprocess.DEVNULL)
        cpu_before = self.cpu_times()
        big_rate, elapsed = self.email_rate("#customers", 1, addresses)
        self.row(f"one notification to a group of {addresses:,} mailboxes",
                 f"{big_rate:,.0f} deliveries/s",
                 f"({elapsed:.0f} s; {100 * big_rate / small_rate:.0f} % of the small-group "
                 f"rate; parts of {self.fanout_part_size:,})")
        self.cpu_row(cpu_before, addresses)
        small.wait(600)
        wait_until("the small notifications", lambda: self.matrix_sends()[0] >= matrix_before +
                   during, 300)
        percentile, samples = self.matrix_latencies(times, matrix_before)
        self.row(f"  ... small notifications to a room meanwhile (5/s, {samples:,})",
                 f"p50 {percentile(50):.0f} ms, p99 {percentile(99):.0f} ms, "
                 f"max {percentile(100):.0f} ms", "(push to sink)")
        self.row("  ... peak RSS (MiB) of each process from its start", ", ".join(
            f"{name.replace('crier-', '')} {self.rss(name, 'VmHWM'):.1f} "
            f"(at start {start_rss[name]:.1f})" for name in PROCESSES))
        # The parts after this one measure with the mapping they had.
        document = self.couch("GET", "/crier/mapping")
        del document["mapping"]["#customers"], document["mapping"]["#small"]
        self.couch("PUT", "/crier/mapping", document)
        self.restart_crier()

    # ---- all ---------------------------------------------------------------------------------
    def run(self, parts):
        n = 2000 if self.quick else self.count
        for port in (COUCH_PORT, MATRIX_PORT, MATRIX_TLS_PORT, SMTP_PORT, DOUBLE_PORT):
            if listening(port):
                raise Failure(f"port {port} is taken (a sink left over from an earlier run?); "
                              "stop what listens there and run again")
        self.start_couch()
        self.start_nginx()
        self.start_smtp_sink()
        self.start_crier()
        print("crier-bench: everything started", file=sys.stderr)
        self.row("idle RSS (private) MiB", self.memory_table("idle"))
        self.idle_resolver_rss = self.rss("crier-resolver")
        rates = {}
        if "throughput" in parts:
            matrix_ceiling, mail_ceiling = self.ceilings()
            rates["one"] = self.throughput("#one", n, 1, 0, "end to end, one room")
            self.row("  ... as a share of the Matrix sink's ceiling",
                     f"{100 * rates['one'] / matrix_ceiling:.0f} %")
            self.throughput("#ten", n // 10, 10, 0, "end to end, ten rooms")
            self.curl_alone(n, self.last_cpu["crier-sender-matrix"])
            mail_n = n // 20
            self.throughput("#mail", mail_n, 0, 1, "end to end, one mailbox")
            rates["mixed"] = self.throughput("#mixed", mail_n, 1, 1,
                                             "end to end, one room + one mailbox")
            self.row("  ... email as a share of the SMTP sink's ceiling",
                     f"{100 * rates['mixed'] / mail_ceiling:.0f} %")
            # Senders scale by starting more of them.
            env = self.crier_env({"CRIER_LOG_LEVEL": "info"})
            # Counted with the others in the CPU row.
            self.crier["crier-sender-matrix-2"] = self.spawn(
                "crier-sender-matrix-2", [os.path.join(self.bin, "crier-sender-matrix")], env=env)
            wait_until("the second Matrix sender",
                       lambda: self.log_has("crier-sender-matrix-2", "matrix.ready"), 60)
            self.throughput("#ten", n // 10, 10, 0, "end to end, ten rooms, two Matrix senders")
            # Back to one: the parts below restart "the" Matrix sender with other settings, and
            # a second one left running would take half of their deliveries with the old ones.
            self.stop("crier-sender-matrix-2")
            del self.crier["crier-sender-matrix-2"]
        if "http2" in parts:
            self.http2(n)
        if "latency" in parts:
            for rate, count in ((1000, n // 20), (10000, n // 5)):
                self.latency(rate, count)
        self.row("RSS (private) MiB after the runs above", self.memory_table("busy"))
        if "apprise" in parts:
            self.apprise(200 if self.quick else 2000, rates)
        if "ingest" in parts:
            self.ingest_alone(n)
        if "gateway" in parts:
            self.gateway()
        if "nags" in parts:
            self.nags(n)
        if "throttle" in parts:
            self.throttle(n, 100 if self.quick else 1000)
        if "e2ee" in parts:
            self.e2ee(200 if self.quick else 2000)
        if "fanout" in parts:
            self.fanout(20000 if self.quick else self.fanout_addresses)
        # Last of the pipeline's parts: it leaves a backlog that the stopped sinks never take.
        if "backlog" in parts:
            self.backlog(n)
        if "mapping" in parts:
            self.large_mapping(20000 if self.quick else self.mapping_groups)

        return self.rows


def main():
    # SIGTERM and SIGINT end the run through the finally below, which stops every child.
    def interrupted(signum, frame):
        raise Failure(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, default=100000,
                        help="notifications per throughput run (default 100000)")
    parser.add_argument("--mapping-groups", type=int, default=1000000,
                        help="groups in the large mapping (default 1000000)")
    parser.add_argument("--fanout-addresses", type=int, default=1000000,
                        help="mailboxes in the large group (default 1000000)")
    parts = ["throughput", "http2", "latency", "apprise", "ingest", "gateway", "nags", "throttle",
             "backlog", "e2ee", "mapping", "fanout"]
    parser.add_argument("--only", default=",".join(parts),
                        help="comma-separated parts to run (default: all of " +
                        ", ".join(parts) + ")")
    options = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bench = Bench(root, options.bin, options.work, options.quick, options.count)
    bench.mapping_groups = options.mapping_groups
    bench.fanout_addresses = options.fanout_addresses
    bench.fanout_part_size = 10000
    try:
        rows = bench.run(options.only.split(","))
    except Failure as failure:
        print(f"crier-bench: {failure}; logs in {options.work}", file=sys.stderr)
        return 1
    finally:
        bench.stop_all()
    print("| measurement | result | |")
    print("|---|---|---|")
    for what, value, note in rows:
        print(f"| {what} | {value} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
