/* tools/acs/acs_http.c — HTTP/1.1 requests through http-parser, with the ACS's limits (see acs_http.h).
 *
 * State: the parser, the request being assembled (url, current header field/value, body) and, once the parser paused
 * at a message's end, the finished request.  Header fields and values arrive in pieces (a field may straddle two
 * TLS records), so each is collected until the next one starts; only the few this server acts on are kept.
 * Callbacks never fail the parse with their own return value except to stop at a limit; the reason is kept in
 * `status`/`why` and the caller sees HNB_ACS_HTTP_BAD.
 */
#include "tools/acs/acs_http.h"

#include <http_parser.h>
#include <string.h>

struct HnbAcsHttp {
    http_parser parser;
    http_parser_settings settings;
    HnbAcsHttpLimits limits;
    HnbAcsHttpRequest req;
    GString *url, *field, *value, *body;
    char *soap_action, *host, *cookie, *range, *if_range;
    gboolean in_value;        /* the last header piece was a value (the next field piece starts a new header) */
    gboolean in_message;      /* between message begin and complete */
    gboolean in_header;       /* between message begin and the header's end */
    gboolean expect_continue; /* `Expect: 100-continue` in this request */
    gboolean expect_other;    /* any other expectation (refused once the header is complete) */
    gboolean continue_due;    /* headers complete, CONTINUE not reported yet */
    gboolean complete;        /* the parser paused at a message's end */
    size_t header_bytes, headers;
    int status;               /* != 0 once BAD */
    char *why;
};

static HnbAcsHttp *of(http_parser *p)
{
    return p->data;
}

static int fail(HnbAcsHttp *h, int status, char *why)
{
    if (!h->status) {
        h->status = status;
        h->why = why;
    } else {
        g_free(why);
    }
    return -1;
}

/* Count header bytes; -1 past the limit. */
static int header_bytes(HnbAcsHttp *h, size_t n)
{
    h->header_bytes += n;
    if (h->header_bytes > h->limits.max_header)
        return fail(h, 431, g_strdup_printf("request header larger than %zu bytes", h->limits.max_header));
    return 0;
}

/* A header field and value are complete: keep what this server acts on. */
static int header_done(HnbAcsHttp *h)
{
    if (!h->in_value)
        return 0;
    h->in_value = FALSE;
    if (++h->headers > h->limits.max_headers)
        return fail(h, 431, g_strdup_printf("more than %zu header fields", h->limits.max_headers));
    const char *value = g_strstrip(h->value->str);
    if (g_ascii_strcasecmp(h->field->str, "Expect") == 0) {
        if (g_ascii_strcasecmp(value, "100-continue") == 0)
            h->expect_continue = TRUE;
        else
            h->expect_other = TRUE;
    } else if (g_ascii_strcasecmp(h->field->str, "SOAPAction") == 0) {
        g_free(h->soap_action);
        h->soap_action = g_strdup(value);
    } else if (g_ascii_strcasecmp(h->field->str, "Host") == 0) {
        g_free(h->host);
        h->host = g_strdup(value);
    } else if (g_ascii_strcasecmp(h->field->str, "Cookie") == 0) {
        g_free(h->cookie);
        h->cookie = g_strdup(value);
    } else if (g_ascii_strcasecmp(h->field->str, "Range") == 0) {
        g_free(h->range);
        h->range = g_strdup(value);
    } else if (g_ascii_strcasecmp(h->field->str, "If-Range") == 0) {
        g_free(h->if_range);
        h->if_range = g_strdup(value);
    }
    g_string_truncate(h->field, 0);
    g_string_truncate(h->value, 0);
    return 0;
}

static int on_message_begin(http_parser *p)
{
    HnbAcsHttp *h = of(p);
    g_string_truncate(h->url, 0);
    g_string_truncate(h->field, 0);
    g_string_truncate(h->value, 0);
    g_string_truncate(h->body, 0);
    g_clear_pointer(&h->soap_action, g_free);
    g_clear_pointer(&h->host, g_free);
    g_clear_pointer(&h->cookie, g_free);
    g_clear_pointer(&h->range, g_free);
    g_clear_pointer(&h->if_range, g_free);
    h->in_value = h->expect_continue = h->expect_other = h->continue_due = FALSE;
    h->header_bytes = h->headers = 0;
    h->in_message = h->in_header = TRUE;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    HnbAcsHttp *h = of(p);
    g_string_append_len(h->url, at, (gssize)len);
    return header_bytes(h, len);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    HnbAcsHttp *h = of(p);
    if (header_done(h) != 0)
        return -1;
    g_string_append_len(h->field, at, (gssize)len);
    return header_bytes(h, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    HnbAcsHttp *h = of(p);
    h->in_value = TRUE;
    g_string_append_len(h->value, at, (gssize)len);
    return header_bytes(h, len);
}

/* The header is complete: decide on the body before reading any of it. */
static int on_headers_complete(http_parser *p)
{
    HnbAcsHttp *h = of(p);
    h->in_header = FALSE;
    if (header_done(h) != 0)
        return -1;
    gboolean chunked = (p->flags & F_CHUNKED) != 0, has_length = (p->flags & F_CONTENTLENGTH) != 0;
    if (h->expect_other)
        return fail(h, 417, g_strdup("the only expectation this server meets is Expect: 100-continue"));
    if (p->method == HTTP_POST && !chunked && !has_length)
        return fail(h, 411, g_strdup("a POST needs Content-Length or Transfer-Encoding: chunked"));
    if (has_length && !chunked && p->content_length > h->limits.max_body)
        return fail(h, 413, g_strdup_printf("body of %" G_GUINT64_FORMAT " bytes, more than the %zu allowed",
                                            (guint64)p->content_length, h->limits.max_body));
    if (h->expect_continue && (chunked || p->content_length > 0)) {
        h->continue_due = TRUE;
        http_parser_pause(p, 1);
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    HnbAcsHttp *h = of(p);
    if (h->body->len + len > h->limits.max_body)
        return fail(h, 413, g_strdup_printf("chunked body of more than the %zu bytes allowed", h->limits.max_body));
    g_string_append_len(h->body, at, (gssize)len);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    HnbAcsHttp *h = of(p);
    h->in_message = h->in_header = FALSE;
    h->complete = TRUE;
    h->req = (HnbAcsHttpRequest){
        .method = http_method_str((enum http_method)p->method),
        .url = h->url->str,
        .body = h->body->str,
        .body_len = h->body->len,
        .chunked = (p->flags & F_CHUNKED) != 0,
        .keep_alive = http_should_keep_alive(p) != 0,
        .soap_action = h->soap_action,
        .host = h->host,
        .cookie = h->cookie,
        .range = h->range,
        .if_range = h->if_range,
    };
    http_parser_pause(p, 1);
    return 0;
}

HnbAcsHttp *hnb_acs_http_new(const HnbAcsHttpLimits *limits)
{
    HnbAcsHttp *h = g_new0(HnbAcsHttp, 1);
    h->limits = *limits;
    http_parser_init(&h->parser, HTTP_REQUEST);
    h->parser.data = h;
    http_parser_settings_init(&h->settings);
    h->settings.on_message_begin = on_message_begin;
    h->settings.on_url = on_url;
    h->settings.on_header_field = on_header_field;
    h->settings.on_header_value = on_header_value;
    h->settings.on_headers_complete = on_headers_complete;
    h->settings.on_body = on_body;
    h->settings.on_message_complete = on_message_complete;
    h->url = g_string_new(NULL);
    h->field = g_string_new(NULL);
    h->value = g_string_new(NULL);
    h->body = g_string_new(NULL);
    return h;
}

void hnb_acs_http_free(HnbAcsHttp *h)
{
    if (!h)
        return;
    g_string_free(h->url, TRUE);
    g_string_free(h->field, TRUE);
    g_string_free(h->value, TRUE);
    g_string_free(h->body, TRUE);
    g_free(h->soap_action);
    g_free(h->host);
    g_free(h->cookie);
    g_free(h->range);
    g_free(h->if_range);
    g_free(h->why);
    g_free(h);
}

HnbAcsHttpEvent hnb_acs_http_feed(HnbAcsHttp *h, const char *data, size_t len, size_t *used)
{
    *used = 0;
    if (h->status)
        return HNB_ACS_HTTP_BAD;
    h->complete = FALSE;
    if (len == 0) /* to http-parser, length 0 means end of stream */
        return HNB_ACS_HTTP_MORE;
    if (HTTP_PARSER_ERRNO(&h->parser) == HPE_PAUSED)
        http_parser_pause(&h->parser, 0);
    size_t n = http_parser_execute(&h->parser, &h->settings, data, len);
    *used = n;
    enum http_errno e = HTTP_PARSER_ERRNO(&h->parser);
    if (h->status)
        return HNB_ACS_HTTP_BAD;
    if (e != HPE_OK && e != HPE_PAUSED) {
        fail(h, e == HPE_HEADER_OVERFLOW ? 431 : 400,
             g_strdup_printf("malformed request (%s)", http_errno_description(e)));
        return HNB_ACS_HTTP_BAD;
    }
    if (h->complete) {
        if (h->parser.upgrade) { /* CONNECT or Upgrade: another protocol follows, which this server does not speak */
            fail(h, 501, g_strdup("protocol upgrade is not supported"));
            return HNB_ACS_HTTP_BAD;
        }
        return HNB_ACS_HTTP_REQUEST;
    }
    if (h->continue_due) {
        h->continue_due = FALSE;
        return HNB_ACS_HTTP_CONTINUE;
    }
    return HNB_ACS_HTTP_MORE;
}

const HnbAcsHttpRequest *hnb_acs_http_request(const HnbAcsHttp *h)
{
    return h->complete ? &h->req : NULL;
}

int hnb_acs_http_error(const HnbAcsHttp *h, const char **why)
{
    if (why)
        *why = h->why;
    return h->status;
}

gboolean hnb_acs_http_in_request(const HnbAcsHttp *h)
{
    return h->in_message;
}

gboolean hnb_acs_http_in_body(const HnbAcsHttp *h)
{
    return h->in_message && !h->in_header;
}

const char *hnb_acs_http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

void hnb_acs_http_respond(GString *out, int status, const char *content_type, const char *body, size_t body_len,
                          const char *extra, gboolean close)
{
    gboolean bodiless = status < 200 || status == 204;
    g_string_append_printf(out, "HTTP/1.1 %d %s\r\nServer: hnbsim/%s\r\n", status, hnb_acs_http_status_text(status),
                           HNB_VERSION);
    if (!bodiless) {
        if (body && content_type)
            g_string_append_printf(out, "Content-Type: %s\r\n", content_type);
        g_string_append_printf(out, "Content-Length: %zu\r\n", body ? body_len : 0);
    }
    if (extra)
        g_string_append(out, extra);
    if (close)
        g_string_append(out, "Connection: close\r\n");
    g_string_append(out, "\r\n");
    if (body && !bodiless)
        g_string_append_len(out, body, (gssize)body_len);
}
