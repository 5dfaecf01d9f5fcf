#!/usr/bin/python3
"""A test SMTP server for Sokuho's mail tests, and a decoder for what it saved.

Server (needs Debian's python3-aiosmtpd, hence /usr/bin/python3):

    smtpd.py --port N --dir DIR [--host 127.0.0.1] [--auth USER:PASSWORD]
             [--tls CERT.pem KEY.pem]

Listens on HOST:N. Each accepted message is saved as DIR/NNN.eml (the bytes
as received, after dot-unstuffing) and DIR/NNN.rcpt (JSON: mail_from,
rcpt_tos, session -- a number per connection, so tests can tell that a batch
used one connection --, tls, auth). DIR/ready appears once it listens.
Every RCPT and AUTH attempt is appended to DIR/events (one JSON per line).
SIGTERM stops it; so does the death of the process that started it.

The local part of a recipient chooses the server's answer:
    temp...      RCPT  451 4.7.1 (try again later)
    bad...       RCPT  550 5.1.1 (no such user)
    datatemp...  end of DATA  451 4.3.0
    databad...   end of DATA  554 5.6.0
    drop...      the connection is reset at RCPT, without a reply
    slow...      RCPT answered after 3 seconds
    anything else is accepted.

With --auth, MAIL needs AUTH (LOGIN or PLAIN, allowed without TLS) with
that user and password. With --tls, STARTTLS is offered and required.

Decoder (standard library only, any python3):

    smtpd.py --decode FILE.eml

prints one JSON object (UTF-8), from Python's email package with
policy.default: subject, text (the text/plain body, line ends as LF), html
(or null), from_name, from_addr, to_name, to_addr, message_id, headers (the
header names in order) and defects (everything the package complained
about; [] for a clean message). Display names are decoded with the legacy
email.header decoder, which follows RFC 2047 6.2 and drops the white space
between adjacent encoded-words; policy.default's address parser (Python
3.11) leaves a space there when a long name spans several encoded-words.
"""

import argparse
import email
import email.policy
from email.header import decode_header, make_header
import json
import os
import re
import signal
import socket
import struct
import sys
import threading


def decode(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    defects = [repr(d) for d in msg.defects]
    for name, value in msg.items():
        defects += ["%s: %r" % (name, d) for d in getattr(value, "defects", ())]
    for part in msg.walk():
        if part is not msg:
            defects += [repr(d) for d in part.defects]

    def mailbox(h):
        v = msg[h]
        if v is None or not v.addresses:
            return None, None
        # The display name with the legacy decoder, which follows RFC 2047
        # 6.2 (white space between adjacent encoded-words is dropped);
        # policy.default's address parser puts a space there instead.
        raw = next(val for key, val in msg.raw_items() if key.lower() == h.lower())
        raw = re.sub(r"\r?\n(?=[ \t])", "", raw)
        lt = raw.rfind("<")
        name = str(make_header(decode_header(raw[:lt].strip()))) if lt >= 0 else ""
        return name, v.addresses[0].addr_spec

    def body(kind):
        part = msg.get_body(preferencelist=(kind,))
        if part is None:
            return None
        return part.get_content().replace("\r\n", "\n")

    from_name, from_addr = mailbox("From")
    to_name, to_addr = mailbox("To")
    out = {
        "subject": None if msg["Subject"] is None else str(msg["Subject"]),
        "text": body("plain"),
        "html": body("html"),
        "from_name": from_name,
        "from_addr": from_addr,
        "to_name": to_name,
        "to_addr": to_addr,
        "message_id": None if msg["Message-ID"] is None else str(msg["Message-ID"]),
        "headers": list(msg.keys()),
        "defects": defects,
    }
    sys.stdout.buffer.write(json.dumps(out, ensure_ascii=False).encode("utf-8") + b"\n")
    return 0


def serve(args):
    import asyncio

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    directory = args.dir
    lock = threading.Lock()
    counters = {"message": 0, "session": 0}

    def event(obj):
        with lock:
            with open(os.path.join(directory, "events"), "a", encoding="utf-8") as f:
                f.write(json.dumps(obj) + "\n")

    def session_id(session):
        with lock:
            if getattr(session, "sokuho_id", None) is None:
                counters["session"] += 1
                session.sokuho_id = counters["session"]
            return session.sokuho_id

    def local(address):
        return address.split("@", 1)[0].lower()

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            lp = local(address)
            event({"rcpt": address, "session": session_id(session)})
            if lp.startswith("temp"):
                return "451 4.7.1 Temporary failure for <%s>, try again later" % address
            if lp.startswith("bad"):
                return "550 5.1.1 No such user <%s>" % address
            if lp.startswith("drop"):
                # A reset (linger 0), so that the client's next write fails
                # with EPIPE and raises SIGPIPE.
                sock = server.transport.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                server.transport.abort()
                return "421 4.3.2 Closing"
            if lp.startswith("slow"):
                await asyncio.sleep(3)
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"

        async def handle_DATA(self, server, session, envelope):
            lps = [local(a) for a in envelope.rcpt_tos]
            if any(lp.startswith("datatemp") for lp in lps):
                return "451 4.3.0 Queue full, try again later"
            if any(lp.startswith("databad") for lp in lps):
                return "554 5.6.0 Message refused"
            with lock:
                counters["message"] += 1
                n = counters["message"]
            base = os.path.join(directory, "%03d" % n)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content)
            with open(base + ".rcpt", "w", encoding="utf-8") as f:
                json.dump(
                    {
                        "mail_from": envelope.mail_from,
                        "rcpt_tos": envelope.rcpt_tos,
                        "session": session_id(session),
                        "tls": session.ssl is not None,
                        "auth": bool(session.authenticated),
                    },
                    f,
                )
            os.rename(base + ".eml.tmp", base + ".eml")
            return "250 2.0.0 Message %03d accepted" % n

    kwargs = {}
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode()
                and auth_data.password == password.encode()
            )
            login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else None
            event({"auth": mechanism, "login": login, "ok": ok, "tls": session.ssl is not None})
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    if args.tls:
        import ssl

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        kwargs.update(tls_context=ctx, require_starttls=True)

    controller = Controller(Handler(), hostname=args.host, port=args.port, **kwargs)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    parent = os.getppid()
    controller.start()
    open(os.path.join(directory, "ready"), "w").close()
    while not stop.wait(0.2):
        if os.getppid() != parent:
            break
    controller.stop()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--decode", metavar="FILE")
    p.add_argument("--port", type=int)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--dir")
    p.add_argument("--auth", metavar="USER:PASSWORD")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = p.parse_args()
    if args.decode:
        return decode(args.decode)
    if not args.port or not args.dir:
        p.error("--port and --dir are needed to serve")
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
