#!/usr/bin/python3
"""The client side of the container test (tests/containers/run.sh), from outside the
containers: sends notifications over CURVE to crier-ingest's published acknowledged endpoint, as
a service would, and reads what the homeserver double and the SMTP double received.

  drive.py send --keys DIR --to GROUP --prefix P --count N [--rate R] [--endpoint E1,E2]
      Sends N notifications (ids P-0 .. P-N-1, body "P-i") and sends each again with the same
      id until crier-ingest acknowledges it (a timeout or a temporary refusal: it was down), so
      that every one is acknowledged in the end. With several endpoints (one per crier core),
      the socket connects to each: requests go round-robin to the cores that are up, and what
      one did not answer goes again to another. Prints how many were acknowledged.
  drive.py await --prefix P --count N --rooms R --mails M [--timeout S]
      Waits until each body P-i arrived in R rooms and M mailboxes; prints the tally as JSON and
      exits 1 when something is missing or a Matrix message came twice (a transaction id the
      homeserver double stored twice cannot happen; a second event with the same body can).
"""

import argparse
import json
import sys
import time
import urllib.request

HOMESERVER = "http://127.0.0.1:18008"
MAIL = "http://127.0.0.1:11080"


def send(options):
    import msgpack
    import zmq
    import zmq.auth

    server_public, _ = zmq.auth.load_certificate(f"{options.keys}/ingest")
    public, secret = zmq.auth.load_certificate(f"{options.keys}/shop_secret")
    context = zmq.Context()

    def connect():
        socket = context.socket(zmq.DEALER)
        socket.curve_serverkey, socket.curve_publickey = server_public, public
        socket.curve_secretkey = secret
        socket.linger = 0
        # Only to connected cores: a request is never queued for one that is down.
        socket.immediate = 1
        for endpoint in options.endpoint.split(","):
            socket.connect(endpoint)
        return socket

    socket = connect()
    pending = {f"{options.prefix}-{number}": 0.0 for number in range(options.count)}
    order = list(pending)
    acked = duplicates = 0
    deadline = time.monotonic() + options.timeout
    interval = 1.0 / options.rate if options.rate else 0.0
    next_send = time.monotonic()
    while pending and time.monotonic() < deadline:
        now = time.monotonic()
        # (Re)send what has no answer after 5 s, at the offered rate.
        for notification_id in order:
            if notification_id in pending and now - pending[notification_id] > 5.0 \
                    and now >= next_send:
                body = {"to": options.to, "id": notification_id, "subject": notification_id,
                        "body": notification_id}
                socket.send_multipart([b"", msgpack.packb(body)])
                pending[notification_id] = now
                next_send = now + interval
                if interval:
                    break
        if socket.poll(50):
            frames = socket.recv_multipart()
            answer = msgpack.unpackb(frames[-1])
            notification_id = answer.get("id")
            if answer.get("ok") and notification_id in pending:
                del pending[notification_id]
                acked += 1
                duplicates += bool(answer.get("duplicate"))
            elif not answer.get("ok") and not answer.get("temporary"):
                print(f"drive: refused for good: {answer}", file=sys.stderr)
                return 1
    print(json.dumps({"acknowledged": acked, "duplicate": duplicates,
                      "unacknowledged": len(pending)}))
    return 0 if not pending else 1


def get(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def tally(options):
    names = [f"{options.prefix}-{number}" for number in range(options.count)]
    rooms = {name: set() for name in names}
    room_events = {name: 0 for name in names}
    mails = {name: 0 for name in names}
    mailboxes = {name: set() for name in names}
    for event in get(f"{HOMESERVER}/_test/events"):
        name = event.get("content", {}).get("body", "").split("\n")[0]
        if name in rooms:
            rooms[name].add(event.get("room_id"))
            room_events[name] += 1
    for message in get(f"{MAIL}/messages"):
        subject = next((header["value"] for header in message.get("headers", [])
                        if header["name"] == "Subject"), None)
        if subject in mails:
            mails[subject] += len(message.get("rcpt_tos", []))
            mailboxes[subject].update(message.get("rcpt_tos", []))
    missing = [name for name in names
               if len(rooms[name]) < options.rooms or len(mailboxes[name]) < options.mails]
    return {"missing": len(missing), "first_missing": missing[:5],
            "matrix_duplicates": sum(count - len(rooms[name]) for name, count in room_events.items()),
            "mail_duplicates": sum(max(0, count - options.mails) for count in mails.values())}


def await_all(options):
    deadline = time.monotonic() + options.timeout
    while True:
        result = tally(options)
        if result["missing"] == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)  # polling the doubles' records until everything came or time is up
    print(json.dumps(result))
    ok = result["missing"] == 0 and result["matrix_duplicates"] == 0
    if options.exactly_once:
        ok = ok and result["mail_duplicates"] == 0
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sending = commands.add_parser("send")
    sending.add_argument("--keys", required=True)
    sending.add_argument("--endpoint", default="tcp://127.0.0.1:7401")
    sending.add_argument("--to", required=True)
    sending.add_argument("--prefix", required=True)
    sending.add_argument("--count", type=int, required=True)
    sending.add_argument("--rate", type=float, default=0)
    sending.add_argument("--timeout", type=float, default=120)
    awaiting = commands.add_parser("await")
    awaiting.add_argument("--prefix", required=True)
    awaiting.add_argument("--count", type=int, required=True)
    awaiting.add_argument("--rooms", type=int, default=0)
    awaiting.add_argument("--mails", type=int, default=0)
    awaiting.add_argument("--timeout", type=float, default=120)
    awaiting.add_argument("--exactly-once", action="store_true",
                          help="an email that came twice is a failure too")
    options = parser.parse_args()
    return send(options) if options.command == "send" else await_all(options)


if __name__ == "__main__":
    sys.exit(main())
