/*  alertmanager.h - Alertmanager's webhook (payload version 4), and Grafana's, which is shaped
    like it (version 1: each alert's own silence, dashboard and panel links, its values, the
    call's title), as one crier notification
    (docs/http.md): subject from the status and the group labels ("[FIRING:3] HighLatency api"),
    a plain and an HTML body listing each alert's labels, summary and description, since when,
    and its links (generatorURL; a silence link from externalURL); resolved alerts marked as
    such; a long group cut to fit one Matrix event ("... and N more", counting truncatedAlerts),
    never refused for its size. */
#ifndef CRIER_ALERTMANAGER_H_INCLUDED
#define CRIER_ALERTMANAGER_H_INCLUDED

#include <jansson.h>
#include <stddef.h>

//  The text and HTML an alert group may take at most (a Matrix event holds 64 KiB in all).
#define CRIER_ALERTMANAGER_TEXT_MAX 16384
#define CRIER_ALERTMANAGER_HTML_MAX 32768

typedef enum { CRIER_ALERTS_ALERTMANAGER, CRIER_ALERTS_GRAFANA } crier_alert_source_t;

//  Makes the notification (a JSON object: to, subject, body, html, priority, and key, from the
//  receiver and the groupKey, when the call has one) of a webhook call
//  from source to groups. Returns it, or NULL with a reason for a 400 answer (a payload that can
//  never succeed: not JSON, not the source's).
json_t *crier_alertmanager_notification (const char *body, size_t size, const char *const *to,
                                         size_t to_count, crier_alert_source_t source, char *error,
                                         size_t error_size);

#endif
