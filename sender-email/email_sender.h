/*  email_sender.h - the crier-sender-email actor: pulls email deliveries from the resolver and
    sends each as one email to one recipient over SMTP (libcurl), reusing up to
    CRIER_SMTP_CONNECTIONS connections.

    4xx replies and connection failures are retried with capped exponential backoff and jitter
    until CRIER_SMTP_RETRY_DEADLINE; 5xx replies fail at once, with the server's reply text; a
    refused login (535) is a refused credential (crier/sender.h: nothing failed, the login tried
    again until it works). It holds 8 per connection, and starts and stops as every sender does
    (crier/sender.h).
*/
#ifndef CRIER_EMAIL_SENDER_H_INCLUDED
#define CRIER_EMAIL_SENDER_H_INCLUDED

#include "email_config.h"

#include <czmq.h>

//  zactor function; args is a crier_email_config_t that must outlive the actor.
void crier_email_sender (zsock_t *pipe, void *args);

#endif
