#!/usr/bin/python3
"""An SMTP server for crier's tests: aiosmtpd, a real SMTP implementation, on loopback.

Every message it accepts is parsed with Python's email package (a real MIME parser) and kept as
JSON that the tests read over HTTP: the envelope, the raw text, each header raw and decoded, and
the MIME tree with each leaf part's type, charset, transfer encoding and decoded text. It
records which connection each message came on, to count connection reuse. Faults are injected
over HTTP: SMTP replies such as "451 try later" or "550 no such user" at MAIL, RCPT or DATA,
and the password that AUTH accepts can be changed (POST /password).

Usage: smtp_double.py [--tls-cert CERT --tls-key KEY] [--user USER --password PASSWORD]
                      [--host HOST --smtp-port PORT --http-port PORT]
With a certificate it offers STARTTLS and requires it; with a user it requires AUTH (after TLS).
Prints "listening on SMTP_PORT HTTP_PORT" once ready.
"""

import argparse
import asyncio
import base64
import email
import email.policy
import json
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class PostfixLikeSMTP(SMTP):
    """Says "421 Timeout" before closing an idle connection, as postfix does (aiosmtpd closes it
    without a word), so that a client that reuses it reads the 421."""

    def _timeout_cb(self):
        self.transport.write(b"421 4.4.2 Timeout - closing connection\r\n")
        with self.event_handler.lock:
            self.event_handler.timeouts += 1
        super()._timeout_cb()


class BoundController(Controller):
    """aiosmtpd on a socket bound here to port 0: the kernel picks a free port and the socket
    keeps it, so no other process can take it between a probe and its use."""

    def __init__(self, handler, listener, idle_timeout=None, **kwargs):
        host, port = listener.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self.listener = listener
        self.idle_timeout = idle_timeout

    def factory(self):
        if self.idle_timeout is None:
            return super().factory()
        return PostfixLikeSMTP(self.handler, timeout=self.idle_timeout, **self.SMTP_kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.listener,
                                       ssl=self.ssl_context)


def describe(part):
    """A MIME part as JSON: leaves with their decoded text, multiparts with their children."""
    node = {"content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "disposition": part.get("Content-Disposition")}
    if part.is_multipart():
        node["parts"] = [describe(child) for child in part.iter_parts()]
    else:
        node["text"] = part.get_content()
    return node


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.faults = []
        self.password = None
        self.timeouts = 0  # idle connections closed (--idle-timeout)

    def _take(self, stage, kind):
        """What the next fault of stage with kind ("reply" or "delay_ms") says, counted down."""
        with self.lock:
            for fault in self.faults:
                if fault["stage"] == stage and kind in fault:
                    fault["count"] = fault.get("count", 1) - 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    return fault[kind]
        return None

    def _fault(self, stage):
        return self._take(stage, "reply")

    def _delay(self, stage):
        """Seconds to wait before answering the next command of stage."""
        delay_ms = self._take(stage, "delay_ms")
        return delay_ms / 1000.0 if delay_ms else 0

    async def handle_MAIL(self, server, session, envelope, address, options):
        reply = self._fault("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        reply = self._fault("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        delay = self._delay("DATA")
        if delay:
            await asyncio.sleep(delay)
        reply = self._fault("DATA")
        if reply:
            return reply
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        headers = [{"name": name, "value": str(value)} for name, value in message.items()]
        raw_headers = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        with self.lock:
            number = len(self.messages) + 1
            self.messages.append({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "connection": "%s:%d" % tuple(session.peer[:2]),
                "tls": session.ssl is not None,
                "authenticated": bool(session.authenticated),
                "raw_headers": raw_headers,
                "headers": [{"name": header["name"], "value": header["value"]} for header in headers],
                "defects": [str(defect) for defect in message.defects],
                "body": describe(message),
            })
        return "250 2.0.0 Ok: queued as CRIER%04d" % number


class Control(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def _reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        recorder = self.server.recorder
        with recorder.lock:
            if self.path == "/messages":
                return self._reply(recorder.messages)
            if self.path == "/timeouts":
                return self._reply(recorder.timeouts)
        self.send_error(404)

    def do_POST(self):
        recorder = self.server.recorder
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        with recorder.lock:
            if self.path == "/fault":
                recorder.faults.append(body)
                return self._reply({})
            if self.path == "/password":
                recorder.password = body["password"]
                return self._reply({})
        self.send_error(404)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--idle-timeout", type=float,
                        help="close idle connections after this many seconds, saying 421 first")
    parser.add_argument("--echo-auth", action="store_true",
                        help="answer a refused login with its AUTH PLAIN blob, as some servers do")
    parser.add_argument("--host", default="127.0.0.1", help="where to listen (a container's: 0.0.0.0)")
    parser.add_argument("--smtp-port", type=int, default=0, help="0: a free port")
    parser.add_argument("--http-port", type=int, default=0, help="0: a free port")
    options = parser.parse_args()

    recorder = Recorder()
    recorder.password = options.password
    kwargs = {}
    if options.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        kwargs.update(tls_context=context, require_starttls=True)
    if options.user:
        def authenticate(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login.decode() == options.user
                  and data.password.decode() == recorder.password)
            # handled=False: aiosmtpd answers 535 itself (handled=True would leave the client
            # waiting for a reply that never comes), or with the message given.
            message = None
            if not ok and options.echo_auth and isinstance(data, LoginPassword):
                blob = base64.b64encode(b"\0" + data.login + b"\0" + data.password).decode()
                message = "535 5.7.8 Authentication failed for " + blob
            return AuthResult(success=ok, handled=False, message=message)
        kwargs.update(authenticator=authenticate, auth_require_tls=bool(options.tls_cert),
                      auth_required=True)
    listener = socket.socket()
    listener.bind((options.host, options.smtp_port))
    controller = BoundController(recorder, listener, idle_timeout=options.idle_timeout,
                                 server_hostname="localhost", **kwargs)
    controller.start()
    smtp_port = controller.port

    http = ThreadingHTTPServer((options.host, options.http_port), Control)
    http.recorder = recorder
    print("listening on %d %d" % (smtp_port, http.server_address[1]), flush=True)
    try:
        http.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
