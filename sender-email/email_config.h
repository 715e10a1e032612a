/*  email_config.h - crier-sender-email's settings, from the environment. */
#ifndef CRIER_EMAIL_CONFIG_H_INCLUDED
#define CRIER_EMAIL_CONFIG_H_INCLUDED

#include "crier/sender_config.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { CRIER_SMTP_TLS_NONE, CRIER_SMTP_TLS_STARTTLS, CRIER_SMTP_TLS_TRY } crier_smtp_tls_t;

typedef struct {
    char *url;                    //  CRIER_SMTP_URL: smtp://host:port or smtps://host:port
    char *display_url;            //  url without user and password, for logs
    crier_smtp_tls_t tls;         //  CRIER_SMTP_TLS
    char *user;                   //  CRIER_SMTP_USER
    char *password;               //  CRIER_SMTP_PASSWORD (or _FILE)
    char *ca_file;                //  CRIER_SMTP_CA_FILE: trust this CA (a private mail server)
    char *from;                   //  CRIER_EMAIL_FROM as given: address or "Name <address>"
    char *from_address;           //  the address alone
    char *from_name;              //  the display name, or NULL
    unsigned connections;         //  CRIER_SMTP_CONNECTIONS
    uint64_t timeout_ms;          //  CRIER_SMTP_TIMEOUT
    crier_sender_config_t sender; //  CRIER_EMAIL_DELIVERIES_ENDPOINT, CRIER_SMTP_RETRY_DEADLINE...
} crier_email_config_t;

//  Reads every setting, logging each bad or missing one. Returns 0 or -1.
int crier_email_config_load (crier_email_config_t *config);

void crier_email_config_free (crier_email_config_t *config);

//  Splits "Name <address>" or "address" into its parts (caller frees both; *name_p may be NULL).
//  Returns 0, or -1 with a reason in message when it is not a valid sender.
int crier_email_parse_from (const char *from, char **address_p, char **name_p, char *message,
                            size_t size);

#endif
