/*  endpoints.h - default endpoints of the pipeline (docs/architecture.md draws them).

    Each link is one variable read by both of its ends: the binding side binds it, the connecting
    side connects to it. The defaults work on one host; in containers each side sets its own
    value (the resolver binds tcp://0.0.0.0:7410, ingest connects to tcp://resolver:7410).
*/
#ifndef CRIER_ENDPOINTS_H_INCLUDED
#define CRIER_ENDPOINTS_H_INCLUDED

//  Services push notifications here (ingest binds PULL).
#define CRIER_DEFAULT_INGEST_ENDPOINT "tcp://*:7400"
//  Where crier send and other clients connect by default.
#define CRIER_DEFAULT_CLIENT_ENDPOINT "tcp://127.0.0.1:7400"
//  Services that want an answer send here (ingest binds ROUTER; clients use REQ or DEALER).
#define CRIER_DEFAULT_INGEST_ACK_ENDPOINT "tcp://*:7401"
#define CRIER_DEFAULT_CLIENT_ACK_ENDPOINT "tcp://127.0.0.1:7401"
//  crier dead-letters asks here (ingest binds ROUTER). Loopback only by default: it lists
//  addresses and can send things again, so it is for operators on the host or in the container.
#define CRIER_DEFAULT_INGEST_CONTROL_ENDPOINT "tcp://127.0.0.1:7404"
//  The event bus: subscribers connect here (resolver binds XPUB).
#define CRIER_DEFAULT_EVENTS_ENDPOINT "tcp://127.0.0.1:7402"
//  The event bus: publishers connect here (resolver binds XSUB).
#define CRIER_DEFAULT_EVENTS_PUBLISH_ENDPOINT "tcp://127.0.0.1:7403"
//  Accepted notifications, ingest to resolver (resolver binds PULL, ingest connects PUSH).
#define CRIER_DEFAULT_NOTIFICATIONS_ENDPOINT "tcp://127.0.0.1:7410"
//  Deliveries, resolver to senders (resolver binds PUSH, each sender connects PULL).
#define CRIER_DEFAULT_MATRIX_DELIVERIES_ENDPOINT "tcp://127.0.0.1:7411"
#define CRIER_DEFAULT_EMAIL_DELIVERIES_ENDPOINT  "tcp://127.0.0.1:7412"
//  crier-matrix-watch binds it for the Matrix senders' encryption requests (docs/matrix.md).
#define CRIER_DEFAULT_MATRIX_E2EE_ENDPOINT "tcp://127.0.0.1:7416"

#endif
