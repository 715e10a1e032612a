/*  fuzz_html.c - the HTML sanitizer (Matrix formatted_body) and the plain-text renderer (Matrix
    body, email text part): any bytes give a string, and what the sanitizer lets through, read
    again by an HTML5 parser as a Matrix client would, holds only the elements and attributes
    the specification allows and no script URL. (Sanitizing is not asserted to be idempotent:
    HTML5's tree building re-nests some trees that the serialization of others produces.) */
#include "crier/html.h"

#include <gumbo.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const s_tags[] = {
    "html", "head", "body",       "font",    "del",     "h1", "h2",     "h3",   "h4",
    "h5",   "h6",   "blockquote", "p",       "a",       "ul", "ol",     "sup",  "sub",
    "li",   "b",    "i",          "u",       "strong",  "em", "strike", "code", "hr",
    "br",   "div",  "table",      "thead",   "tbody",   "tr", "th",     "td",   "caption",
    "pre",  "span", "img",        "details", "summary", NULL};
static const char *const s_attributes[] = {"color",
                                           "data-mx-bg-color",
                                           "data-mx-color",
                                           "data-mx-spoiler",
                                           "name",
                                           "target",
                                           "href",
                                           "src",
                                           "width",
                                           "height",
                                           "alt",
                                           "title",
                                           "start",
                                           "class",
                                           NULL};
static const char *const s_schemes[] = {"https://", "http://", "ftp://",
                                        "mailto:",  "magnet:", NULL};

static bool s_listed (const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp (*list, name) == 0)
            return true;
    return false;
}

static bool s_safe_url (const char *value, const char *const *schemes)
{
    for (; *schemes; schemes++)
        if (strncasecmp (value, *schemes, strlen (*schemes)) == 0)
            return true;
    return false;
}

//  Where images may come from in the profile being checked.
static const char *const *s_image_schemes;

static void s_check (const GumboNode *node)
{
    if (node->type != GUMBO_NODE_ELEMENT)
        return;
    const GumboElement *element = &node->v.element;
    if (!s_listed (s_tags, gumbo_normalized_tagname (element->tag)))
        abort ();
    for (unsigned int index = 0; index < element->attributes.length; index++) {
        const GumboAttribute *attribute = element->attributes.data[index];
        if (!s_listed (s_attributes, attribute->name))
            abort ();
        if (strcmp (attribute->name, "href") == 0 && !s_safe_url (attribute->value, s_schemes))
            abort ();
        if (strcmp (attribute->name, "src") == 0 && !s_safe_url (attribute->value, s_image_schemes))
            abort ();
    }
    for (unsigned int index = 0; index < element->children.length; index++)
        s_check (element->children.data[index]);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = crier_html_to_text ((const char *)data, size);
    free (text);
    //  The first byte picks the profile: both are checked against their own allow-list.
    static const char *const matrix[] = {"mxc://", NULL};
    static const char *const mail[] = {"https://", "http://", NULL};
    bool for_mail = size > 0 && data[0] % 2;
    s_image_schemes = for_mail ? mail : matrix;
    char *safe = crier_html_sanitize ((const char *)data, size,
                                      for_mail ? CRIER_HTML_MAIL : CRIER_HTML_MATRIX);
    if (safe) {
        GumboOutput *output = gumbo_parse (safe);
        if (output) {
            s_check (output->root);
            gumbo_destroy_output (&kGumboDefaultOptions, output);
        }
    }
    free (safe);
    return 0;
}
