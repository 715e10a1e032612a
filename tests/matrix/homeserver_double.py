#!/usr/bin/python3
"""A Matrix homeserver double for crier's tests.

It follows the parts of the Client-Server API that crier-sender-matrix uses, closely enough to
catch mistakes: bearer-token auth (401 M_UNKNOWN_TOKEN / M_MISSING_TOKEN), percent-decoding of
path segments, room membership (403 M_FORBIDDEN when not joined), joins, the room directory,
and transaction-id idempotency (the same access token, room and txnId give back the same event
and store nothing new). Faults are injected through /_test/ endpoints: 429 M_LIMIT_EXCEEDED
with retry_after_ms and Retry-After, 5xx, slow answers and reset connections. Everything it
received is recorded and can be read back as JSON.

For the nag's watcher it also keeps each room's timeline (the bot's messages, and what tests
post as other users through /_test/timeline), membership (/_test/member) and receipts
(/_test/receipt), and serves them as the spec does: GET /sync (since / next_batch tokens,
long-poll with timeout, joined rooms' state, timeline with limited and prev_batch, ephemeral
m.receipt; /_test/limit makes the next sync of a room limited), POST /user/{id}/filter, and
GET /rooms/{room}/context/{event}, GET /rooms/{room}/messages (backwards), GET /joined_rooms
and GET /rooms/{room}/joined_members.

For end-to-end encryption it keeps devices' keys: POST /keys/upload (device keys, whose
self-signature it checks with olm, and signed one-time keys: the same id with another key is
refused, as Synapse does), POST /keys/query, POST /keys/claim (one one-time key per device,
gone once given), and /sync's device_one_time_keys_count; cross-signing keys
(POST /keys/device_signing/upload behind user-interactive auth with --password, POST
/keys/signatures/upload), and /_test/cross_signing checks the bot's signature chain with olm. The token's device is CRIERTEST;
/_test/keys shows what was uploaded.

Usage: homeserver_double.py --token TOKEN --user @bot:example.org
       [--joined !room:example.org ...] [--joinable !room:example.org ...]
       [--alias '#alias:example.org=!room:example.org' ...] [--host HOST --port PORT]
It listens on a free loopback port (or the one given) and prints "listening on PORT" once ready.
"""

import argparse
import ssl
import json
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/_matrix/client/v3/"
OLD_PREFIX = "/_matrix/client/r0/"  # what matrix-nio 0.20 still asks


class State:
    def __init__(self, options):
        self.lock = threading.Lock()
        self.token = options.token
        self.user = options.user
        self.joined = set(options.joined)
        self.joinable = set(options.joinable)
        self.aliases = dict(pair.split("=", 1) for pair in options.alias)
        self.transactions = {}  # (token, room, txn) -> event id
        self.events = []  # what was stored, in order
        self.requests = []  # every Matrix request: kind, path, room, time
        self.faults = []  # pending injected faults
        self.delay_ms = 0  # added to every answer
        # /sync: every change has a stream position; a sync returns those after its token.
        self.changed = threading.Condition(self.lock)
        self.stream = 0
        self.timeline = {}  # room -> [event], in order, each with its "stream"
        self.members = {}  # room -> {user: membership}
        self.receipts = []  # {"stream", "room", "event_id", "user", "type", "thread_id"}
        self.limits = {}  # room -> how many timeline events the next sync keeps (limited)
        self.filters = {}  # filter id -> filter
        self.event_count = 0
        # End-to-end encryption: user -> device -> keys; (user, device) -> {key id: key}.
        self.device = "CRIERTEST"
        # Other users' devices (members' clients in the E2EE tests): token -> (user, device).
        self.users = {}  # the bot is state.token's, which /_test/token may change
        self.to_device = []  # {"stream", "user", "device", "sender", "type", "content"}
        self.to_device_txns = set()  # (token, txn)
        self.key_changes = []  # (stream, user): device keys uploaded
        # Cross-signing: user -> {"master": key, "self_signing": key, "user_signing": key}.
        self.password = options.password
        self.cross_signing = {}
        self.uia_sessions = set()
        self.device_keys = {}
        self.one_time_keys = {}
        self.key_uploads = []  # each /keys/upload: device keys given, one-time key ids, signed ok
        for room in options.joined:
            self.members.setdefault(room, {})[options.user] = "join"

    def next_stream(self):
        self.stream += 1
        self.changed.notify_all()
        return self.stream

    def append(self, room, sender, kind, content, state_key=None):
        """Adds an event to a room's timeline; returns it."""
        self.stream += 1
        self.event_count += 1
        event = {"event_id": "$event%d" % self.event_count,
                 "room_id": room, "sender": sender, "type": kind, "content": content,
                 "origin_server_ts": int(time.time() * 1000), "stream": self.stream}
        if state_key is not None:
            event["state_key"] = state_key
        self.timeline.setdefault(room, []).append(event)
        self.changed.notify_all()
        return event


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real homeservers do
    disable_nagle_algorithm = True  # else each keep-alive answer waits for a delayed ACK

    def log_message(self, format, *args):  # quiet: tests read /_test/requests instead
        pass

    @property
    def state(self):
        return self.server.state

    def _reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status, errcode, error, extra=None, headers=None):
        body = {"errcode": errcode, "error": error}
        body.update(extra or {})
        self._reply(status, body, headers)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # --- the test's own endpoints ---------------------------------------------------------

    def _control(self, method, path, body):
        state = self.state
        with state.lock:
            if method == "GET" and path == "/_test/count":
                return self._reply(200, {"events": len(state.events)})
            if method == "GET" and path == "/_test/events":
                return self._reply(200, state.events)
            if method == "GET" and path == "/_test/requests":
                return self._reply(200, state.requests)
            if method == "POST" and path == "/_test/fault":
                state.faults.append(json.loads(body))
                return self._reply(200, {})
            if method == "POST" and path == "/_test/token":
                state.token = json.loads(body)["token"]
                return self._reply(200, {})
            if method == "POST" and path == "/_test/delay":
                state.delay_ms = json.loads(body)["ms"]
                return self._reply(200, {})
            if method == "POST" and path == "/_test/timeline":
                # {"room", "sender", "type" (m.room.message), "content", "state_key"?}
                order = json.loads(body)
                event = state.append(order["room"], order["sender"],
                                     order.get("type", "m.room.message"),
                                     order.get("content", {"msgtype": "m.text", "body": "hi"}),
                                     order.get("state_key"))
                return self._reply(200, {"event_id": event["event_id"]})
            if method == "POST" and path == "/_test/as_bot":
                # {"room", "content"}: a message of the bot's, as if crier-sender-matrix sent it
                order = json.loads(body)
                event = state.append(order["room"], state.user, "m.room.message", order["content"])
                return self._reply(200, {"event_id": event["event_id"]})
            if method == "POST" and path == "/_test/batch":
                # {"room", "events": [{"sender", "type"?, "content"}]}: appended at once, so
                # that one /sync gives them together (with /_test/limit: a gap)
                order = json.loads(body)
                ids = [state.append(order["room"], e["sender"], e.get("type", "m.room.message"),
                                    e["content"])["event_id"] for e in order["events"]]
                return self._reply(200, {"event_ids": ids})
            if method == "POST" and path == "/_test/member":
                # {"room", "user", "membership": "join" | "leave" | ...}: a membership event
                order = json.loads(body)
                state.members.setdefault(order["room"], {})[order["user"]] = order["membership"]
                event = state.append(order["room"], order["user"], "m.room.member",
                                     {"membership": order["membership"]}, order["user"])
                return self._reply(200, {"event_id": event["event_id"]})
            if method == "POST" and path == "/_test/receipt":
                # {"room", "user", "event_id", "type" (m.read), "thread_id"?}
                order = json.loads(body)
                receipt = {"room": order["room"], "user": order["user"],
                           "event_id": order["event_id"], "type": order.get("type", "m.read"),
                           "thread_id": order.get("thread_id")}
                receipt["stream"] = state.next_stream()
                state.receipts.append(receipt)
                return self._reply(200, {})
            if method == "POST" and path == "/_test/user":
                # {"user", "token", "device"}: another account, e.g. a member's E2EE client
                order = json.loads(body)
                state.users[order["token"]] = (order["user"], order["device"])
                return self._reply(200, {})
            if method == "GET" and path == "/_test/to_device":
                return self._reply(200, state.to_device)
            if method == "GET" and path == "/_test/cross_signing":
                return self._reply(200, self._cross_signing_check())
            if method == "GET" and path == "/_test/keys":
                return self._reply(200, {
                    "uploads": state.key_uploads,
                    "device_keys": state.device_keys,
                    "one_time_keys": {"%s %s" % k: v for k, v in state.one_time_keys.items()}})
            if method == "POST" and path == "/_test/limit":
                # {"room", "keep"}: the next sync of that room keeps only its last events
                order = json.loads(body)
                state.limits[order["room"]] = order["keep"]
                return self._reply(200, {})
        self._error(404, "M_UNRECOGNIZED", "unknown test endpoint")

    # --- the Matrix API ---------------------------------------------------------------------

    def _take_fault(self, kind, room):
        """The first pending fault that applies to this request, consumed."""
        for fault in self.state.faults:
            if fault.get("kind", kind) == kind and fault.get("room", room) == room:
                fault["count"] = fault.get("count", 1) - 1
                if fault["count"] <= 0:
                    self.state.faults.remove(fault)
                return fault
        return None

    def _authorised(self, query):
        header = self.headers.get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else \
            query.get("access_token", [None])[0]  # the deprecated query parameter (matrix-nio)
        if not token:
            self._error(401, "M_MISSING_TOKEN", "Missing access token")
            return None
        if token != self.state.token and token not in self.state.users:
            self._error(401, "M_UNKNOWN_TOKEN", "Unrecognised access token", {"soft_logout": False})
            return None
        self.caller = self.state.users[token] if token != self.state.token else \
            (self.state.user, self.state.device)
        return token

    def _route(self, method, path):
        """(kind, decoded path segments) for a Matrix request, or (None, None)."""
        prefix = PREFIX if path.startswith(PREFIX) else OLD_PREFIX
        if not path.startswith(prefix):
            return None, None
        raw = path[len(prefix):].split("?", 1)[0].split("/")
        segments = [urllib.parse.unquote(segment) for segment in raw]
        if method == "GET" and segments == ["account", "whoami"]:
            return "whoami", segments
        if method == "PUT" and len(segments) == 5 and segments[0] == "rooms" and segments[2] == "send":
            return "send", segments
        if method == "POST" and len(segments) == 2 and segments[0] == "join":
            return "join", segments
        if method == "GET" and len(segments) == 3 and segments[:2] == ["directory", "room"]:
            return "directory", segments
        if method == "GET" and segments == ["sync"]:
            return "sync", segments
        if method == "GET" and len(segments) == 3 and segments[0] == "rooms" and segments[2] == "messages":
            return "messages", segments
        if method == "GET" and segments == ["joined_rooms"]:
            return "joined_rooms", segments
        if method == "GET" and len(segments) == 3 and segments[0] == "rooms" and segments[2] == "joined_members":
            return "joined_members", segments
        if method == "POST" and len(segments) == 3 and segments[0] == "user" and segments[2] == "filter":
            return "filter", segments
        if method == "GET" and len(segments) == 4 and segments[0] == "rooms" and segments[2] == "context":
            return "context", segments
        if method == "POST" and len(segments) == 2 and segments[0] == "keys" and \
                segments[1] in ("upload", "query", "claim"):
            return "keys_" + segments[1], segments
        if method == "POST" and segments in (["keys", "device_signing", "upload"],
                                             ["keys", "signatures", "upload"]):
            return "keys_" + segments[1], segments
        if method == "PUT" and len(segments) == 3 and segments[0] == "sendToDevice":
            return "send_to_device", segments
        if method == "GET" and len(segments) in (4, 5) and segments[0] == "rooms" and \
                segments[2] == "state":
            return "room_state", segments
        return None, None

    def _matrix(self, method, path, body):
        state = self.state
        kind, segments = self._route(method, path)
        if kind is None:
            return self._error(404, "M_UNRECOGNIZED", "Unrecognized request")
        room = segments[1] if kind in ("send", "join", "context", "joined_members", "messages",
                                       "room_state") else None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        with state.lock:
            state.requests.append({"kind": kind, "path": path, "room": room, "time": time.time(),
                                   "txn_id": segments[4] if kind == "send" else None,
                                   "since": query.get("since", [None])[0],
                                   "filter": query.get("filter", [None])[0]})
            fault = self._take_fault(kind, room)
            delay = state.delay_ms
        if fault and fault.get("delay_ms"):
            time.sleep(fault["delay_ms"] / 1000)
        elif delay:
            time.sleep(delay / 1000)
        if fault and fault.get("reset"):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            self.close_connection = True
            return
        if fault and fault.get("status"):
            status = fault["status"]
            if status == 429:
                wait = fault.get("retry_after_ms", 1000)
                return self._error(429, "M_LIMIT_EXCEEDED", "Too many requests",
                                   {"retry_after_ms": wait}, {"Retry-After": str(max(1, wait // 1000))})
            return self._error(status, "M_UNKNOWN", "Injected failure")
        token = self._authorised(query)
        if token is None:
            return
        if kind == "sync":
            return self._sync(query)
        with state.lock:
            if kind == "filter":
                if segments[1] != state.user:
                    return self._error(403, "M_FORBIDDEN", "Cannot create filters for other users")
                try:
                    definition = json.loads(body)
                except ValueError:
                    return self._error(400, "M_NOT_JSON", "Content not JSON.")
                filter_id = str(len(state.filters) + 1)
                state.filters[filter_id] = definition
                return self._reply(200, {"filter_id": filter_id})
            if kind == "messages":
                # dir=b from a "t<stream>" token: the room's events at or before it, newest
                # first, and "end" to go on from.
                if room not in state.joined:
                    return self._error(403, "M_FORBIDDEN", "You aren't a member of the room")
                token = query.get("from", [None])[0]
                if query.get("dir", ["b"])[0] != "b" or not token or not token.startswith("t"):
                    return self._error(400, "M_INVALID_PARAM", "the double pages backwards from t tokens")
                limit = int(query.get("limit", ["10"])[0])
                upto = int(token[1:])
                older = [e for e in state.timeline.get(room, []) if e["stream"] <= upto]
                page = list(reversed(older))[:limit]
                strip = lambda e: {k: v for k, v in e.items() if k != "stream"}
                answer = {"start": token, "chunk": [strip(e) for e in page]}
                if len(older) > len(page):
                    answer["end"] = "t%d" % (page[-1]["stream"] - 1)
                return self._reply(200, answer)
            if kind == "joined_rooms":
                return self._reply(200, {"joined_rooms": sorted(state.joined)})
            if kind == "joined_members":
                if room not in state.joined:
                    return self._error(403, "M_FORBIDDEN", "You aren't a member of the room")
                members = state.members.get(room, {})
                return self._reply(200, {"joined": {user: {"display_name": None}
                                                    for user, m in members.items() if m == "join"}})
            if kind == "context":
                events = state.timeline.get(room, [])
                at = [i for i, e in enumerate(events) if e["event_id"] == segments[3]]
                if room not in state.joined or not at:
                    return self._error(404, "M_NOT_FOUND", "Event not found.")
                limit = int(query.get("limit", ["10"])[0])
                i = at[0]
                before = list(reversed(events[max(0, i - limit // 2):i]))
                after = events[i + 1:i + 1 + limit - limit // 2]
                strip = lambda e: {k: v for k, v in e.items() if k != "stream"}
                return self._reply(200, {"event": strip(events[i]),
                                         "events_before": [strip(e) for e in before],
                                         "events_after": [strip(e) for e in after],
                                         "start": "t%d" % i, "end": "t%d" % (i + 1), "state": []})
            if kind == "whoami":
                return self._reply(200, {"user_id": self.caller[0], "device_id": self.caller[1]})
            if kind == "room_state":
                # GET /rooms/{room}/state/{type}/{state_key}: the latest such state event
                key = segments[4] if len(segments) == 5 else ""
                found = [e for e in state.timeline.get(room, [])
                         if e["type"] == segments[3] and e.get("state_key") == key]
                if not found:
                    return self._error(404, "M_NOT_FOUND", "Event not found.")
                return self._reply(200, found[-1]["content"])
            if kind == "send_to_device":
                # PUT /sendToDevice/{type}/{txn}: {"messages": {user: {device | "*": content}}}
                if (token, segments[2]) not in state.to_device_txns:
                    state.to_device_txns.add((token, segments[2]))
                    order = json.loads(body)
                    for user, devices in order.get("messages", {}).items():
                        for device, content in devices.items():
                            everyone = list(state.users.values()) + [(state.user, state.device)]
                            targets = [d for (u, d) in everyone if u == user] \
                                if device == "*" else [device]
                            for target in targets:
                                state.to_device.append({
                                    "stream": state.next_stream(), "user": user,
                                    "device": target, "sender": self.caller[0],
                                    "type": segments[1], "content": content})
                return self._reply(200, {})
            if kind.startswith("keys_"):
                try:
                    order = json.loads(body) if body else {}
                except ValueError:
                    return self._error(400, "M_NOT_JSON", "Content not JSON.")
                return getattr(self, "_" + kind)(order)
            if kind == "directory":
                alias = segments[2]
                if alias not in state.aliases:
                    return self._error(404, "M_NOT_FOUND", "Room alias %s not found" % alias)
                return self._reply(200, {"room_id": state.aliases[alias], "servers": ["example.org"]})
            if kind == "join":
                target = state.aliases.get(room, room)
                if target not in state.joined and target not in state.joinable:
                    return self._error(403, "M_FORBIDDEN", "You are not invited to this room.")
                state.joined.add(target)
                state.members.setdefault(target, {})[state.user] = "join"
                return self._reply(200, {"room_id": target})
            # send
            txn = segments[4]
            user = self.caller[0]
            bot = user == state.user
            if (bot and room not in state.joined) or \
                    (not bot and state.members.get(room, {}).get(user) != "join"):
                return self._error(403, "M_FORBIDDEN", "User %s not in room %s" % (user, room))
            if not bot:
                # A member's message (an E2EE client's): in the timeline only, not among what
                # /_test/events lists (crier's).
                try:
                    content = json.loads(body)
                except ValueError:
                    return self._error(400, "M_NOT_JSON", "Content not JSON.")
                key = (token, room, txn)
                if key not in state.transactions:
                    state.transactions[key] = state.append(room, user, segments[3],
                                                           content)["event_id"]
                return self._reply(200, {"event_id": state.transactions[key]})
            key = (token, room, txn)
            if key not in state.transactions:
                try:
                    content = json.loads(body)
                except ValueError:
                    return self._error(400, "M_NOT_JSON", "Content not JSON.")
                if not isinstance(content, dict):
                    return self._error(400, "M_BAD_JSON", "Content must be a JSON object.")
                event = state.append(room, state.user, segments[3], content)
                event_id = event["event_id"]
                state.transactions[key] = event_id
                state.events.append({"room_id": room, "txn_id": txn, "type": segments[3],
                                     "content": content, "event_id": event_id})
            return self._reply(200, {"event_id": state.transactions[key]})

    # --- end-to-end encryption keys (called with the state locked) ---------------------------

    def _count_one_time_keys(self):
        keys = self.state.one_time_keys.get(self.caller, {})
        return {"signed_curve25519": sum(1 for k in keys if k.startswith("signed_curve25519:"))}

    def _keys_upload(self, order):
        state = self.state
        user, device = self.caller
        device_keys = order.get("device_keys")
        signed = None
        if device_keys is not None:
            if device_keys.get("user_id") != user or device_keys.get("device_id") != device:
                return self._error(400, "M_INVALID_PARAM", "device_keys are not this device's")
            signed = self._self_signed(device_keys, device_keys.get("keys", {}).get(
                "ed25519:" + device))
            if state.device_keys.get(user, {}).get(device) != device_keys:
                state.key_changes.append((state.next_stream(), user))
            state.device_keys.setdefault(user, {})[device] = device_keys
        keys = state.one_time_keys.setdefault((user, device), {})
        for key_id, key in (order.get("one_time_keys") or {}).items():
            if key_id in keys and keys[key_id] != key:
                return self._error(400, "M_INVALID_PARAM",
                                   "One time key %s already exists. Old key: %s; new key: %s"
                                   % (key_id, keys[key_id], key))
        ed25519 = state.device_keys.get(user, {}).get(device, {}).get(
            "keys", {}).get("ed25519:" + device)
        one_time_signed = all(self._self_signed(key, ed25519)
                              for key in (order.get("one_time_keys") or {}).values())
        keys.update(order.get("one_time_keys") or {})
        state.key_uploads.append({
            "device_keys": device_keys, "device_keys_signed": signed,
            "one_time_keys": sorted((order.get("one_time_keys") or {}).keys()),
            "one_time_keys_signed": one_time_signed})
        return self._reply(200, {"one_time_key_counts": self._count_one_time_keys()})

    def _self_signed(self, value, ed25519):
        """Whether value carries a valid signature of the caller's device (checked with olm)."""
        import olm  # python3-olm: only the encryption tests need it
        user, device = self.caller
        signature = value.get("signatures", {}).get(user, {}).get("ed25519:" + device)
        if not signature or not ed25519:
            return False
        unsigned = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
        canonical = json.dumps(unsigned, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        try:
            olm.ed25519_verify(ed25519, canonical, signature)
            return True
        except olm.OlmVerifyError:
            return False

    def _keys_query(self, order):
        answer = {"device_keys": {}, "failures": {}, "master_keys": {}, "self_signing_keys": {},
                  "user_signing_keys": {}}
        for user, devices in (order.get("device_keys") or {}).items():
            known = self.state.device_keys.get(user, {})
            answer["device_keys"][user] = {d: k for d, k in known.items()
                                           if not devices or d in devices}
            keys = self.state.cross_signing.get(user, {})
            for role in ("master", "self_signing"):
                if role in keys:
                    answer[role + "_keys"][user] = keys[role]
            if "user_signing" in keys and user == self.caller[0]:  # only one's own
                answer["user_signing_keys"][user] = keys["user_signing"]
        return self._reply(200, answer)

    def _keys_device_signing(self, order):
        """POST /keys/device_signing/upload, behind user-interactive auth with the password."""
        auth = order.get("auth") or {}
        if auth.get("session") not in self.state.uia_sessions or \
                auth.get("type") != "m.login.password" or \
                auth.get("identifier", {}).get("user") != self.caller[0] or \
                auth.get("password") != self.state.password:
            session = "uia%d" % (len(self.state.uia_sessions) + 1)
            self.state.uia_sessions.add(session)
            body = {"flows": [{"stages": ["m.login.password"]}], "params": {},
                    "session": session}
            if auth:
                body.update({"errcode": "M_FORBIDDEN", "error": "Invalid password"})
            return self._reply(401, body)
        keys = self.state.cross_signing.setdefault(self.caller[0], {})
        for role in ("master", "self_signing", "user_signing"):
            if role + "_key" in order:
                keys[role] = order[role + "_key"]
        self.state.key_changes.append((self.state.next_stream(), self.caller[0]))
        return self._reply(200, {})

    def _keys_signatures(self, order):
        """POST /keys/signatures/upload: signatures merged into the keys they sign."""
        failures = {}
        for user, objects in order.items():
            for key_id, signed in objects.items():
                target = self.state.device_keys.get(user, {}).get(key_id)
                if target is None:
                    master = self.state.cross_signing.get(user, {}).get("master")
                    if master and ("ed25519:" + key_id) in master.get("keys", {}):
                        target = master
                if target is None:
                    failures.setdefault(user, {})[key_id] = {"errcode": "M_NOT_FOUND",
                                                             "error": "Unknown key"}
                    continue
                for signer, signatures in signed.get("signatures", {}).items():
                    target.setdefault("signatures", {}).setdefault(signer, {}).update(signatures)
        self.state.key_changes.append((self.state.next_stream(), self.caller[0]))
        return self._reply(200, {"failures": failures})

    def _cross_signing_check(self):
        """The bot's signature chain, checked with olm: master -> self-signing -> devices."""
        import olm
        user = self.state.user
        keys = self.state.cross_signing.get(user, {})

        def public(key):
            return next(iter(key.get("keys", {}).values()), None) if key else None

        def signed_by(value, signer):
            signature = value.get("signatures", {}).get(user, {}).get("ed25519:" + signer)
            unsigned = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
            text = json.dumps(unsigned, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            try:
                olm.ed25519_verify(signer, text, signature)
                return True
            except (olm.OlmVerifyError, TypeError, ValueError):
                return False
        master, self_signing = public(keys.get("master")), public(keys.get("self_signing"))
        return {"master": master, "self_signing": self_signing,
                "user_signing": public(keys.get("user_signing")),
                "self_signing_signed_by_master": bool(master) and
                signed_by(keys["self_signing"], master),
                "user_signing_signed_by_master": bool(master) and
                signed_by(keys["user_signing"], master),
                "devices_signed_by_self_signing": {
                    device: bool(self_signing) and signed_by(value, self_signing)
                    for device, value in self.state.device_keys.get(user, {}).items()}}

    def _keys_claim(self, order):
        answer = {}
        for user, devices in (order.get("one_time_keys") or {}).items():
            for device, algorithm in devices.items():
                keys = self.state.one_time_keys.get((user, device), {})
                taken = next((k for k in sorted(keys) if k.startswith(algorithm + ":")), None)
                if taken:
                    answer.setdefault(user, {})[device] = {taken: keys.pop(taken)}
        self.state.next_stream()  # the owner's next /sync tells the new count
        return self._reply(200, {"one_time_keys": answer, "failures": {}})

    def _sync(self, query):
        """GET /sync: what changed after the since token, as the spec shapes it; long-polls up to
        timeout ms while nothing did. Rooms are those the bot has joined."""
        state = self.state
        since = query.get("since", [None])[0]
        timeout = int(query.get("timeout", ["0"])[0]) / 1000
        if since is not None and not (since.startswith("s") and since[1:].isdigit()):
            return self._error(400, "M_INVALID_PARAM", "Invalid since token")
        after = int(since[1:]) if since else 0
        deadline = time.time() + timeout
        user, device = self.caller
        with state.lock:
            while since is not None and state.stream <= after and time.time() < deadline:
                state.changed.wait(deadline - time.time())
            rooms = {}
            mine = {room for room, members in state.members.items() if members.get(user) == "join"}
            if user == state.user:
                mine |= state.joined
            for room in sorted(mine):
                events = [e for e in state.timeline.get(room, []) if e["stream"] > after]
                receipts = [r for r in state.receipts if r["room"] == room and r["stream"] > after]
                if since is not None and not events and not receipts:
                    continue
                keep = state.limits.pop(room, None)
                limited = keep is not None and len(events) > keep
                if limited:
                    events = events[len(events) - keep:]
                # /messages pages back from just before the first event given.
                prev_batch = "t%d" % (events[0]["stream"] - 1 if events else after)
                content = {}
                for r in receipts:
                    entry = {"ts": int(time.time() * 1000)}
                    if r["thread_id"]:
                        entry["thread_id"] = r["thread_id"]
                    content.setdefault(r["event_id"], {}).setdefault(r["type"], {})[r["user"]] = entry
                joined = {"timeline": {"events": [{k: v for k, v in e.items() if k != "stream"}
                                                  for e in events],
                                       "limited": limited, "prev_batch": prev_batch},
                          "ephemeral": {"events": [{"type": "m.receipt", "content": content}]
                                        if content else []}}
                if since is None:
                    # The room's state: its members, and the latest of each other state event
                    # (m.room.encryption...).
                    latest = {}
                    for e in state.timeline.get(room, []):
                        if "state_key" in e and e["type"] != "m.room.member":
                            latest[(e["type"], e["state_key"])] = e
                    joined["state"] = {"events": [
                        {"type": "m.room.member", "state_key": member, "sender": member,
                         "content": {"membership": membership}, "event_id": "$state-%s" % member}
                        for member, membership in sorted(state.members.get(room, {}).items())] + [
                        {k: v for k, v in e.items() if k != "stream"} for e in latest.values()]}
                rooms[room] = joined
            answer = {"next_batch": "s%d" % state.stream, "rooms": {"join": rooms}}
            if (user, device) in state.one_time_keys:
                answer["device_one_time_keys_count"] = self._count_one_time_keys()
            # To-device messages for this device, and whose devices changed: users sharing a
            # room with the caller who uploaded keys or joined since.
            answer["to_device"] = {"events": [
                {"sender": m["sender"], "type": m["type"], "content": m["content"]}
                for m in state.to_device
                if m["user"] == user and m["device"] == device and m["stream"] > after]}
            sharing = set()
            for room in mine:
                sharing |= {u for u, m in state.members.get(room, {}).items() if m == "join"}
            changed = {u for (stream, u) in state.key_changes if stream > after}
            changed |= {e["state_key"] for room in mine for e in state.timeline.get(room, [])
                        if e["type"] == "m.room.member" and e["stream"] > after}
            if since is not None:
                answer["device_lists"] = {"changed": sorted(changed & sharing), "left": []}
            return self._reply(200, answer)

    def _handle(self, method):
        body = self._body()
        path = self.path
        if path.startswith("/_test/"):
            return self._control(method, path, body)
        return self._matrix(method, path, body)

    def do_GET(self):
        self._handle("GET")

    def do_PUT(self):
        self._handle("PUT")

    def do_POST(self):
        self._handle("POST")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--joined", action="append", default=[])
    parser.add_argument("--joinable", action="append", default=[])
    parser.add_argument("--alias", action="append", default=[])
    parser.add_argument("--host", default="127.0.0.1", help="where to listen (a container's: 0.0.0.0)")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--password", default="bot-password",
                        help="the bot's password, for user-interactive auth")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="and this key")
    options = parser.parse_args()
    server = ThreadingHTTPServer((options.host, options.port), Handler)
    if options.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.state = State(options)
    print("listening on %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
