/* tests/test-acs-http.c — the HTTP layer of `hnbsim acs` (tools/acs/acs_http.h) on byte strings: framing by
 * Content-Length and chunks, pipelining, 100-continue, the limits and the refusals, and every request fed one byte
 * at a time giving the same result as fed whole. */
#include "tools/acs/acs_http.h"
#include "tools/acs/acs_image.h"

#include <unistd.h>

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

/* The header fields the ACS acts on are kept, per request (a later request does not inherit them). */
static void test_fields(void)
{
    g_autoptr(HnbAcsHttp) h = hnb_acs_http_new(&limits);
    const char *text = "GET /images/a HTTP/1.1\r\nHost: hems:7547\r\nCookie: hnbsim-session=ab\r\n"
                       "Range: bytes=0-9\r\nIf-Range: \"x\"\r\n\r\nGET /images/a HTTP/1.1\r\nHost: h2\r\n\r\n";
    size_t used = 0;
    g_assert_cmpint(hnb_acs_http_feed(h, text, strlen(text), &used), ==, HNB_ACS_HTTP_REQUEST);
    const HnbAcsHttpRequest *r = hnb_acs_http_request(h);
    g_assert_cmpstr(r->method, ==, "GET");
    g_assert_cmpstr(r->host, ==, "hems:7547");
    g_assert_cmpstr(r->cookie, ==, "hnbsim-session=ab");
    g_assert_cmpstr(r->range, ==, "bytes=0-9");
    g_assert_cmpstr(r->if_range, ==, "\"x\"");
    size_t more = 0;
    g_assert_cmpint(hnb_acs_http_feed(h, text + used, strlen(text) - used, &more), ==, HNB_ACS_HTTP_REQUEST);
    r = hnb_acs_http_request(h);
    g_assert_cmpstr(r->host, ==, "h2");
    g_assert_null(r->cookie);
    g_assert_null(r->range);
    g_assert_null(r->if_range);
}

/* RFC 7233 §2.1: first-last, first-, -suffix; what is ignored and what is unsatisfiable. */
static void test_ranges(void)
{
    const struct {
        const char *h;
        guint64 size;
        HnbAcsRange want;
        guint64 first, last;
    } cases[] = {
        {NULL, 100, HNB_ACS_RANGE_NONE, 0, 0},
        {"bytes=0-9", 100, HNB_ACS_RANGE_OK, 0, 9},
        {"bytes=10-", 100, HNB_ACS_RANGE_OK, 10, 99},
        {"bytes=90-500", 100, HNB_ACS_RANGE_OK, 90, 99},
        {"bytes=-10", 100, HNB_ACS_RANGE_OK, 90, 99},
        {"bytes=-500", 100, HNB_ACS_RANGE_OK, 0, 99},
        {"BYTES=5-5", 100, HNB_ACS_RANGE_OK, 5, 5},
        {"bytes=100-", 100, HNB_ACS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=200-300", 100, HNB_ACS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=-0", 100, HNB_ACS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=0-", 0, HNB_ACS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=9-5", 100, HNB_ACS_RANGE_NONE, 0, 0},
        {"bytes=0-1,5-6", 100, HNB_ACS_RANGE_NONE, 0, 0},
        {"bytes=a-b", 100, HNB_ACS_RANGE_NONE, 0, 0},
        {"bytes=-", 100, HNB_ACS_RANGE_NONE, 0, 0},
        {"items=0-1", 100, HNB_ACS_RANGE_NONE, 0, 0},
        {"bytes=99999999999999999999-", 100, HNB_ACS_RANGE_NONE, 0, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint64 first = 0, last = 0;
        HnbAcsRange got = hnb_acs_range_parse(cases[i].h, cases[i].size, &first, &last);
        g_test_message("%s", cases[i].h ? cases[i].h : "(none)");
        g_assert_cmpint(got, ==, cases[i].want);
        if (got == HNB_ACS_RANGE_OK) {
            g_assert_cmpuint(first, ==, cases[i].first);
            g_assert_cmpuint(last, ==, cases[i].last);
        }
    }
}

/* The image's answers: 200, 206 with Content-Range, 416, If-Range, HEAD, 404. */
static void test_image_answers(void)
{
    g_autofree char *dir = g_dir_make_tmp("acs-image-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "hnb.img", NULL);
    g_assert_true(g_file_set_contents(path, "0123456789", 10, NULL));
    HnbAcsImage img;
    GError *error = NULL;
    g_assert_true(hnb_acs_image_open(&img, path, "2.0", &error));
    g_assert_no_error(error);
    /* SHA-256("0123456789") */
    g_assert_cmpstr(img.etag, ==, "\"84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882\"");
    g_assert_cmpstr(img.command_key, ==, "84d89877f0d4041e");
    g_assert_cmpuint(img.size, ==, 10);
    const struct {
        gboolean head;
        const char *url, *range, *if_range;
        int status;
        guint64 off, len;
        const char *has;
    } cases[] = {
        {FALSE, "/images/hnb.img", NULL, NULL, 200, 0, 10, "Content-Length: 10\r\n"},
        {FALSE, "/images/hnb.img?x=1", "bytes=2-4", NULL, 206, 2, 3, "Content-Range: bytes 2-4/10\r\n"},
        {FALSE, "/images/hnb%2eimg", "bytes=-3", img.etag, 206, 7, 3, "Content-Length: 3\r\n"},
        {FALSE, "/images/hnb.img", "bytes=2-4", "\"other\"", 200, 0, 10, "Accept-Ranges: bytes\r\n"},
        {FALSE, "/images/hnb.img", "bytes=2-4", "Sat, 05 Dec 2026 00:00:00 GMT", 200, 0, 10, "ETag: \""},
        {FALSE, "/images/hnb.img", "bytes=10-", NULL, 416, 0, 0, "Content-Range: bytes */10\r\n"},
        {TRUE, "/images/hnb.img", "bytes=2-4", NULL, 200, 0, 0, "Content-Length: 10\r\n"},
        {FALSE, "/images/other.img", NULL, NULL, 404, 0, 0, "404"},
        {FALSE, "/images/../hnb.img", NULL, NULL, 404, 0, 0, "404"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GString) out = g_string_new(NULL);
        guint64 off = 99, len = 99;
        int status = hnb_acs_image_answer(&img, cases[i].head, cases[i].url, cases[i].range, cases[i].if_range, FALSE,
                                          out, &off, &len);
        g_test_message("%s %s: %s", cases[i].url, cases[i].range ? cases[i].range : "-", out->str);
        g_assert_cmpint(status, ==, cases[i].status);
        g_assert_cmpuint(off, ==, cases[i].off);
        g_assert_cmpuint(len, ==, cases[i].len);
        g_assert_nonnull(strstr(out->str, cases[i].has));
        g_assert_true(g_str_has_suffix(out->str, "\r\n\r\n") || status >= 400);
    }
    g_autoptr(GString) none = g_string_new(NULL);
    guint64 off, len;
    g_assert_cmpint(hnb_acs_image_answer(NULL, FALSE, "/images/hnb.img", NULL, NULL, TRUE, none, &off, &len), ==, 404);
    g_assert_true(hnb_acs_image_url("/images/x"));
    g_assert_false(hnb_acs_image_url("/cwmp"));
    hnb_acs_image_close(&img);
    g_assert_false(hnb_acs_image_open(&img, dir, "2.0", &error)); /* a directory */
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    g_clear_error(&error);
    unlink(path);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acs-http/content-length", test_content_length);
    g_test_add_func("/acs-http/fields", test_fields);
    g_test_add_func("/acs-http/ranges", test_ranges);
    g_test_add_func("/acs-http/image-answers", test_image_answers);
    g_test_add_func("/acs-http/chunked", test_chunked);
    g_test_add_func("/acs-http/pipelined", test_pipelined);
    g_test_add_func("/acs-http/expect-continue", test_expect_continue);
    g_test_add_func("/acs-http/refusals", test_refusals);
    g_test_add_func("/acs-http/soap-action", test_soap_action);
    g_test_add_func("/acs-http/respond", test_respond);
    return g_test_run();
}
