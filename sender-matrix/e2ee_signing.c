/*  e2ee_signing.c - see e2ee_signing.h. jansson writes canonical JSON with JSON_COMPACT and
    JSON_SORT_KEYS (no ASCII escaping: UTF-8 as it is). */
#include "e2ee_signing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *crier_e2ee_canonical (const json_t *object)
{
    json_t *copy = json_copy ((json_t *)object); //  shallow: only two keys go
    if (!copy)
        return NULL;
    json_object_del (copy, "signatures");
    json_object_del (copy, "unsigned");
    char *text = json_dumps (copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (copy);
    return text;
}

int crier_e2ee_sign (crier_e2ee_account_t *account, json_t *object, const char *user,
                     const char *key_id)
{
    char *canonical = crier_e2ee_canonical (object);
    char *signature =
        canonical ? crier_e2ee_account_sign (account, canonical, strlen (canonical)) : NULL;
    free (canonical);
    int rc = signature ? crier_e2ee_add_signature (object, user, key_id, signature) : -1;
    free (signature);
    return rc;
}

int crier_e2ee_sign_with_key (crier_e2ee_signing_t *key, json_t *object, const char *user)
{
    char *canonical = crier_e2ee_canonical (object);
    char *signature =
        canonical ? crier_e2ee_signing_sign (key, canonical, strlen (canonical)) : NULL;
    free (canonical);
    int rc = signature ? crier_e2ee_add_signature (object, user, crier_e2ee_signing_public (key),
                                                   signature)
                       : -1;
    free (signature);
    return rc;
}

int crier_e2ee_add_signature (json_t *object, const char *user, const char *key_id,
                              const char *signature)
{
    char name[256];
    snprintf (name, sizeof name, "ed25519:%s", key_id);
    json_t *signatures = json_object_get (object, "signatures");
    if (!signatures) {
        signatures = json_object ();
        json_object_set_new (object, "signatures", signatures);
    }
    json_t *by_user = json_object_get (signatures, user);
    if (!by_user) {
        by_user = json_object ();
        json_object_set_new (signatures, user, by_user);
    }
    return json_object_set_new (by_user, name, json_string (signature));
}

bool crier_e2ee_signed_by (const json_t *object, const char *user, const char *key_id,
                           const char *ed25519)
{
    char name[256];
    snprintf (name, sizeof name, "ed25519:%s", key_id);
    const char *signature = json_string_value (
        json_object_get (json_object_get (json_object_get (object, "signatures"), user), name));
    char *canonical = signature ? crier_e2ee_canonical (object) : NULL;
    bool valid =
        canonical && crier_e2ee_ed25519_verify (ed25519, canonical, strlen (canonical), signature);
    free (canonical);
    return valid;
}
