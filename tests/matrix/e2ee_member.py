#!/usr/bin/python3
"""A room member's end-to-end encrypted client, for crier's E2EE tests: matrix-nio with olm
(Debian's python3-matrix-nio, python3-olm), the library real bots and clients use.

It registers its account with the homeserver double (/_test/user), joins the room
(/_test/member), publishes its device's keys, then follows /sync and prints one JSON line per
room message it receives: {"event_id", "room_id", "sender", "type", "body", "decrypted"}
("decrypted": false for an m.room.encrypted event it could not open, with "session_id").
It prints {"ready": true, "curve25519": ..., "ed25519": ...} once its keys are published and
its first sync is done, and ends on SIGTERM. With --verify USER it then verifies USER's devices
interactively (SAS, as Element does with emoji): it prints {"sas": [emoji names], "device"} when
both keys are exchanged, confirms, and prints {"verified": device} once the device's MAC checks
out. With --say TEXT it sends TEXT to the room (encrypted, sharing its room key with every
member's device, the bot's too) and prints {"said": event_id}.

Usage: e2ee_member.py --homeserver URL --user @anna:example.org --device ANNA --token TOKEN
       --room '!room:example.org' --store DIR
"""

import argparse
import asyncio
import json
import signal
import sys
import urllib.request

from nio import (AsyncClient, AsyncClientConfig, KeysUploadError, MegolmEvent, RoomMessageText,
                 SyncError)


def emit(value):
    print(json.dumps(value), flush=True)


def test_post(homeserver, what, body):
    request = urllib.request.Request(homeserver + "/_test/" + what, method="POST",
                                     data=json.dumps(body).encode())
    with urllib.request.urlopen(request) as answer:
        answer.read()


async def main(options):
    test_post(options.homeserver, "user",
              {"user": options.user, "token": options.token, "device": options.device})
    config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
    client = AsyncClient(options.homeserver, options.user, device_id=options.device,
                         store_path=options.store, config=config)
    client.restore_login(options.user, options.device, options.token)
    if client.should_upload_keys:
        answer = await client.keys_upload()
        if isinstance(answer, KeysUploadError):
            emit({"error": "keys_upload: %s" % answer})
            return 1
    test_post(options.homeserver, "member",
              {"room": options.room, "user": options.user, "membership": "join"})

    def on_text(room, event):
        emit({"event_id": event.event_id, "room_id": room.room_id, "sender": event.sender,
              "type": "m.room.message", "body": event.body, "decrypted": event.decrypted,
              "verified": event.verified})

    def on_undecryptable(room, event):
        emit({"event_id": event.event_id, "room_id": room.room_id, "sender": event.sender,
              "type": "m.room.encrypted", "decrypted": False, "session_id": event.session_id})

    client.add_event_callback(on_text, RoomMessageText)
    client.add_event_callback(on_undecryptable, MegolmEvent)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    first = True
    verifying, verified = set(), set()  # transactions confirmed, and done
    started = False
    while not stop.is_set():
        answer = await client.sync(timeout=500)
        if isinstance(answer, SyncError):
            emit({"error": "sync: %s" % answer})
            await asyncio.sleep(0.2)
            continue
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if options.verify and not started:
            for device in client.device_store.active_user_devices(options.verify):
                await client.start_key_verification(device)
                started = True
        for transaction, sas in list(client.key_verifications.items()):
            if sas.other_key_set and transaction not in verifying:
                verifying.add(transaction)
                emit({"sas": [name for (_, name) in sas.get_emoji()],
                      "decimals": " ".join(str(number) for number in sas.get_decimals()),
                      "device": sas.other_olm_device.id})
                await client.confirm_short_auth_string(transaction)
            if sas.verified and transaction not in verified:
                verified.add(transaction)
                emit({"verified": sas.other_olm_device.id})
        await client.send_to_device_messages()
        if first:
            first = False
            emit({"ready": True, "curve25519": client.olm.account.identity_keys["curve25519"],
                  "ed25519": client.olm.account.identity_keys["ed25519"]})
            if options.say:
                answer = await client.room_send(options.room, "m.room.message",
                                                {"msgtype": "m.text", "body": options.say},
                                                ignore_unverified_devices=True)
                emit({"said": getattr(answer, "event_id", None), "error": None
                      if hasattr(answer, "event_id") else str(answer)})
    await client.close()
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # the test stopped reading: end quietly
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("homeserver", "user", "device", "token", "room", "store"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--verify", help="verify this user's devices (SAS)")
    parser.add_argument("--say", help="send this text, encrypted, once ready")
    sys.exit(asyncio.run(main(parser.parse_args())))
