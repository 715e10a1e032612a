/*  email_sender.h - the crier-sender-email actor: pulls email deliveries from the resolver and
    sends each as one email to one recipient over SMTP (libcurl), reusing up to
    CRIER_SMTP_CONNECTIONS connections.

    - 4xx replies and connection failures: retried with capped exponential backoff and jitter
      until CRIER_SMTP_RETRY_DEADLINE, then a failed event.
    - 5xx replies: failed at once, with the server's reply text.
    - A refused login (535): logged loudly and retried, never dropped.
    - Bounded: at most 8 x CRIER_SMTP_CONNECTIONS deliveries are held; past that it stops
      pulling and ZeroMQ pushes back to the resolver.

    Commands on the actor's pipe: START -> "OK", deliveries endpoint, or "ERROR"; $TERM.
*/
#ifndef CRIER_EMAIL_SENDER_H_INCLUDED
#define CRIER_EMAIL_SENDER_H_INCLUDED

#include "email_config.h"

#include <czmq.h>

//  zactor function; args is a crier_email_config_t that must outlive the actor.
void crier_email_sender (zsock_t *pipe, void *args);

#endif
