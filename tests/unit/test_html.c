/*  test_html.c - the Matrix HTML subset and the plain-text rendering, including hostile input. */
#include "crier/html.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_sanitizes_to (const char *html, const char *expected)
{
    char *clean = crier_html_sanitize (html, strlen (html), CRIER_HTML_MATRIX);
    assert_non_null (clean);
    if (strcmp (clean, expected) != 0)
        fail_msg ("sanitize (%s)\n  gave     %s\n  expected %s", html, clean, expected);
    free (clean);
}

static void s_renders_to (const char *html, const char *expected)
{
    char *text = crier_html_to_text (html, strlen (html));
    assert_non_null (text);
    if (strcmp (text, expected) != 0)
        fail_msg ("to_text (%s)\n  gave     \"%s\"\n  expected \"%s\"", html, text, expected);
    free (text);
}

static void test_allowed_markup_is_kept (void **state)
{
    s_sanitizes_to ("<b>bold</b> <i>it</i> <code class=\"language-c\">x &lt; y</code>",
                    "<b>bold</b> <i>it</i> <code class=\"language-c\">x &lt; y</code>");
    s_sanitizes_to ("<p>one<br>two</p><ul><li>a</li></ul><ol start=\"3\"><li>b</li></ol>",
                    "<p>one<br>two</p><ul><li>a</li></ul><ol start=\"3\"><li>b</li></ol>");
    s_sanitizes_to ("<a href=\"https://example.org/?a=1&amp;b=2\">link</a>",
                    "<a href=\"https://example.org/?a=1&amp;b=2\">link</a>");
    s_sanitizes_to ("<font color=\"#ff0000\">red</font><span data-mx-spoiler=\"why\">s</span>",
                    "<font color=\"#ff0000\">red</font><span data-mx-spoiler=\"why\">s</span>");
    s_sanitizes_to ("<img src=\"mxc://example.org/abc\" alt=\"logo\" width=\"32\">",
                    "<img src=\"mxc://example.org/abc\" alt=\"logo\" width=\"32\">");
    s_sanitizes_to ("<table><tr><td>cell</td></tr></table>",
                    "<table><tbody><tr><td>cell</td></tr></tbody></table>");
    s_sanitizes_to ("Grüße — ✓ 🔔", "Grüße — ✓ 🔔");
}

static void test_disallowed_markup_is_removed_keeping_text (void **state)
{
    s_sanitizes_to ("<script>alert(1)</script>hello", "hello");
    s_sanitizes_to ("<style>p{}</style><p>x</p>", "<p>x</p>");
    s_sanitizes_to ("<b onclick=\"steal()\">click</b>", "<b>click</b>");
    s_sanitizes_to ("<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>");
    s_sanitizes_to ("<a href=\"jav&#x61;script:alert(1)\">x</a>", "<a>x</a>");
    s_sanitizes_to ("<a href=\"java\tscript:alert(1)\">x</a>", "<a>x</a>");
    s_sanitizes_to ("<a href=\" JAVASCRIPT:alert(1)\">x</a>", "<a>x</a>");
    s_sanitizes_to ("<a href=\"data:text/html,<script>\">x</a>", "<a>x</a>");
    s_sanitizes_to ("<iframe src=\"https://evil\">inside</iframe>after", "after");
    s_sanitizes_to ("<img src=\"https://tracker.example/pixel.gif\" onerror=\"x()\">text", "text");
    s_sanitizes_to ("<blink>old</blink><marquee>fun</marquee>", "oldfun");
    s_sanitizes_to ("<div style=\"position:fixed\" class=\"x\">d</div>", "<div>d</div>");
    s_sanitizes_to ("<font color=\"red; background: url(x)\">c</font>", "<font>c</font>");
    s_sanitizes_to ("<!-- comment --><p>x</p>", "<p>x</p>");
    s_sanitizes_to ("<svg><script>alert(1)</script></svg>ok", "ok");
    //  Broken markup is repaired the way a browser would, never passed through.
    s_sanitizes_to ("<b>open <i>nested</b> rest", "<b>open <i>nested</i></b><i> rest</i>");
    //  "<" is text, <script>…</script> goes with its content, "/script>" is text.
    s_sanitizes_to ("<<script>script>alert(1)<</script>/script>", "&lt;/script&gt;");
    s_sanitizes_to ("a < b & c > d", "a &lt; b &amp; c &gt; d");
    s_sanitizes_to ("<a href=\"https://x\" title='\"><script>'>q</a>",
                    "<a href=\"https://x\">q</a>");
}

static void test_nesting_is_capped (void **state)
{
    //  Deep enough to matter, then text: the first 100 levels keep their tags.
    size_t depth = 5000;
    char *html = malloc (depth * 5 + 10);
    char *at = html;
    for (size_t index = 0; index < depth; index++, at += 5)
        memcpy (at, "<div>", 5);
    strcpy (at, "deep");
    char *clean = crier_html_sanitize (html, strlen (html), CRIER_HTML_MATRIX);
    assert_non_null (clean);
    size_t opened = 0;
    for (const char *c = strstr (clean, "<div>"); c; c = strstr (c + 1, "<div>"))
        opened++;
    size_t closed = 0;
    for (const char *c = strstr (clean, "</div>"); c; c = strstr (c + 1, "</div>"))
        closed++;
    assert_int_equal (opened, 100);
    assert_int_equal (closed, 100);
    assert_non_null (strstr (clean, "deep"));
    free (clean);
    free (html);
}

static void test_plain_text_rendering (void **state)
{
    s_renders_to ("<p>Hello <b>world</b></p><p>Second &amp; last</p>",
                  "Hello world\n\nSecond & last");
    s_renders_to ("line one<br>line two<br/>line three", "line one\nline two\nline three");
    s_renders_to ("  lots   of\n\n  space  ", "lots of space");
    s_renders_to ("<ul><li>first</li><li>second</li></ul>after", "- first\n- second\nafter");
    s_renders_to ("<a href=\"https://example.org/x\">the report</a>",
                  "the report (https://example.org/x)");
    s_renders_to ("<a href=\"https://example.org\">https://example.org</a>", "https://example.org");
    s_renders_to ("<a href=\"javascript:evil()\">this</a>", "this");
    s_renders_to ("<pre>  keep\n    this</pre>", "  keep\n    this");
    s_renders_to ("<h1>Title</h1>text", "Title\n\ntext");
    s_renders_to ("<script>var x = 1;</script><style>p {}</style>shown", "shown");
    s_renders_to ("<img src=\"mxc://a/b\" alt=\"a chart\"> below", "a chart below");
    s_renders_to ("&lt;not a tag&gt; &eacute;t&eacute; &#x1F514;", "<not a tag> été 🔔");
    s_renders_to ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>",
                  "a b\nc d");
    s_renders_to ("", "");
}

//  Found by fuzz_html: a character reference put a control character into the output, which a
//  terminal showing the plain text may obey (an ANSI escape) and HTML does not allow.
static void test_control_characters_are_dropped (void **state)
{
    s_sanitizes_to ("<p>&#x1b;[31mred&#x7f;&#x0F;</p>", "<p>[31mred</p>");
    s_sanitizes_to ("<img src=\"mxc://a/b\" alt=\"&#x07;chart\">",
                    "<img src=\"mxc://a/b\" alt=\"chart\">");
    s_renders_to ("&#x1b;[31mred&#x7f;\ttab", "[31mred tab");
    s_renders_to ("<pre>a&#x1b;\tb</pre>", "a\tb");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_allowed_markup_is_kept),
        cmocka_unit_test (test_disallowed_markup_is_removed_keeping_text),
        cmocka_unit_test (test_nesting_is_capped),
        cmocka_unit_test (test_plain_text_rendering),
        cmocka_unit_test (test_control_characters_are_dropped),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
