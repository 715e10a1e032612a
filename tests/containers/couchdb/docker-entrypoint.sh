#!/bin/sh
# CouchDB's image takes COUCHDB_USER and COUCHDB_PASSWORD from the environment and runs what it
# is given (compose.yaml gives /opt/couchdb/bin/couchdb): pouchdb-server with that admin instead,
# on a loopback port, and up.js in front of it on 5984.
set -eu
mkdir -p /opt/couchdb/data
printf '{"admins": {"%s": "%s"}, "log": {"file": "/opt/couchdb/data/log.txt"}}\n' \
    "${COUCHDB_USER:-admin}" "${COUCHDB_PASSWORD:-admin}" > /opt/couchdb/data/config.json
/opt/pouchdb/node_modules/.bin/pouchdb-server --host 127.0.0.1 --port 5985 \
    --dir /opt/couchdb/data --config /opt/couchdb/data/config.json &
exec node /up.js
