"""Time to first byte of each web page at the server, and the login's cost (README "Web pages").

Starts `tsgate demo` on a fresh directory, logs in over TLS as the demo's doctor, ASL operator,
OTP operator and ASL security administrator (parsing each form's hidden fields, as a browser
would) and past the pincode step of their services, then requests every page of theirs
REQUESTS times on one keep-alive connection per user, with a rate limit that does not get in the
way.
The figures are the server's own: `tsgate_web_page_duration_seconds`, read from the admin
listener's /metrics after the run, p50 and p99 interpolated inside its buckets (×1.5 apart) as
Prometheus's histogram_quantile does; the client's p50/p99 on loopback is printed beside them.
The login's cost: LOGINS sequential logins as the doctor (login page, then the POST), the
server's CPU (utime+stime from /proc) per login and the POST's time to first byte at the client.

    cargo build --release && python3 benches/load/web_pages.py [REQUESTS] [LOGINS]

TSGATE_BIN names another binary. Standard library only.
"""

import http.client
import os
import re
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TSGATE_BIN", str(ROOT / "target/release/tsgate"))
PORT = 18643
HZ = os.sysconf("SC_CLK_TCK")

# Whose pages: (login path, id field, user id, credentials file key) and their pages.
DOCTOR_PAGES = ["/web/", "/web/profilo", "/web/medico", "/web/medico/assistiti",
                "/web/medico/assistiti.csv", "/web/medico/invio", "/web/medico/test",
                "/web/medico/sostituti", "/web/profilo/modifica"]
ASL_PAGES = ["/web/asl"]
OTP_PAGES = ["/web/immuni"]
ADMIN_PAGES = ["/web/admin/", "/web/admin/operatori/DEMOMMG01"]
ANONYMOUS_PAGES = ["/web/login", "/web/admin/accesso"]


class Client:
    """One keep-alive TLS connection with its cookies, trusting the demo's CA."""

    def __init__(self, ca):
        context = ssl.create_default_context(cafile=ca)
        self.connection = http.client.HTTPSConnection("localhost", PORT, context=context)
        self.cookies = {}

    def request(self, method, path, form=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            started = time.perf_counter()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The gateway closed the connection (idle while the other users' pages ran,
            # server.idle_timeout_ms): a new one (its handshake counts in this request's
            # client-side time, not in the server's).
            print(f"reconnected for {method} {path}", file=sys.stderr)
            self.connection.close()
            started = time.perf_counter()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        first_byte = time.perf_counter() - started
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            cookie = rest.split(";", 1)[0]
            if "Max-Age=0" in value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie
        return response.status, response.headers, data.decode("utf-8", "replace"), first_byte


def hidden_fields(page, action):
    """The hidden inputs of the form posting to `action`."""
    match = re.search(r'<form[^>]*action="%s"[^>]*>(.*?)</form>' % re.escape(action), page, re.S)
    if not match:
        raise SystemExit(f"no form posting to {action}")
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(1)))


def log_in(client, login_path, id_field, user_id, password):
    status, _, page, _ = client.request("GET", login_path)
    if status != 200:
        raise SystemExit(f"GET {login_path}: {status}")
    form = hidden_fields(page, login_path)
    form.update({id_field: user_id, "password": password})
    status, headers, page, first_byte = client.request("POST", login_path, form)
    if status != 303:
        raise SystemExit(f"login of {user_id} at {login_path}: {status}\n{page[:2000]}")
    return first_byte


def pass_pincode(client, action, page, pincode):
    """Passes the pincode step in front of `page`'s service, as its form posts it."""
    _, _, shown, _ = client.request("GET", page)
    form = hidden_fields(shown, action)
    form["pincode"] = pincode
    status, _, reply, _ = client.request("POST", action, form)
    if status != 303:
        raise SystemExit(f"pincode at {action}: {status}\n{reply[:2000]}")
    _, _, shown, _ = client.request("GET", page)
    if "Inserire il pincode" in shown:
        raise SystemExit(f"{page} still asks for the pincode")


def cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def quantile(q, buckets):
    """histogram_quantile over cumulative (upper bound, count) pairs, +Inf last."""
    total = buckets[-1][1]
    rank = q * total
    lower, below = 0.0, 0
    for upper, count in buckets:
        if count >= rank:
            if upper == float("inf"):
                return lower
            return lower + (upper - lower) * (rank - below) / max(count - below, 1)
        lower, below = upper, count
    return lower


def shown(q, buckets):
    """A quantile in ms; one inside the first bucket is only known to be below its bound."""
    first = buckets[0][0]
    value = quantile(q, buckets)
    if value <= first:
        return f"<{first * 1000:.3f}ms"
    return f"{value * 1000:.3f}ms"


def page_histograms(metrics_text):
    found = {}
    pattern = re.compile(
        r'tsgate_web_page_duration_seconds_bucket\{le="([^"]+)",page="([^"]+)",method="([^"]+)"\} (\d+)')
    for le, page, method, count in pattern.findall(metrics_text):
        found.setdefault((method, page), []).append((float(le), int(count)))
    return {key: sorted(value) for key, value in found.items()}


def main():
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    logins = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"{BIN} not found: cargo build --release")
    work = Path(tempfile.mkdtemp(prefix="tsgate-web-bench-"))
    # A quota that does not get in the way: the doctors' pages run their operations, which
    # count against the caller's rate limit as on SOAP.
    env = dict(os.environ, TSGATE_LOG_LEVEL="warn",
               TSGATE_THROTTLE_DEFAULT="{per_second=1000000,burst=1000000}")
    log = open(work / "demo.log", "w")
    demo = subprocess.Popen([BIN, "demo", "--dir", str(work / "demo"), "--listen", f"127.0.0.1:{PORT}"],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        metrics_url = None
        for _ in range(600):
            text = (work / "demo.log").read_text()
            found = re.search(r"metrics: http://([^/]+)/metrics", text)
            if found:
                metrics_url = found.group(1)
                break
            if demo.poll() is not None:
                raise SystemExit(f"the demo stopped:\n{text}")
            time.sleep(0.1)
        if metrics_url is None:
            raise SystemExit("the demo printed no banner")
        run(work / "demo", demo.pid, metrics_url, requests, logins)
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)


def credentials(path):
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def run(demo_dir, pid, metrics_addr, requests, logins):
    ca = str(demo_dir / "certs/ca.pem")
    operator = credentials(demo_dir / "operator-credentials.txt")
    admins = credentials(demo_dir / "administrator-credentials.txt")

    # The login's cost, first, on its own.
    before = cpu_ticks(pid)
    posts = []
    for _ in range(logins):
        posts.append(log_in(Client(ca), "/web/login", "user_id", "DEMOMMG01", operator["password"]))
    login_cpu_ms = (cpu_ticks(pid) - before) / HZ / logins * 1000

    sessions = []
    for user_id, pages, step, gated in [
            ("DEMOMMG01", DOCTOR_PAGES, "/web/medico/pincode", "/web/medico"),
            ("DEMOASL01", ASL_PAGES, "/web/asl/pincode", "/web/asl"),
            ("DEMOOP01", OTP_PAGES, "/web/immuni/pincode", "/web/immuni")]:
        client = Client(ca)
        log_in(client, "/web/login", "user_id", user_id, operator["password"])
        pass_pincode(client, step, gated, operator["pincode"])
        sessions.append((client, pages))
    admin = Client(ca)
    log_in(admin, "/web/admin/accesso", "admin_id", "ADMINASL201", admins["ADMINASL201.password"])
    sessions.append((admin, ADMIN_PAGES))
    anonymous = Client(ca)
    # The stylesheet's name carries a hash of its content: read it off a page.
    _, _, login_page, _ = anonymous.request("GET", "/web/login")
    stylesheet = re.search(r'href="(/web/static/[^"]+)"', login_page).group(1)
    sessions.append((anonymous, ANONYMOUS_PAGES + [stylesheet]))

    client_side = {}
    for client, pages in sessions:
        for path in pages:
            times = []
            for _ in range(requests):
                status, _, _, first_byte = client.request("GET", path)
                if status != 200:
                    raise SystemExit(f"GET {path}: {status}")
                times.append(first_byte)
            times.sort()
            client_side[path] = (times[len(times) // 2], times[int(len(times) * 0.99)])

    metrics = http.client.HTTPConnection(*metrics_addr.rsplit(":", 1))
    metrics.request("GET", "/metrics")
    metrics_text = metrics.getresponse().read().decode()
    histograms = page_histograms(metrics_text)
    if not histograms:
        raise SystemExit("no tsgate_web_page_duration_seconds in /metrics:\n" + metrics_text[:3000])

    print(f"{'page':<36} {'method':<6} {'count':>6} {'server p50':>11} {'server p99':>11} "
          f"{'client p50':>11} {'client p99':>11}")
    for (method, page), buckets in sorted(histograms.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        concrete = page.replace("{user_id}", "DEMOMMG01")
        if page == "/web/static/{file}":
            concrete = stylesheet
        client = client_side.get(concrete) if method == "GET" else None
        client_text = (f"{client[0] * 1000:>9.2f}ms {client[1] * 1000:>9.2f}ms" if client
                       else f"{'':>11} {'':>11}")
        print(f"{page:<36} {method:<6} {buckets[-1][1]:>6} {shown(0.5, buckets):>11} "
              f"{shown(0.99, buckets):>11} {client_text}")
    posts.sort()
    print(f"\nlogin ({logins} sequential, DEMOMMG01): server CPU {login_cpu_ms:.1f} ms per login "
          f"(login page + POST); POST time to first byte at the client p50 "
          f"{statistics.median(posts) * 1000:.1f} ms, max {posts[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
