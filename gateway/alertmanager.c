/*  alertmanager.c - see alertmanager.h. */
#include "alertmanager.h"

#include "crier/html.h"
#include "crier/id.h"
#include "crier/url.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_by_name (const void *one, const void *other)
{
    return strcmp (*(const char *const *)one, *(const char *const *)other);
}

//  The names of a label set's string values, sorted (a calloc'ed array the caller frees, with
//  *count_p of them; NULL when out of memory).
static const char **s_sorted_names (const json_t *labels, size_t *count_p)
{
    const char **names = calloc (json_object_size (labels) + 1, sizeof *names);
    size_t count = 0;
    for (void *iter = json_object_iter ((json_t *)labels); names && iter;
         iter = json_object_iter_next ((json_t *)labels, iter))
        if (json_is_string (json_object_iter_value (iter)))
            names[count++] = json_object_iter_key (iter);
    if (names)
        qsort (names, count, sizeof *names, s_by_name);
    *count_p = count;
    return names;
}

//  A label set's values sorted by name, space-joined (as Alertmanager's default title does).
static void s_values (const json_t *labels, zchunk_t *out)
{
    size_t count;
    const char **names = s_sorted_names (labels, &count);
    for (size_t index = 0; names && index < count; index++) {
        const char *text = json_string_value (json_object_get (labels, names[index]));
        if (zchunk_size (out) > 0)
            zchunk_extend (out, " ", 1);
        zchunk_extend (out, text, strlen (text));
    }
    free (names);
}

static char *s_string (zchunk_t **chunk_p)
{
    zchunk_extend (*chunk_p, "", 1);
    char *text = strdup ((char *)zchunk_data (*chunk_p));
    zchunk_destroy (chunk_p);
    return text;
}

static void s_add (zchunk_t *out, const char *text)
{
    zchunk_extend (out, text, strlen (text));
}

//  name=value pairs of a label set sorted by name, with separator between them (values in
//  quotes when quoted). Caller frees; NULL when out of memory.
static char *s_pairs (const json_t *labels, const char *separator, bool quoted)
{
    size_t count;
    const char **names = s_sorted_names (labels, &count);
    zchunk_t *out = names ? zchunk_new (NULL, 0) : NULL;
    for (size_t index = 0; out && index < count; index++) {
        char *pair =
            zsys_sprintf (quoted ? "%s%s=\"%s\"" : "%s%s=%s", index ? separator : "", names[index],
                          json_string_value (json_object_get (labels, names[index])));
        if (pair)
            s_add (out, pair);
        zstr_free (&pair);
    }
    free (names);
    return out ? s_string (&out) : NULL;
}

//  The silence link of an alert: externalURL/#/silences/new?filter={labels}.
static char *s_silence_link (const char *external, const json_t *labels)
{
    char *pairs = s_pairs (labels, ",", true);
    char *filter = pairs ? zsys_sprintf ("{%s}", pairs) : NULL;
    char *escaped = filter ? crier_url_escape (filter, "-._~") : NULL;
    char *link = escaped ? zsys_sprintf ("%s/#/silences/new?filter=%s", external, escaped) : NULL;
    free (pairs);
    zstr_free (&filter);
    free (escaped);
    return link;
}

//  One alert, as text and as HTML.
//  Grafana's values of an alert: its valueString, or its values as "B=44.2, C=1". Caller frees.
static char *s_grafana_value (const json_t *alert)
{
    const char *said = json_string_value (json_object_get (alert, "valueString"));
    if (said)
        return *said ? strdup (said) : NULL;
    const json_t *values = json_object_get (alert, "values");
    if (!json_is_object (values) || json_object_size (values) == 0)
        return NULL;
    json_t *strings = json_object ();
    const char *name;
    const json_t *value;
    json_object_foreach ((json_t *)values, name, value)
    {
        char number[32];
        snprintf (number, sizeof number, "%g", json_number_value (value));
        json_object_set_new (strings, name, json_string (number));
    }
    char *text = s_pairs (strings, ", ", false);
    json_decref (strings);
    return text;
}

//  One alert, as text and as HTML.
static void s_alert (const json_t *alert, const char *external, crier_alert_source_t source,
                     zchunk_t *text, zchunk_t *html)
{
    const json_t *labels = json_object_get (alert, "labels");
    const json_t *annotations = json_object_get (alert, "annotations");
    bool resolved = json_is_string (json_object_get (alert, "status")) &&
                    strcmp (json_string_value (json_object_get (alert, "status")), "resolved") == 0;
    const char *name = json_string_value (json_object_get (labels, "alertname"));
    char *pairs = s_pairs (labels, ", ", false);
    char *line = zsys_sprintf ("%s %s (%s)\n", resolved ? "RESOLVED" : "FIRING",
                               name ? name : "alert", pairs ? pairs : "");
    s_add (text, line ? line : "");
    s_add (html, resolved ? "<li><b>RESOLVED</b> " : "<li><b>FIRING</b> ");
    crier_html_escape (html, name ? name : "alert", false);
    s_add (html, " <code>");
    crier_html_escape (html, pairs ? pairs : "", false);
    s_add (html, "</code>");
    zstr_free (&line);
    free (pairs);
    char *value = source == CRIER_ALERTS_GRAFANA ? s_grafana_value (alert) : NULL;
    const char *since = json_string_value (json_object_get (alert, "startsAt"));
    const char *keys[] = {"summary", "description", "value", "since"};
    const char *said[] = {json_string_value (json_object_get (annotations, "summary")),
                          json_string_value (json_object_get (annotations, "description")), value,
                          since};
    for (size_t index = 0; index < 4; index++) {
        if (!said[index] || !*said[index])
            continue;
        char *row = zsys_sprintf ("  %s: %s\n", keys[index], said[index]);
        s_add (text, row ? row : "");
        zstr_free (&row);
        s_add (html, index == 1 ? "<br><i>" : "<br>");
        if (index >= 2) {
            s_add (html, keys[index]);
            s_add (html, ": ");
        }
        crier_html_escape (html, said[index], false);
        s_add (html, index == 1 ? "</i>" : "");
    }
    free (value);
    //  Links: where it comes from, how to silence it (Grafana says; Alertmanager's is built
    //  from its externalURL), Grafana's dashboard and panel.
    char *built = source == CRIER_ALERTS_ALERTMANAGER && external && *external && !resolved
                      ? s_silence_link (external, labels)
                      : NULL;
    const char *silence = source == CRIER_ALERTS_GRAFANA && !resolved
                              ? json_string_value (json_object_get (alert, "silenceURL"))
                              : built;
    const char *names[] = {"source", "silence", "dashboard", "panel"};
    const char *links[] = {json_string_value (json_object_get (alert, "generatorURL")), silence,
                           json_string_value (json_object_get (alert, "dashboardURL")),
                           json_string_value (json_object_get (alert, "panelURL"))};
    bool first = true;
    for (size_t index = 0; index < 4; index++) {
        if (!links[index] || !*links[index])
            continue;
        char *row = zsys_sprintf ("  %s: %s\n", names[index], links[index]);
        s_add (text, row ? row : "");
        zstr_free (&row);
        s_add (html, first ? "<br><a href=\"" : " · <a href=\"");
        crier_html_escape (html, links[index], false);
        s_add (html, "\">");
        s_add (html, names[index]);
        s_add (html, "</a>");
        first = false;
    }
    s_add (html, "</li>");
    free (built);
}

json_t *crier_alertmanager_notification (const char *body, size_t size, const char *const *to,
                                         size_t to_count, crier_alert_source_t source, char *error,
                                         size_t error_size)
{
    const char *wanted = source == CRIER_ALERTS_GRAFANA ? "1" : "4";
    const char *sender =
        source == CRIER_ALERTS_GRAFANA ? "a Grafana webhook" : "an Alertmanager webhook";
    if (to_count == 0) {
        snprintf (error, error_size,
                  "to: give the groups as ?to=%%23admins (one or more to=) in the webhook's URL");
        return NULL;
    }
    json_error_t parse;
    json_t *payload = json_loadb (body, size, 0, &parse);
    const json_t *alerts = json_object_get (payload, "alerts");
    const char *version = json_string_value (json_object_get (payload, "version"));
    if (!payload || !json_is_array (alerts) || (version && strcmp (version, wanted) != 0)) {
        if (payload)
            snprintf (error, error_size,
                      "(body): not %s payload of version %s (an object with \"alerts\")", sender,
                      wanted);
        else
            snprintf (error, error_size, "(body): not JSON: %s", parse.text);
        json_decref (payload);
        return NULL;
    }
    size_t firing = 0;
    for (size_t index = 0; index < json_array_size (alerts); index++) {
        const char *status =
            json_string_value (json_object_get (json_array_get (alerts, index), "status"));
        firing += !status || strcmp (status, "resolved") != 0;
    }
    const char *status = json_string_value (json_object_get (payload, "status"));
    bool resolved = status && strcmp (status, "resolved") == 0;
    zchunk_t *title = zchunk_new (NULL, 0);
    s_values (json_object_get (payload, "groupLabels"), title);
    char *group = s_string (&title);
    //  Grafana says its own (templated) title.
    const char *titled = source == CRIER_ALERTS_GRAFANA
                             ? json_string_value (json_object_get (payload, "title"))
                             : NULL;
    char *subject =
        titled && *titled ? strdup (titled)
        : resolved        ? zsys_sprintf ("[RESOLVED] %s", group && *group ? group : "alerts")
                   : zsys_sprintf ("[FIRING:%zu] %s", firing, group && *group ? group : "alerts");
    free (group);
    zchunk_t *text = zchunk_new (NULL, 0), *html = zchunk_new (NULL, 0);
    const char *external = json_string_value (json_object_get (payload, "externalURL"));
    s_add (html, "<ul>");
    size_t shown = 0;
    for (; shown < json_array_size (alerts); shown++) {
        zchunk_t *one_text = zchunk_new (NULL, 0), *one_html = zchunk_new (NULL, 0);
        s_alert (json_array_get (alerts, shown), external, source, one_text, one_html);
        //  Room for this one and the line that says how many more.
        bool fits =
            zchunk_size (text) + zchunk_size (one_text) + 64 < CRIER_ALERTMANAGER_TEXT_MAX &&
            zchunk_size (html) + zchunk_size (one_html) + 64 < CRIER_ALERTMANAGER_HTML_MAX;
        if (fits) {
            zchunk_extend (text, zchunk_data (one_text), zchunk_size (one_text));
            zchunk_extend (html, zchunk_data (one_html), zchunk_size (one_html));
        }
        zchunk_destroy (&one_text);
        zchunk_destroy (&one_html);
        if (!fits)
            break;
    }
    s_add (html, "</ul>");
    json_int_t truncated = json_integer_value (json_object_get (payload, "truncatedAlerts"));
    size_t more = json_array_size (alerts) - shown + (truncated > 0 ? (size_t)truncated : 0);
    if (more > 0) {
        char *line = zsys_sprintf ("... and %zu more\n", more);
        s_add (text, line ? line : "");
        s_add (html, "<p>");
        s_add (html, line ? line : "");
        s_add (html, "</p>");
        zstr_free (&line);
    }
    const char *severity =
        json_string_value (json_object_get (json_object_get (payload, "commonLabels"), "severity"));
    const char *priority =
        resolved ? "normal"
        : severity && (strcmp (severity, "critical") == 0 || strcmp (severity, "page") == 0)
            ? "urgent"
            : "high";
    json_t *groups = json_array ();
    for (size_t index = 0; groups && index < to_count; index++)
        json_array_append_new (groups, json_string (to[index]));
    char *plain = s_string (&text), *rich = s_string (&html);
    json_t *notification =
        subject && plain && rich && groups
            ? json_pack ("{s:O, s:s, s:s, s:s, s:s}", "to", groups, "subject", subject, "body",
                         plain, "html", rich, "priority", priority)
            : NULL;
    json_decref (groups);
    if (!notification)
        snprintf (error, error_size, "(body): out of memory, or not UTF-8");
    //  The group's key: its receiver and groupKey, hashed (groupKey is long and holds quotes and
    //  spaces). A group's calls are "the same thing happening again" to a throttle.
    const char *group_key = json_string_value (json_object_get (payload, "groupKey"));
    if (notification && group_key) {
        const char *receiver = json_string_value (json_object_get (payload, "receiver"));
        const char *parts[] = {receiver ? receiver : "", group_key};
        char digest[CRIER_DIGEST_BYTES], key[64];
        crier_id_digest (digest, parts, 2);
        snprintf (key, sizeof key, "alerts/%s", digest);
        json_object_set_new (notification, "key", json_string (key));
    }
    zstr_free (&subject);
    free (plain);
    free (rich);
    json_decref (payload);
    return notification;
}
