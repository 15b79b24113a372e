"""A real SMTP submission server for tests/commissioner.rs: aiosmtpd (Debian's python3-aiosmtpd)
with STARTTLS required (the test's certificate) and AUTH required after it (one user).
Each accepted message is written to MAILDIR as 001.eml, 002.eml... in the order accepted, read
with Python's own MIME parser into 001.txt (the text body), 001.headers (From, To, Subject) and
001-NAME for each attachment NAME, with its envelope recipients in 001.rcpt; the .eml is written
last. With FAIL_FIRST=1 the first DATA gets a transient 451.

usage: pec_server.py PORT CERT KEY USER PASSWORD MAILDIR
"""
import email
import email.policy
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, maildir = sys.argv[1:7]
fail_first = os.environ.get("FAIL_FIRST") == "1"


class Save:
    def __init__(self):
        self.accepted = 0
        self.refused_once = False

    async def handle_DATA(self, server, session, envelope):
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        if fail_first and not self.refused_once:
            self.refused_once = True
            return "451 4.3.0 Try again later"
        self.accepted += 1
        base = os.path.join(maildir, f"{self.accepted:03}")
        with open(base + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        content = envelope.original_content or envelope.content
        message = email.message_from_bytes(content, policy=email.policy.default)
        with open(base + ".txt", "w") as f:
            f.write(message.get_body(preferencelist=("plain",)).get_content())
        with open(base + ".headers", "w") as f:
            for name in ("From", "To", "Subject"):
                f.write(f"{name}: {message[name]}\n")
        for part in message.iter_attachments():
            with open(f"{base}-{os.path.basename(part.get_filename())}", "wb") as f:
                f.write(part.get_content())
        with open(base + ".tmp", "wb") as f:
            f.write(content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 Accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == user.encode()
        and auth_data.password == password.encode()
    )
    # handled=False: aiosmtpd itself answers a failure with 535.
    return AuthResult(success=ok, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Save(),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=context,
    require_starttls=True,
    authenticator=authenticator,
    auth_require_tls=True,
)
controller.start()
print("READY", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
