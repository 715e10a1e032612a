#!/usr/bin/python3
"""Writes the fuzz targets' seed corpus (fuzz/corpus/<target>/): a few valid inputs of each
kind, so that libFuzzer starts from the shapes crier really receives. Run it again after a
format changes; the files are committed. Usage: /usr/bin/python3 fuzz/make_seeds.py"""
import json
import os

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
DELIVERY_ID = "0123456789abcdef0123456789abcdef01234567"


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


notification = {"to": ["#admins", "#staff"], "subject": "Disk full", "body": "on db1",
                "html": "<p>on <b>db1</b></p>", "priority": "high", "id": "n-1"}
write("fuzz_notification", "full", msgpack.packb(notification))
write("fuzz_notification", "minimal", msgpack.packb({"to": "#admins", "body": "x"}))
write("fuzz_notification", "with_key", msgpack.packb({"to": "#ops", "body": "x",
                                                     "key": "db1/backup-failed"}))
write("fuzz_notification", "unicode", msgpack.packb({"to": ["#ops"], "subject": "caf\u00e9 \u2603",
                                                     "body": "\U0001F600"}))
# Separators and bidirectional controls (refused in group names), and a key given twice.
write("fuzz_notification", "invisible_group", msgpack.packb({"to": ["#ops\u2028x", "#\u202eops"],
                                                            "body": "b\u0085"}))
write("fuzz_notification", "duplicate_key", b"\x83\xa2to\xa4#ops\xa4body\xa1b\xa4body\xa1c")
write("fuzz_notification", "binary_body", msgpack.packb({"to": ["#a"], "body": b"\xff\xfe"}))
write("fuzz_notification", "wait", msgpack.packb({"wait": "backup-2026-11-25", "timeout_ms": 30000}))
write("fuzz_notification", "wait_too_long", msgpack.packb({"wait": "x", "timeout_ms": 300001}))

frame = dict(notification, v=1, type="notification", received_at=1764000000000)
write("fuzz_frames", "notification", b"\x00" + msgpack.packb(frame))
write("fuzz_frames", "redelivery", b"\x00" + msgpack.packb(dict(
    frame, attempt=3, route=True, only=[{"channel": "matrix", "target": "!r:hs"}])))
write("fuzz_frames", "delivery", b"\x01" + msgpack.packb({
    "v": 1, "type": "delivery", "delivery_id": DELIVERY_ID, "channel": "email",
    "target": "a@b.org", "attempt": 2, "notification": frame}))
event = {"v": 1, "time": 1764000000000, "source": "crier-sender-matrix", "instance": "i-1",
         "notification_id": "n-1"}
write("fuzz_frames", "receipt_delivered", b"\x02" + msgpack.packb(dict(
    event, type="delivery.delivered", delivery_id=DELIVERY_ID, channel="matrix",
    target="!r:hs", attempts=1)))
write("fuzz_frames", "receipt_routed", b"\x02" + msgpack.packb(dict(
    event, type="notification.routed", deliveries=[
        {"delivery_id": DELIVERY_ID, "channel": "email", "target": "a@b.org"}])))
write("fuzz_frames", "receipt_unroutable", b"\x02" + msgpack.packb(dict(
    event, type="notification.unroutable", groups=["#nobody"])))
# Nags (docs/nag.md): the routed receipt's nags, the watcher's receipts, the resolver's answer,
# ingest's nag request and a nag email's delivery.
write("fuzz_frames", "receipt_routed_nags", b"\x02" + msgpack.packb(dict(
    event, type="notification.routed", deliveries=[
        {"delivery_id": DELIVERY_ID, "channel": "matrix", "target": "!r:hs"}],
    nags=[{"delivery_id": DELIVERY_ID, "after_ms": 900000}])))
write("fuzz_frames", "receipt_seen", b"\x02" + msgpack.packb(dict(
    event, type="delivery.seen", delivery_id=DELIVERY_ID, room_id="!r:hs", event_id="$e",
    members=["@will:hs", "@anna:hs"])))
write("fuzz_frames", "receipt_read", b"\x02" + msgpack.packb(dict(
    event, type="delivery.read", delivery_id=DELIVERY_ID, room_id="!r:hs", event_id="$e",
    reader="@will:hs")))
write("fuzz_frames", "receipt_nag_routed", b"\x02" + msgpack.packb(dict(
    event, type="nag.routed", decided=[DELIVERY_ID], deliveries=[
        {"delivery_id": DELIVERY_ID, "channel": "email", "target": "will@hs",
         "nag_of": "@will:hs", "of": DELIVERY_ID}])))
write("fuzz_frames", "nag_request", b"\x00" + msgpack.packb(dict(
    frame, attempt=2, escalate=True,
    nags=[{"delivery_id": DELIVERY_ID, "room_id": "!r:hs", "event_id": "$e", "after_ms": 60000,
           "unread": ["@will:hs"]}],
    nag_deliveries=[{"nag_of": "@anna:hs", "target": "anna@hs", "of": DELIVERY_ID}])))
write("fuzz_frames", "nag_delivery", b"\x01" + msgpack.packb(dict(
    frame, v=1, type="delivery", delivery_id=DELIVERY_ID, channel="email", target="will@hs",
    attempt=1, nag_of="@will:hs")))
# Throttles (docs/throttle.md): ingest's windows and a summary in a notification frame, the
# routed receipt's decisions, an edit request and an edit's delivery, a journaled window.
window = {"group": "#ops", "start_ms": 1764000000000, "window_ms": 600000, "count": 37,
          "opener": "n-0"}
write("fuzz_frames", "throttle_windows", b"\x00" + msgpack.packb(dict(
    frame, key="db1/backup", windows=[window], summary=window)))
write("fuzz_frames", "receipt_routed_throttle", b"\x02" + msgpack.packb(dict(
    event, type="notification.routed", deliveries=[], key="db1/backup",
    throttle=[{"group": "#ops", "action": "held", "start_ms": 1764000000000,
               "window_ms": 600000}])))
write("fuzz_frames", "receipt_delivered_event", b"\x02" + msgpack.packb(dict(
    event, type="delivery.delivered", delivery_id=DELIVERY_ID, channel="matrix",
    target="!r:hs", attempts=1, event_id="$first")))
write("fuzz_frames", "edit_request", b"\x00" + msgpack.packb(dict(
    frame, edits=[{"room_id": "!r:hs", "event_id": "$first"}])))
write("fuzz_frames", "edit_delivery", b"\x01" + msgpack.packb(dict(
    frame, v=1, type="delivery", delivery_id=DELIVERY_ID, channel="matrix", target="!r:hs",
    attempt=1, replaces="$first")))
write("fuzz_frames", "throttle_window", b"\x07" + msgpack.packb(dict(
    window, key="db1/backup", first_ms=1764000001000, last_ms=1764000002000, urgent=1,
    latest_subject="Backup failed", latest_body="exit 3", opener_subject="Backup failed",
    messages=[{"room_id": "!r:hs", "event_id": "$first"}])))
write("fuzz_frames", "reply_ok", b"\x03" + msgpack.packb({"ok": True, "id": "n-1",
                                                          "duplicate": True}))
write("fuzz_frames", "reply_refused", b"\x03" + msgpack.packb({
    "ok": False, "temporary": True, "error": "backlog full"}))
write("fuzz_frames", "control_list", b"\x04" + msgpack.packb({"op": "dead_letters",
                                                              "limit": 10}))
write("fuzz_frames", "control_retry", b"\x04" + msgpack.packb({"op": "retry", "id": "n-1"}))
write("fuzz_frames", "control_reply", b"\x05" + msgpack.packb({
    "ok": True, "total": 1, "dead_letters": [{
        "notification_id": "n-1", "delivery_id": DELIVERY_ID, "channel": "matrix",
        "target": "!r:hs", "reason": "403 M_FORBIDDEN", "time": 1764000000000}]}))
write("fuzz_frames", "control_retried", b"\x05" + msgpack.packb({"ok": True, "retried": 2}))
write("fuzz_frames", "event_json", b"\x06" + msgpack.packb(dict(
    event, type="delivery.failed", reason="x", nested={"a": [1, -2, 3.5, None, True]})))

mapping = {"_id": "mapping", "_rev": "3-abc", "mapping": {
    "#admins": {"matrix": ["!room:server", "#alias:server"], "email": ["a@b.org"]},
    "#staff": {"email": ["Staff <staff@example.com>"]}, "#a": {"matrix": ["!r:hs"]}}}
write("fuzz_mapping", "valid", json.dumps(mapping))
write("fuzz_mapping", "empty", json.dumps({"mapping": {}}))
write("fuzz_mapping", "throttle", json.dumps({"mapping": {"#a": {
    "matrix": ["!r:hs"], "throttle": {"window": "10m"}, "nag": {"after": "15m"}}}}))
write("fuzz_mapping", "bad_email", json.dumps({"mapping": {"#a": {"email": ["not an address"]}}}))
write("fuzz_mapping", "syntax_error", '{"mapping": {"#a": ')
write("fuzz_mapping", "invisible", json.dumps({"description": "x\u0000y", "mapping": {
    "#a\u00a0b": {"email": ["ops\u0085@example.org"], "matrix": ["!r\u202e:hs"]}}}))

line = json.dumps({"seq": "12-g1AAAABteJzLYWBgYMpgTmHgz8tPSTV0MDQy0TM0NLIAAIqAB9k",
                   "id": "mapping", "changes": [{"rev": "3-abc"}], "doc": mapping})
write("fuzz_changes", "document", b"\x20" + (line + "\n").encode())
write("fuzz_changes", "heartbeats_and_end", b"\x03" + (
    "\n\n" + json.dumps({"seq": 7, "id": "mapping", "deleted": True,
                         "changes": [{"rev": "4-d"}]}) + "\n" + '{"last_seq": 7}\n').encode())
write("fuzz_changes", "error", b"\x00" + b'{"error":"unauthorized","reason":"Name or password is incorrect."}\n')
write("fuzz_changes", "array_seq", b"\x05" + (json.dumps({"seq": [3, "g1"], "id": "mapping",
                                                          "changes": []}) + "\n").encode())

write("fuzz_html", "formatting", '<h1>Disk</h1><p>on <b>db1</b> <i>now</i><br>see '
      '<a href="https://x.org/a?b=1&amp;c=2">the graph</a></p><ul><li>one<li>two</ul>')
write("fuzz_html", "hostile", '<script>alert(1)</script><img src="javascript:x" onerror=y>'
      '<a href="javascript:alert(1)">x</a><style>p{}</style><table><tr><td>a<td>b</table>')
write("fuzz_html", "entities", "&lt;&gt;&amp;&nbsp;&eacute;&#x1F600;&#0;&bogus; <pre>  a\n  b</pre>")
write("fuzz_html", "nested", "<div>" * 150 + "deep" + "</div>" * 150)

# fuzz_matrix_answer: the first byte picks the status (index into the target's table; its high
# nibble is a Retry-After in seconds), the rest is the body.
write("fuzz_matrix_answer", "sent", b"\x00" + b'{"event_id":"$abc:example.org"}')
write("fuzz_matrix_answer", "rate_limited", b"\x28" + json.dumps(
    {"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 2000}).encode())
write("fuzz_matrix_answer", "forbidden", b"\x04" + json.dumps(
    {"errcode": "M_FORBIDDEN", "error": "User @crier:example.org not in room"}).encode())
write("fuzz_matrix_answer", "proxy_page", b"\x0a" + b"<html><body>Bad Gateway</body></html>")
write("fuzz_matrix_answer", "whoami", b"\x00" + b'{"user_id":"@crier:example.org","device_id":"X"}')

# fuzz_matrix_sync: /sync answers as the Client-Server API shapes them.
room = "!room:example.org"
write("fuzz_matrix_sync", "members_timeline_receipts", json.dumps({
    "next_batch": "s1", "rooms": {"join": {room: {
        "state": {"events": [{"type": "m.room.member", "state_key": "@will:example.org",
                              "sender": "@will:example.org", "content": {"membership": "join"}}]},
        "timeline": {"limited": False, "events": [
            {"type": "m.room.message", "event_id": "$alert", "sender": "@crier:example.org",
             "content": {"msgtype": "m.text", "body": "disk full"}}]},
        "ephemeral": {"events": [{"type": "m.receipt", "content": {
            "$alert": {"m.read": {"@will:example.org": {"ts": 1, "thread_id": "main"}}}}}]}}}}}).encode())
write("fuzz_matrix_sync", "limited_gap", json.dumps({
    "next_batch": "s2", "rooms": {"join": {room: {
        "timeline": {"limited": True, "prev_batch": "t1", "events": [
            {"type": "m.room.message", "event_id": "$after", "sender": "@crier:example.org",
             "content": {}}]},
        "ephemeral": {"events": [{"type": "m.receipt", "content": {
            "$missed": {"m.read": {"@will:example.org": {}}}}}]}}}}}).encode())

# crier-gateway, the first byte modulo 3: a JSON body (0), Title, Priority and text lines (1),
# an Alertmanager call (2).
write("fuzz_gateway", "json", b"\x00" + json.dumps(
    {"to": ["#ops", "#dev"], "subject": "Disk", "body": "full", "priority": "high"}).encode())
write("fuzz_gateway", "json_key_groups", b"\x06" + json.dumps(
    {"to": "#ops", "body": "x", "id": "key"}).encode())
write("fuzz_gateway", "text", b"\x01Backup\n5\nbackup failed on db1")
write("fuzz_gateway", "text_groups", b"\x07Title\nmax\nbody")
write("fuzz_gateway", "alertmanager", b"\x02" + json.dumps({
    "version": "4", "status": "firing", "truncatedAlerts": 2, "groupLabels": {"alertname": "X"},
    "commonLabels": {"severity": "critical"}, "externalURL": "http://am:9093",
    "alerts": [{"status": "firing", "labels": {"alertname": "X", "instance": "db1"},
                "annotations": {"summary": "s", "description": "d"},
                "startsAt": "2026-11-30T12:00:00Z", "generatorURL": "http://prom/graph"}]}).encode())
write("fuzz_gateway", "grafana", b"\x05" + json.dumps({
    "version": "1", "status": "firing", "title": "[FIRING:1] X", "groupLabels": {},
    "alerts": [{"status": "firing", "labels": {"alertname": "X"}, "silenceURL": "https://g/s",
                "dashboardURL": "https://g/d", "panelURL": "", "values": {"B": 1.5},
                "valueString": "[ value=1 ]"}]}).encode())
