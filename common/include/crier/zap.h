/*  zap.h - who may connect to crier's CURVE-secured sockets: a ZAP handler (ZeroMQ RFC 27) on
    a zloop that lets in the clients whose public certificates are in a folder, and what each
    certificate allows (docs/security.md).

    A client certificate's metadata may restrict it:
        groups = "#staff #customers"   the only groups it may send to (absent: any group)
        operator = "yes"               it may use crier-ingest's control endpoint
    The folder is read again when a file in it is added, removed or replaced, and on SIGHUP. A
    refused client is logged with its public key, at most once a minute per key. */
#ifndef CRIER_ZAP_H_INCLUDED
#define CRIER_ZAP_H_INCLUDED

#include "crier/id.h"
#include "crier/links.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char key[41];                         //  public key, Z85
    char tag[CRIER_CLIENT_TAG_BYTES + 1]; //  scopes its ids: crier_id_client_tag of key
    char *name;                           //  metadata "name", else the file name
    char *file;                           //  where the certificate was read
    char **groups;                        //  the groups it may send to; none: any
    size_t group_count;
    bool operator; //  may use the control endpoint
} crier_client_t;

typedef struct crier_zap_t crier_zap_t;

//  Reads the client certificates in clients_dir (may be NULL: none) and answers ZAP requests on
//  loop for every secured server socket of this process: those of the domain CRIER_ZAP_DOMAIN
//  admit the clients of the folder, those of CRIER_ZAP_DOMAIN_INTERNAL the internal key of links
//  only, those of CRIER_ZAP_DOMAIN_STACK a PLAIN peer presenting the stack identity of links
//  (stack.refused is logged otherwise). Create it before such a socket binds. Returns NULL after
//  logging why (the folder cannot be read, another handler exists).
crier_zap_t *crier_zap_new (zloop_t *loop, const char *clients_dir, const crier_links_t *links);

//  NULL-safe; sets *self_p to NULL.
void crier_zap_destroy (crier_zap_t **self_p);

//  The client with this public key (Z85, as ZeroMQ's "User-Id" message property gives it), or
//  NULL when its certificate is no longer in the folder. Borrowed until the folder is re-read.
const crier_client_t *crier_zap_client (crier_zap_t *self, const char *key);

//  True when the client may send to group.
bool crier_client_may_send_to (const crier_client_t *client, const char *group);

//  The groups a client may send to, space-separated, into buffer ("any" when unrestricted).
const char *crier_client_groups_text (const crier_client_t *client, char *buffer, size_t size);

#endif
