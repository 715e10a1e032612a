/*  matrix_config.c - see matrix_config.h. */
#include "matrix_config.h"

#include "crier/config.h"
#include "crier/curve.h"
#include "crier/endpoints.h"
#include "crier/log.h"
#include "crier/url.h"
#include "crier/process.h"
#include "crier/socket.h"

#include <curl/curl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

//  Checks CRIER_MATRIX_HOMESERVER and keeps the form that may be logged (a URL may hold a user
//  and password, which libcurl would use).
static int s_check_homeserver (char *url, char **display_p)
{
    if (!url) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_MATRIX_HOMESERVER",
                   "expected", "the homeserver's base URL, e.g. https://matrix.example.org");
        return -1;
    }
    static const char *const schemes[] = {"https", "http", NULL};
    if (crier_url_check (url, schemes, display_p) != 0) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_MATRIX_HOMESERVER",
                   "value", "(not shown: it may hold a password)", "expected",
                   "an https:// (or http://) URL");
        return -1;
    }
    //  Paths are joined to it: no trailing slash, in either form.
    char *forms[] = {url, *display_p};
    for (int index = 0; index < 2; index++) {
        size_t length = strlen (forms[index]);
        while (length > 0 && forms[index][length - 1] == '/')
            forms[index][--length] = '\0';
    }
    return 0;
}

int crier_matrix_account_load (char **homeserver_p, char **display_p, char **token_p,
                               char **user_id_p, char **ca_file_p)
{
    int rc = crier_config_string ("CRIER_MATRIX_HOMESERVER", NULL, homeserver_p);
    rc |= s_check_homeserver (*homeserver_p, display_p);
    rc |= crier_config_secret ("CRIER_MATRIX_ACCESS_TOKEN", token_p);
    if (!*token_p) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_MATRIX_ACCESS_TOKEN",
                   "expected",
                   "the bot account's access token (or CRIER_MATRIX_ACCESS_TOKEN_FILE); "
                   "docs/matrix.md says how to get one");
        rc = -1;
    }
    rc |= crier_config_string ("CRIER_MATRIX_USER_ID", NULL, user_id_p);
    rc |= crier_config_string ("CRIER_MATRIX_CA_FILE", NULL, ca_file_p);
    if (*ca_file_p && access (*ca_file_p, R_OK) != 0) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_MATRIX_CA_FILE", "value",
                   *ca_file_p, "expected",
                   "a readable PEM file of the certificates that may sign the homeserver's");
        rc = -1;
    }
    return rc ? -1 : 0;
}

void crier_matrix_account_free (char **homeserver_p, char **display_p, char **token_p,
                                char **user_id_p, char **ca_file_p)
{
    free (*ca_file_p);
    *ca_file_p = NULL;
    free (*homeserver_p);
    free (*display_p);
    if (*token_p)
        memset (*token_p, 0, strlen (*token_p));
    free (*token_p);
    free (*user_id_p);
    *homeserver_p = *display_p = *token_p = *user_id_p = NULL;
}

int crier_matrix_config_load (crier_matrix_config_t *config)
{
    static const char *const booleans[] = {"false", "true", "no", "yes", "0",
                                           "1",     "off",  "on", NULL};
    uint64_t concurrency = 0;
    int autojoin = 0;
    int rc = 0;
    rc |= crier_sender_config_load (&config->sender, "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                                    CRIER_DEFAULT_MATRIX_DELIVERIES_ENDPOINT,
                                    "CRIER_MATRIX_RETRY_DEADLINE");
    rc |= crier_matrix_account_load (&config->homeserver, &config->display_homeserver,
                                     &config->access_token, &config->user_id, &config->ca_file);
    rc |= crier_config_choice ("CRIER_MATRIX_AUTOJOIN", "false", booleans, &autojoin);
    rc |= crier_config_uint ("CRIER_MATRIX_CONCURRENCY", 8, 1, 256, &concurrency);
    rc |= crier_config_duration_ms ("CRIER_MATRIX_TIMEOUT", 30000, 100, 600000,
                                    &config->request_timeout_ms);
    static const char *const versions[] = {"auto", "1.1", NULL};
    int http = 0;
    rc |= crier_config_choice ("CRIER_MATRIX_HTTP", "auto", versions, &http);
    config->http = (crier_matrix_http_t)http;
    int e2ee = 0;
    rc |= crier_config_choice ("CRIER_MATRIX_E2EE", "off", booleans, &e2ee);
    rc |= crier_config_endpoints ("CRIER_MATRIX_E2EE_ENDPOINT", CRIER_DEFAULT_MATRIX_E2EE_ENDPOINT,
                                  &config->e2ee_endpoint);
    config->e2ee = e2ee % 2 == 1;
    config->autojoin = autojoin % 2 == 1; //  the true-ish words sit at odd positions
    config->concurrency = (unsigned)concurrency;
    return rc ? -1 : 0;
}

void crier_matrix_config_free (crier_matrix_config_t *config)
{
    crier_sender_config_free (&config->sender);
    free (config->e2ee_endpoint);
    crier_matrix_account_free (&config->homeserver, &config->display_homeserver,
                               &config->access_token, &config->user_id, &config->ca_file);
    memset (config, 0, sizeof *config);
}
