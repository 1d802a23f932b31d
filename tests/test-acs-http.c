/* tests/test-acs-http.c — the HTTP layer of `hnbsim acs` (tools/acs/acs_http.h) on byte strings: framing by
 * Content-Length and chunks, pipelining, 100-continue, the limits and the refusals, and every request fed one byte
 * at a time giving the same result as fed whole. */
#include "tools/acs/acs_http.h"

#include <string.h>

static const HnbAcsHttpLimits limits = {.max_header = 1024, .max_headers = 16, .max_body = 4096};

/* Feed all of `text`, `step` bytes at a time (0: all at once), collecting events: "R<body>" for a request, "C" for
 * 100-continue, "B<status>" for a refusal (then stop), "M" if bytes were left over in a request. */
static char *events(const char *text, size_t step)
{
    g_autoptr(HnbAcsHttp) h = hnb_acs_http_new(&limits);
    GString *got = g_string_new(NULL), *in = g_string_new(NULL);
    size_t len = strlen(text), fed = 0;
    for (;;) {
        if (fed < len) {
            size_t n = step ? MIN(step, len - fed) : len - fed;
            g_string_append_len(in, text + fed, (gssize)n);
            fed += n;
        }
        gboolean progress = FALSE;
        for (;;) {
            size_t used = 0;
            HnbAcsHttpEvent ev = hnb_acs_http_feed(h, in->str, in->len, &used);
            g_assert_cmpuint(used, <=, in->len);
            g_string_erase(in, 0, (gssize)used);
            if (ev == HNB_ACS_HTTP_MORE)
                break;
            progress = TRUE;
            if (ev == HNB_ACS_HTTP_CONTINUE) {
                g_string_append(got, "C ");
            } else if (ev == HNB_ACS_HTTP_REQUEST) {
                const HnbAcsHttpRequest *r = hnb_acs_http_request(h);
                g_assert_nonnull(r);
                g_assert_cmpuint(strlen(r->body), ==, r->body_len);
                g_string_append_printf(got, "R%s:%s%s ", r->method, r->body, r->keep_alive ? "" : "(close)");
            } else {
                g_string_append_printf(got, "B%d", hnb_acs_http_error(h, NULL));
                g_string_free(in, TRUE);
                return g_string_free(got, FALSE);
            }
        }
        if (fed == len && !progress)
            break;
    }
    if (hnb_acs_http_in_request(h) || in->len)
        g_string_append(got, "M");
    g_string_free(in, TRUE);
    return g_strchomp(g_string_free(got, FALSE));
}

/* The same events whether the bytes come whole, one at a time, or 7 at a time. */
static char *events_all_ways(const char *text)
{
    char *whole = events(text, 0);
    g_autofree char *bytes = events(text, 1), *sevens = events(text, 7);
    g_assert_cmpstr(bytes, ==, whole);
    g_assert_cmpstr(sevens, ==, whole);
    return whole;
}

/* head, then piece n times, then tail; the result lives until the next call (one per check) */
static const char *repeat_between(const char *head, const char *piece, int n, const char *tail)
{
    static char *last;
    g_free(last);
    GString *s = g_string_new(head);
    for (int i = 0; i < n; i++)
        g_string_append(s, piece);
    g_string_append(s, tail);
    return last = g_string_free(s, FALSE);
}

static char *repeat(const char *piece, int n)
{
    return g_strdup(repeat_between("", piece, n, ""));
}

static void check(const char *text, const char *want)
{
    g_autofree char *got = events_all_ways(text);
    g_assert_cmpstr(got, ==, want);
}

static void test_content_length(void)
{
    check("POST /cwmp HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "RPOST:hello");
    check("POST /cwmp HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "RPOST:");
    check("POST /cwmp HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", "RPOST:hello(close)");
    check("POST /cwmp HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi", "RPOST:hi(close)");
    check("GET / HTTP/1.1\r\n\r\n", "RGET:");
    /* incomplete: a request is under way */
    check("POST /cwmp HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel", "M");
}

static void test_chunked(void)
{
    check("POST /cwmp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
          "RPOST:hello world");
    /* chunk extensions and a trailer */
    check("POST /cwmp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", "RPOST:abc");
    /* no chunks at all: the empty POST */
    check("POST /cwmp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "RPOST:");
    /* a bad chunk size */
    check("POST /cwmp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "B400");
}

static void test_pipelined(void)
{
    check("POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\none"
          "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
          "POST /c HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
          "RPOST:one RPOST:two RPOST:");
}

static void test_expect_continue(void)
{
    check("POST /cwmp HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello", "C RPOST:hello");
    check("POST /cwmp HTTP/1.1\r\nexpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
          "C RPOST:hi");
    /* no body: nothing to wait for */
    check("POST /cwmp HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n", "RPOST:");
    /* too large: the final status instead of 100 */
    check("POST /cwmp HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n", "B413");
    /* any other expectation */
    check("POST /cwmp HTTP/1.1\r\nExpect: something\r\nContent-Length: 1\r\n\r\nx", "B417");
}

static void test_refusals(void)
{
    /* a body with no framing must not pass for the empty POST */
    check("POST /cwmp HTTP/1.1\r\nHost: a\r\n\r\n<soap:Envelope/>", "B411");
    check("POST /cwmp HTTP/1.1\r\n\r\n", "B411");
    /* limits: body by Content-Length, body by chunks, header size, header count */
    check("POST /cwmp HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", "B413");
    g_autofree char *kilo = repeat("x", 1000);
    g_autofree char *chunk = g_strdup_printf("3e8\r\n%s\r\n", kilo);
    check(repeat_between("POST /cwmp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", chunk, 5, ""), "B413");
    check(repeat_between("POST /cwmp HTTP/1.1\r\nX-Big: ", "a", 1100, "\r\nContent-Length: 0\r\n\r\n"), "B431");
    check(repeat_between("POST /cwmp HTTP/1.1\r\n", "X-Many: 1\r\n", 20, "Content-Length: 0\r\n\r\n"), "B431");
    /* malformed, smuggling shapes, upgrades */
    check("NOT A REQUEST\r\n\r\n", "B400");
    check("POST /cwmp HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "B400");
    check("POST /cwmp HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "B400");
    check("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", "B501");
    /* a refusal sticks: nothing after it is parsed */
    g_autoptr(HnbAcsHttp) h = hnb_acs_http_new(&limits);
    size_t used;
    g_assert_cmpint(hnb_acs_http_feed(h, "BAD\r\n\r\n", 7, &used), ==, HNB_ACS_HTTP_BAD);
    const char *why = NULL;
    g_assert_cmpint(hnb_acs_http_error(h, &why), ==, 400);
    g_assert_nonnull(why);
    g_assert_cmpint(hnb_acs_http_feed(h, "GET / HTTP/1.1\r\n\r\n", 18, &used), ==, HNB_ACS_HTTP_BAD);
    g_assert_cmpuint(used, ==, 0);
}

static void test_soap_action(void)
{
    g_autoptr(HnbAcsHttp) h = hnb_acs_http_new(&limits);
    const char *req = "POST /cwmp HTTP/1.1\r\nSOAPAction: \"urn:x\"\r\nContent-Length: 0\r\n\r\n";
    size_t used;
    g_assert_cmpint(hnb_acs_http_feed(h, req, strlen(req), &used), ==, HNB_ACS_HTTP_REQUEST);
    g_assert_cmpuint(used, ==, strlen(req));
    g_assert_cmpstr(hnb_acs_http_request(h)->soap_action, ==, "\"urn:x\"");
    g_assert_cmpstr(hnb_acs_http_request(h)->url, ==, "/cwmp");
}

static void test_respond(void)
{
    GString *out = g_string_new(NULL);
    hnb_acs_http_respond(out, 204, "text/xml", NULL, 0, NULL, TRUE);
    g_assert_true(g_str_has_prefix(out->str, "HTTP/1.1 204 No Content\r\n"));
    g_assert_null(strstr(out->str, "Content-Length"));
    g_assert_nonnull(strstr(out->str, "Connection: close\r\n\r\n"));
    g_string_truncate(out, 0);
    hnb_acs_http_respond(out, 500, "text/xml", "<x/>", 4, "Retry-After: 5\r\n", FALSE);
    g_assert_true(g_str_has_prefix(out->str, "HTTP/1.1 500 Internal Server Error\r\n"));
    g_assert_nonnull(strstr(out->str, "Content-Type: text/xml\r\nContent-Length: 4\r\nRetry-After: 5\r\n\r\n<x/>"));
    g_assert_null(strstr(out->str, "Connection"));
    g_string_free(out, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acs-http/content-length", test_content_length);
    g_test_add_func("/acs-http/chunked", test_chunked);
    g_test_add_func("/acs-http/pipelined", test_pipelined);
    g_test_add_func("/acs-http/expect-continue", test_expect_continue);
    g_test_add_func("/acs-http/refusals", test_refusals);
    g_test_add_func("/acs-http/soap-action", test_soap_action);
    g_test_add_func("/acs-http/respond", test_respond);
    return g_test_run();
}
