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

import olm
from nio import (AsyncClient, AsyncClientConfig, Event, KeysUploadError, MegolmEvent,
                 RoomMessageText, SyncError)
from nio.crypto.sas import Sas as NioSas


def emit(value):
    print(json.dumps(value), flush=True)


def test_post(homeserver, what, body):
    request = urllib.request.Request(homeserver + "/_test/" + what, method="POST",
                                     data=json.dumps(body).encode())
    with urllib.request.urlopen(request) as answer:
        answer.read()


def canonical(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class InRoomVerifier:
    """Verifies the bot's device with a request made as a room message, as Element's "Verify
    user" does in a direct chat (nio 0.20 cannot): request, then start, key and MAC as room
    events related to it, the SAS computed with olm."""

    def __init__(self, client, room, bot):
        self.client, self.room, self.bot = client, room, bot
        self.request = None
        self.seen = {}  # event type -> content, from the bot, related to the request
        self.start = None
        self.sas = None
        self.sent_key = self.sent_mac = self.finished = False

    def on_event(self, room, event):
        source = getattr(event, "source", {}) or {}
        kind = source.get("type", "")
        content = source.get("content", {})
        related = content.get("m.relates_to", {}).get("event_id")
        if event.sender == self.bot and kind.startswith("m.key.verification.") and \
                self.request and related == self.request:
            self.seen[kind] = content

    async def send(self, kind, content):
        content = dict(content, **{"m.relates_to": {"rel_type": "m.reference",
                                                    "event_id": self.request}})
        await self.client.room_send(self.room, kind, content, ignore_unverified_devices=True)
        return content

    async def step(self):
        client, me, device = self.client, self.client.user_id, self.client.device_id
        if self.request is None:
            answer = await client.room_send(
                self.room, "m.room.message",
                {"msgtype": "m.key.verification.request", "body": "verification", "to": self.bot,
                 "from_device": device, "methods": ["m.sas.v1"]}, ignore_unverified_devices=True)
            self.request = answer.event_id
            return
        ready = self.seen.get("m.key.verification.ready")
        if ready and self.start is None:
            self.bot_device = ready["from_device"]
            self.start = await self.send("m.key.verification.start", {
                "from_device": device, "method": "m.sas.v1",
                "key_agreement_protocols": ["curve25519-hkdf-sha256"], "hashes": ["sha256"],
                "message_authentication_codes": ["hkdf-hmac-sha256"],
                "short_authentication_string": ["decimal", "emoji"]})
            return
        accept = self.seen.get("m.key.verification.accept")
        if accept and not self.sent_key:
            self.sas = olm.Sas()
            await self.send("m.key.verification.key", {"key": self.sas.pubkey})
            self.sent_key = True
            return
        key = self.seen.get("m.key.verification.key")
        if key and not self.sent_mac:
            bot_key = key["key"]
            if olm.sha256(bot_key + canonical(self.start)) != accept["commitment"]:
                emit({"error": "the bot's key does not match its commitment"})
                self.sent_mac = True
                return
            self.sas.set_their_pubkey(bot_key)
            info = (f"MATRIX_KEY_VERIFICATION_SAS|{me}|{device}|{self.sas.pubkey}|{self.bot}|"
                    f"{self.bot_device}|{bot_key}|{self.request}")
            bits = "".join(format(byte, "08b") for byte in self.sas.generate_bytes(info, 6))
            emoji = [NioSas.emoji[int(bits[i:i + 6], 2)][1] for i in range(0, 42, 6)]
            emit({"sas_in_room": emoji})
            mac_info = f"MATRIX_KEY_VERIFICATION_MAC{me}{device}{self.bot}{self.bot_device}" \
                       f"{self.request}"
            key_id = f"ed25519:{device}"
            ed25519 = client.olm.account.identity_keys["ed25519"]
            await self.send("m.key.verification.mac", {
                "mac": {key_id: self.sas.calculate_mac(ed25519, mac_info + key_id)},
                "keys": self.sas.calculate_mac(key_id, mac_info + "KEY_IDS")})
            self.sent_mac = True
            return
        mac = self.seen.get("m.key.verification.mac")
        if mac and self.sent_mac and not self.finished:
            self.finished = True
            info = f"MATRIX_KEY_VERIFICATION_MAC{self.bot}{self.bot_device}{me}{device}" \
                   f"{self.request}"
            bot_ed = client.device_store[self.bot][self.bot_device].ed25519
            key_id = f"ed25519:{self.bot_device}"
            ok = mac.get("keys") == self.sas.calculate_mac(",".join(sorted(mac["mac"])),
                                                           info + "KEY_IDS") and \
                mac["mac"].get(key_id) == self.sas.calculate_mac(bot_ed, info + key_id)
            # The bot's master cross-signing key, when its MAC names one: as the homeserver has it.
            master = self.master_key()
            master_ok = bool(master) and mac["mac"].get(f"ed25519:{master}") == \
                self.sas.calculate_mac(master, info + f"ed25519:{master}")
            if ok:
                await self.send("m.key.verification.done", {})
            emit({"verified_in_room": self.bot_device, "master_verified": master_ok} if ok
                 else {"error": "the MAC is wrong"})

    def master_key(self):
        """The bot's master key from the homeserver (/keys/query), or None."""
        request = urllib.request.Request(
            self.client.homeserver + "/_matrix/client/v3/keys/query", method="POST",
            data=json.dumps({"device_keys": {self.bot: []}}).encode(),
            headers={"Authorization": "Bearer " + self.client.access_token,
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as answer:
            keys = json.loads(answer.read()).get("master_keys", {}).get(self.bot, {})
        return next(iter(keys.get("keys", {}).values()), None)


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
    verifier = InRoomVerifier(client, options.room, options.verify_in_room) \
        if options.verify_in_room else None
    if verifier:
        client.add_event_callback(verifier.on_event, Event)
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
        if verifier and not first:
            await verifier.step()
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
    parser.add_argument("--verify-in-room", help="verify this user's device with a request "
                        "sent as a room message (SAS)")
    sys.exit(asyncio.run(main(parser.parse_args())))
