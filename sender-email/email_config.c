/*  email_config.c - see email_config.h. */
#include "email_config.h"

#include "crier/config.h"
#include "crier/curve.h"
#include "crier/endpoints.h"
#include "crier/log.h"
#include "crier/mapping.h"
#include "crier/process.h"
#include "crier/socket.h"
#include "crier/url.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

int crier_email_parse_from (const char *from, char **address_p, char **name_p, char *message,
                            size_t size)
{
    *address_p = *name_p = NULL;
    for (const char *c = from; *c; c++) {
        if ((unsigned char)*c < ' ' || *c == 0x7f) {
            snprintf (message, size, "contains a control character");
            return -1;
        }
    }
    const char *open = strchr (from, '<');
    char *address = NULL, *name = NULL;
    if (open) {
        const char *close = strchr (open, '>');
        if (!close || close[1] != '\0') {
            snprintf (message, size, "expected \"Name <address>\" or a bare address");
            return -1;
        }
        address = strndup (open + 1, (size_t)(close - open - 1));
        size_t length = (size_t)(open - from);
        while (length > 0 && from[length - 1] == ' ')
            length--;
        const char *start = from;
        while (*start == ' ' && start < open)
            start++, length--;
        //  Quotes around the name are the writer's; crier adds its own when needed.
        if (length >= 2 && start[0] == '"' && start[length - 1] == '"')
            start++, length -= 2;
        if (length > 0)
            name = strndup (start, length);
    } else
        address = strdup (from);
    if (!address || crier_email_address_check (address, message, size) != 0 ||
        (name && strpbrk (name, "\"\\"))) {
        if (name && strpbrk (name, "\"\\"))
            snprintf (message, size, "the display name may not hold quotes or backslashes");
        free (address);
        free (name);
        return -1;
    }
    *address_p = address;
    *name_p = name;
    return 0;
}

//  Checks CRIER_SMTP_URL and keeps the form that may be logged (it may hold a password).
static int s_check_url (crier_email_config_t *config)
{
    static const char *const schemes[] = {"smtp", "smtps", NULL};
    if (crier_url_check (config->url, schemes, &config->display_url) == 0)
        return 0;
    crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_SMTP_URL", "value",
               "(not shown: it may hold a password)", "expected",
               "smtp://host:port or smtps://host:port");
    return -1;
}

int crier_email_config_load (crier_email_config_t *config)
{
    static const char *const tls_modes[] = {"none", "starttls", "try", NULL};
    uint64_t connections = 0;
    int tls = CRIER_SMTP_TLS_TRY;
    int rc = 0;
    rc |= crier_sender_config_load (&config->sender, "CRIER_EMAIL_DELIVERIES_ENDPOINT",
                                    CRIER_DEFAULT_EMAIL_DELIVERIES_ENDPOINT,
                                    "CRIER_SMTP_RETRY_DEADLINE");
    rc |= crier_config_string ("CRIER_SMTP_URL", "smtp://127.0.0.1:25", &config->url);
    rc |= s_check_url (config);
    rc |= crier_config_choice ("CRIER_SMTP_TLS", "try", tls_modes, &tls);
    rc |= crier_config_string ("CRIER_SMTP_USER", NULL, &config->user);
    rc |= crier_config_secret ("CRIER_SMTP_PASSWORD", &config->password);
    rc |= crier_config_string ("CRIER_SMTP_CA_FILE", NULL, &config->ca_file);
    rc |= crier_config_string ("CRIER_EMAIL_FROM", NULL, &config->from);
    rc |= crier_config_uint ("CRIER_SMTP_CONNECTIONS", 4, 1, 64, &connections);
    rc |= crier_config_duration_ms ("CRIER_SMTP_TIMEOUT", 60000, 100, 600000, &config->timeout_ms);
    char message[256];
    if (!config->from) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_EMAIL_FROM", "expected",
                   "the sender of crier's emails, e.g. \"crier alerts <alerts@example.org>\"");
        rc = -1;
    } else if (crier_email_parse_from (config->from, &config->from_address, &config->from_name,
                                       message, sizeof message) != 0) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_EMAIL_FROM", "value",
                   config->from, "error", message, "expected",
                   "an address, optionally with a display name: Name <address@example.org>");
        rc = -1;
    }
    if (config->password && !config->user) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_SMTP_USER", "expected",
                   "a user name, since CRIER_SMTP_PASSWORD is set");
        rc = -1;
    }
    config->tls = (crier_smtp_tls_t)tls;
    config->connections = (unsigned)connections;
    return rc ? -1 : 0;
}

void crier_email_config_free (crier_email_config_t *config)
{
    crier_sender_config_free (&config->sender);
    free (config->url);
    free (config->display_url);
    config->display_url = NULL;
    free (config->user);
    if (config->password)
        memset (config->password, 0, strlen (config->password));
    free (config->password);
    free (config->ca_file);
    free (config->from);
    free (config->from_address);
    free (config->from_name);
    memset (config, 0, sizeof *config);
}
