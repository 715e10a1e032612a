/*  html.c - see html.h. The tree is walked with an explicit stack, never by recursion, so no
    input can exhaust the C stack; gumbo records no parse errors, which keeps its memory linear
    on pathological nesting. */
#include "crier/html.h"
#include "crier/json_text.h"

#include <gumbo.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_OUTPUT_DEPTH 100

static GumboOutput *s_parse (const char *html, size_t length, GumboOptions *options)
{
    *options = kGumboDefaultOptions;
    options->max_errors = 0; //  parse errors are not used, and recording them is quadratic
    options->fragment_context = GUMBO_TAG_BODY;
    options->fragment_namespace = GUMBO_NAMESPACE_HTML;
    return gumbo_parse_with_options (options, html, length);
}

//  Elements whose content is not text a person should see.
static bool s_hidden (GumboTag tag)
{
    return tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_HEAD ||
           tag == GUMBO_TAG_TITLE || tag == GUMBO_TAG_TEMPLATE || tag == GUMBO_TAG_NOSCRIPT ||
           tag == GUMBO_TAG_IFRAME || tag == GUMBO_TAG_OBJECT || tag == GUMBO_TAG_EMBED ||
           tag == GUMBO_TAG_SVG || tag == GUMBO_TAG_MATH || tag == GUMBO_TAG_SELECT ||
           tag == GUMBO_TAG_TEXTAREA;
}

//  A walk over a node's descendants in document order, with an explicit stack. Each element is
//  visited twice: entering (before its children) and leaving (after them).
typedef struct {
    const GumboNode *node;
    bool leaving;
    bool kept; //  on a leave step: whether entering wrote the element's tag
} step_t;

typedef struct {
    step_t *steps;
    size_t count;
    size_t capacity;
    bool failed;
} walk_t;

static void s_push (walk_t *walk, const GumboNode *node, bool leaving, bool kept)
{
    if (walk->count == walk->capacity) {
        size_t capacity = walk->capacity ? walk->capacity * 2 : 64;
        step_t *grown = realloc (walk->steps, capacity * sizeof *grown);
        if (!grown) {
            walk->failed = true;
            return;
        }
        walk->steps = grown;
        walk->capacity = capacity;
    }
    walk->steps[walk->count++] = (step_t){node, leaving, kept};
}

//  Pushes an element's leave step, then its children in reverse so the first comes out first.
static void s_push_children (walk_t *walk, const GumboNode *node, bool kept)
{
    s_push (walk, node, true, kept);
    const GumboVector *children = &node->v.element.children;
    for (unsigned index = children->length; index > 0; index--)
        s_push (walk, children->data[index - 1], false, false);
}

// ---------------------------------------------------------------------------------------------
// Sanitizing

//  The tags the Matrix specification lists for clients to allow.
static const GumboTag s_allowed_tags[] = {
    GUMBO_TAG_FONT, GUMBO_TAG_DEL,     GUMBO_TAG_H1,      GUMBO_TAG_H2,         GUMBO_TAG_H3,
    GUMBO_TAG_H4,   GUMBO_TAG_H5,      GUMBO_TAG_H6,      GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_P,
    GUMBO_TAG_A,    GUMBO_TAG_UL,      GUMBO_TAG_OL,      GUMBO_TAG_SUP,        GUMBO_TAG_SUB,
    GUMBO_TAG_LI,   GUMBO_TAG_B,       GUMBO_TAG_I,       GUMBO_TAG_U,          GUMBO_TAG_STRONG,
    GUMBO_TAG_EM,   GUMBO_TAG_STRIKE,  GUMBO_TAG_CODE,    GUMBO_TAG_HR,         GUMBO_TAG_BR,
    GUMBO_TAG_DIV,  GUMBO_TAG_TABLE,   GUMBO_TAG_THEAD,   GUMBO_TAG_TBODY,      GUMBO_TAG_TR,
    GUMBO_TAG_TH,   GUMBO_TAG_TD,      GUMBO_TAG_CAPTION, GUMBO_TAG_PRE,        GUMBO_TAG_SPAN,
    GUMBO_TAG_IMG,  GUMBO_TAG_DETAILS, GUMBO_TAG_SUMMARY, GUMBO_TAG_UNKNOWN};

static bool s_allowed (GumboTag tag)
{
    for (const GumboTag *allowed = s_allowed_tags; *allowed != GUMBO_TAG_UNKNOWN; allowed++) {
        if (*allowed == tag)
            return true;
    }
    return false;
}

static bool s_void (GumboTag tag)
{
    return tag == GUMBO_TAG_BR || tag == GUMBO_TAG_HR || tag == GUMBO_TAG_IMG;
}

static bool s_starts_with (const char *text, const char *prefix)
{
    return strncasecmp (text, prefix, strlen (prefix)) == 0;
}

static bool s_has_control (const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c < ' ' || *c == 0x7f)
            return true;
    }
    return false;
}

//  #RRGGBB, the only colour form the specification allows.
static bool s_colour (const char *value)
{
    if (strlen (value) != 7 || value[0] != '#')
        return false;
    for (int index = 1; index < 7; index++) {
        if (!strchr ("0123456789abcdefABCDEF", value[index]))
            return false;
    }
    return true;
}

static bool s_attribute_allowed (GumboTag tag, const char *name, const char *value,
                                 crier_html_profile_t profile)
{
    bool colour_attribute =
        strcmp (name, "data-mx-bg-color") == 0 || strcmp (name, "data-mx-color") == 0;
    switch (tag) {
        case GUMBO_TAG_FONT:
            return (colour_attribute || strcmp (name, "color") == 0) && s_colour (value);
        case GUMBO_TAG_SPAN:
            return (colour_attribute && s_colour (value)) ||
                   (strcmp (name, "data-mx-spoiler") == 0 && !s_has_control (value));
        case GUMBO_TAG_A:
            if (strcmp (name, "name") == 0)
                return !s_has_control (value);
            if (strcmp (name, "target") == 0)
                return strcmp (value, "_blank") == 0;
            if (strcmp (name, "href") == 0)
                return !s_has_control (value) &&
                       (s_starts_with (value, "https://") || s_starts_with (value, "http://") ||
                        s_starts_with (value, "ftp://") || s_starts_with (value, "mailto:") ||
                        s_starts_with (value, "magnet:"));
            return false;
        case GUMBO_TAG_IMG:
            if (strcmp (name, "src") == 0)
                return !s_has_control (value) &&
                       (profile == CRIER_HTML_MATRIX ? s_starts_with (value, "mxc://")
                                                     : s_starts_with (value, "https://") ||
                                                           s_starts_with (value, "http://"));
            if (strcmp (name, "width") == 0 || strcmp (name, "height") == 0)
                return value[0] && strspn (value, "0123456789") == strlen (value) &&
                       strlen (value) < 6;
            return (strcmp (name, "alt") == 0 || strcmp (name, "title") == 0);
        case GUMBO_TAG_OL:
            return strcmp (name, "start") == 0 && value[0] &&
                   strspn (value, "0123456789") == strlen (value) && strlen (value) < 10;
        case GUMBO_TAG_CODE:
            return strcmp (name, "class") == 0 && s_starts_with (value, "language-") && value[9] &&
                   strspn (value + 9, "abcdefghijklmnopqrstuvwxyz0123456789_+-#.") ==
                       strlen (value + 9);
        default:
            return false;
    }
}

//  Control characters (C0 but tab, line feed and form feed; DEL) that a character reference such
//  as &#x1b; can put into a text: HTML does not allow them, a terminal may obey them.
static bool s_control (char c)
{
    unsigned char byte = (unsigned char)c;
    return (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\f') || byte == 0x7f;
}

//  Writes text with &, <, > (and " in attributes) escaped, control characters dropped.
static void s_put_escaped (crier_text_t *out, const char *text, bool attribute)
{
    for (const char *c = text; *c; c++) {
        if (s_control (*c))
            continue;
        if (*c == '&')
            crier_text_add (out, "&amp;");
        else if (*c == '<')
            crier_text_add (out, "&lt;");
        else if (*c == '>')
            crier_text_add (out, "&gt;");
        else if (attribute && *c == '"')
            crier_text_add (out, "&quot;");
        else
            crier_text_append (out, c, 1);
    }
}

static void s_open_tag (crier_text_t *out, const GumboNode *node, crier_html_profile_t profile)
{
    GumboTag tag = node->v.element.tag;
    crier_text_add (out, "<");
    crier_text_add (out, gumbo_normalized_tagname (tag));
    const GumboVector *attributes = &node->v.element.attributes;
    for (unsigned index = 0; index < attributes->length; index++) {
        const GumboAttribute *attribute = attributes->data[index];
        if (!s_attribute_allowed (tag, attribute->name, attribute->value, profile))
            continue;
        crier_text_add (out, " ");
        crier_text_add (out, attribute->name);
        crier_text_add (out, "=\"");
        s_put_escaped (out, attribute->value, true);
        crier_text_add (out, "\"");
    }
    crier_text_add (out, ">");
}

//  An image with no allowed source shows nothing: it is dropped with its attributes.
static bool s_dropped_image (const GumboNode *node, crier_html_profile_t profile)
{
    const GumboAttribute *src = gumbo_get_attribute (&node->v.element.attributes, "src");
    return node->v.element.tag == GUMBO_TAG_IMG &&
           !(src && s_attribute_allowed (GUMBO_TAG_IMG, "src", src->value, profile));
}

char *crier_html_sanitize (const char *html, size_t length, crier_html_profile_t profile)
{
    GumboOptions options;
    GumboOutput *parsed = s_parse (html, length, &options);
    crier_text_t out = {0};
    walk_t walk = {0};
    size_t depth = 0; //  allowed elements open around the current node
    if (!parsed)
        out.failed = true;
    else
        s_push_children (&walk, parsed->root, false);
    while (walk.count > 0 && !walk.failed && !out.failed) {
        step_t step = walk.steps[--walk.count];
        const GumboNode *node = step.node;
        if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
            node->type == GUMBO_NODE_CDATA) {
            s_put_escaped (&out, node->v.text.text, false);
            continue;
        }
        if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE)
            continue; //  comments and doctypes go
        GumboTag tag = node->v.element.tag;
        if (step.leaving) {
            if (step.kept) {
                depth--;
                if (!s_void (tag)) {
                    crier_text_add (&out, "</");
                    crier_text_add (&out, gumbo_normalized_tagname (tag));
                    crier_text_add (&out, ">");
                }
            }
            continue;
        }
        if (s_hidden (tag) || node->type == GUMBO_NODE_TEMPLATE)
            continue;
        bool kept = s_allowed (tag) && depth < MAX_OUTPUT_DEPTH && !s_dropped_image (node, profile);
        if (kept) {
            s_open_tag (&out, node, profile);
            depth++;
        }
        s_push_children (&walk, node, kept);
    }
    if (walk.failed)
        out.failed = true;
    free (walk.steps);
    if (parsed)
        gumbo_destroy_output (&options, parsed);
    return crier_text_take (&out);
}

// ---------------------------------------------------------------------------------------------
// Plain text

typedef struct {
    crier_text_t out;
    int newlines; //  line breaks at the end of the output (2 = a blank line)
    bool space;   //  a collapsed space is owed before the next text
    int pre;      //  inside <pre>: white space kept
} text_t;

static void s_break (text_t *text, int wanted)
{
    text->space = false;
    if (text->out.length == 0)
        return; //  no breaks before the first text
    while (text->newlines < wanted) {
        crier_text_add (&text->out, "\n");
        text->newlines++;
    }
}

static void s_text (text_t *text, const char *value)
{
    for (const char *c = value; *c; c++) {
        if (s_control (*c) && *c != '\r')
            continue;
        bool white = *c == ' ' || *c == '\t' || *c == '\n' || *c == '\r' || *c == '\f';
        if (text->pre) {
            crier_text_append (&text->out, c, 1);
            text->newlines = *c == '\n' ? text->newlines + 1 : 0;
            continue;
        }
        if (white) {
            text->space = text->out.length > 0 && text->newlines == 0;
            continue;
        }
        if (text->space)
            crier_text_add (&text->out, " ");
        text->space = false;
        crier_text_append (&text->out, c, 1);
        text->newlines = 0;
    }
}

static bool s_block (GumboTag tag)
{
    switch (tag) {
        case GUMBO_TAG_P:
        case GUMBO_TAG_DIV:
        case GUMBO_TAG_H1:
        case GUMBO_TAG_H2:
        case GUMBO_TAG_H3:
        case GUMBO_TAG_H4:
        case GUMBO_TAG_H5:
        case GUMBO_TAG_H6:
        case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_UL:
        case GUMBO_TAG_OL:
        case GUMBO_TAG_LI:
        case GUMBO_TAG_TABLE:
        case GUMBO_TAG_TR:
        case GUMBO_TAG_PRE:
        case GUMBO_TAG_HR:
        case GUMBO_TAG_DETAILS:
        case GUMBO_TAG_SUMMARY:
        case GUMBO_TAG_SECTION:
        case GUMBO_TAG_ARTICLE:
        case GUMBO_TAG_HEADER:
        case GUMBO_TAG_FOOTER:
        case GUMBO_TAG_ADDRESS:
        case GUMBO_TAG_CAPTION:
        case GUMBO_TAG_DL:
        case GUMBO_TAG_DT:
        case GUMBO_TAG_DD:
        case GUMBO_TAG_FIGURE:
        case GUMBO_TAG_NAV:
        case GUMBO_TAG_MAIN:
            return true;
        default:
            return false;
    }
}

//  Paragraph-like blocks are set apart by a blank line; the others by a line break.
static int s_breaks_around (GumboTag tag)
{
    return tag == GUMBO_TAG_P || (tag >= GUMBO_TAG_H1 && tag <= GUMBO_TAG_H6) ||
                   tag == GUMBO_TAG_BLOCKQUOTE || tag == GUMBO_TAG_PRE || tag == GUMBO_TAG_TABLE
               ? 2
               : 1;
}

//  The text a link shows, to tell whether its URL would repeat it.
static bool s_link_shows_url (const GumboNode *link, const char *href)
{
    const GumboVector *children = &link->v.element.children;
    if (children->length != 1)
        return false;
    const GumboNode *child = children->data[0];
    if (child->type != GUMBO_NODE_TEXT)
        return false;
    const char *shown = child->v.text.text;
    const char *bare = strstr (href, "://")              ? strstr (href, "://") + 3
                       : s_starts_with (href, "mailto:") ? href + 7
                                                         : href;
    return strcmp (shown, href) == 0 || strcmp (shown, bare) == 0;
}

char *crier_html_to_text (const char *html, size_t length)
{
    GumboOptions options;
    GumboOutput *parsed = s_parse (html, length, &options);
    text_t text = {.out = {0}};
    walk_t walk = {0};
    if (!parsed)
        text.out.failed = true;
    else
        s_push_children (&walk, parsed->root, false);
    while (walk.count > 0 && !walk.failed && !text.out.failed) {
        step_t step = walk.steps[--walk.count];
        const GumboNode *node = step.node;
        if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
            node->type == GUMBO_NODE_CDATA) {
            s_text (&text, node->v.text.text);
            continue;
        }
        if (node->type != GUMBO_NODE_ELEMENT || node == parsed->root)
            continue;
        GumboTag tag = node->v.element.tag;
        if (step.leaving) {
            if (tag == GUMBO_TAG_PRE)
                text.pre--;
            if (tag == GUMBO_TAG_A) {
                const GumboAttribute *href =
                    gumbo_get_attribute (&node->v.element.attributes, "href");
                //  Only a URL the sanitizer would keep is worth showing.
                if (href &&
                    s_attribute_allowed (GUMBO_TAG_A, "href", href->value, CRIER_HTML_MAIL) &&
                    !s_link_shows_url (node, href->value)) {
                    s_text (&text, " (");
                    crier_text_append (&text.out, href->value, strlen (href->value));
                    s_text (&text, ")");
                }
            } else if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)
                text.space = text.out.length > 0 && text.newlines == 0;
            else if (s_block (tag))
                s_break (&text, s_breaks_around (tag));
            continue;
        }
        if (s_hidden (tag))
            continue;
        if (tag == GUMBO_TAG_BR) {
            crier_text_add (&text.out, "\n");
            text.newlines++;
            text.space = false;
            continue;
        }
        if (tag == GUMBO_TAG_IMG) {
            const GumboAttribute *alt = gumbo_get_attribute (&node->v.element.attributes, "alt");
            if (alt)
                s_text (&text, alt->value);
            continue;
        }
        if (s_block (tag))
            s_break (&text, s_breaks_around (tag));
        if (tag == GUMBO_TAG_LI)
            s_text (&text, "- ");
        if (tag == GUMBO_TAG_HR)
            s_text (&text, "----");
        if (tag == GUMBO_TAG_PRE)
            text.pre++;
        s_push_children (&walk, node, false);
    }
    if (walk.failed)
        text.out.failed = true;
    free (walk.steps);
    if (parsed)
        gumbo_destroy_output (&options, parsed);
    //  No trailing line breaks.
    while (!text.out.failed && text.out.length > 0 && text.out.data[text.out.length - 1] == '\n')
        text.out.data[--text.out.length] = '\0';
    return crier_text_take (&text.out);
}

//  Hands text to put in pieces: runs of plain characters, and the entity (or <br>) of each
//  character that needs one.
static void s_escape (const char *text, bool line_breaks,
                      void (*put) (const char *piece, size_t length, void *arg), void *arg)
{
    const char *run = text; //  the characters since the last escaped one
    for (const char *at = text; *at; at++) {
        const char *entity = *at == '&'                   ? "&amp;"
                             : *at == '<'                 ? "&lt;"
                             : *at == '>'                 ? "&gt;"
                             : *at == '"'                 ? "&quot;"
                             : *at == '\n' && line_breaks ? "<br>"
                                                          : NULL;
        if (!entity)
            continue;
        if (at > run)
            put (run, (size_t)(at - run), arg);
        put (entity, strlen (entity), arg);
        run = at + 1;
    }
    if (*run)
        put (run, strlen (run), arg);
}

static void s_put_chunk (const char *piece, size_t length, void *arg)
{
    zchunk_extend (arg, piece, length);
}

void crier_html_escape (zchunk_t *out, const char *text, bool line_breaks)
{
    s_escape (text, line_breaks, s_put_chunk, out);
}

static void s_put_text (const char *piece, size_t length, void *arg)
{
    crier_text_append (arg, piece, length);
}

void crier_html_escape_text (crier_text_t *out, const char *text, bool line_breaks)
{
    s_escape (text, line_breaks, s_put_text, out);
}
