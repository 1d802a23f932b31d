/* tools/acs/acs_http.h — the HTTP/1.1 layer of `hnbsim acs`: requests taken off a byte stream, responses written.
 *
 * The parsing is nodejs's http-parser (Debian's libhttp-parser-dev, 2.9): request line, header fields, bodies framed
 * by Content-Length or chunked Transfer-Encoding, pipelined requests.  This file adds what an ACS needs on top:
 *
 *   - one request at a time: the parser is paused at the end of each message, so the caller answers request n before
 *     request n+1 (sent in the same TCP segment) is looked at;
 *   - `Expect: 100-continue` is reported once the header is complete (HNB_ACS_HTTP_CONTINUE), before the body, so the
 *     caller can send 100 Continue at once (RFC 7231 §5.1.1) — or a final status if the header already says no;
 *   - limits: the request line plus header fields (431 above), the decoded body (413 above, decided from
 *     Content-Length before any body byte is read, or while chunks arrive), header field count (431);
 *   - a POST with neither Content-Length nor chunked Transfer-Encoding is refused with 411: RFC 7230 §3.3.3 would read
 *     it as an empty body and the bytes after it as the next request, which for a CWMP endpoint means a body sent
 *     without framing would be taken for the empty POST that ends the session.
 *
 * A connection owns one HnbAcsHttp; nothing here touches a socket (the loop feeds bytes, sends what comes back).
 */
#ifndef HNB_ACS_HTTP_H
#define HNB_ACS_HTTP_H

#include <glib.h>
#include <stddef.h>

typedef struct {
    size_t max_header;  /* request line + header fields, in bytes */
    size_t max_headers; /* header fields */
    size_t max_body;    /* decoded body, in bytes */
} HnbAcsHttpLimits;

/* What hnb_acs_http_feed() found. */
typedef enum {
    HNB_ACS_HTTP_MORE,     /* the bytes so far are part of a request that is not complete yet */
    HNB_ACS_HTTP_CONTINUE, /* the header asked for 100 Continue: send HNB_ACS_HTTP_100, then feed what is left */
    HNB_ACS_HTTP_REQUEST,  /* a complete request: hnb_acs_http_request() until the next feed */
    HNB_ACS_HTTP_BAD,      /* a request this server will not read: answer hnb_acs_http_error() and close */
} HnbAcsHttpEvent;

#define HNB_ACS_HTTP_100 "HTTP/1.1 100 Continue\r\n\r\n"

/* One request, valid from HNB_ACS_HTTP_REQUEST until the next hnb_acs_http_feed(). */
typedef struct {
    const char *method;   /* "POST", "GET", ... (static) */
    const char *url;      /* as sent */
    const char *body;     /* decoded (chunks joined), NUL-terminated; "" if none */
    size_t body_len;
    gboolean chunked;     /* the body came in chunks */
    gboolean keep_alive;  /* HTTP/1.1 without `Connection: close`, or 1.0 with keep-alive */
    const char *soap_action; /* the SOAPAction header, NULL if absent */
    /* header fields the ACS acts on, NULL if absent (a repeated field: the last one) */
    const char *host;     /* Host: the name the client reached this server by (for the image URL of a Download) */
    const char *cookie;   /* Cookie: the CWMP session cookie (TR-069 §3.4.1) */
    const char *range;    /* Range (RFC 7233 §3.1) */
    const char *if_range; /* If-Range (RFC 7233 §3.2) */
} HnbAcsHttpRequest;

typedef struct HnbAcsHttp HnbAcsHttp;

/* A parser for one connection's requests, with these limits (copied). */
HnbAcsHttp *hnb_acs_http_new(const HnbAcsHttpLimits *limits);
void hnb_acs_http_free(HnbAcsHttp *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbAcsHttp, hnb_acs_http_free)

/* Parse from data[0..len): stops after the first event other than MORE and says in *used how many bytes it took
 * (the rest is for the next call, e.g. a pipelined request).  len 0 returns MORE.  After BAD every call returns BAD
 * again: the connection is to be answered and closed. */
HnbAcsHttpEvent hnb_acs_http_feed(HnbAcsHttp *h, const char *data, size_t len, size_t *used);

/* The request of the last HNB_ACS_HTTP_REQUEST (NULL otherwise). */
const HnbAcsHttpRequest *hnb_acs_http_request(const HnbAcsHttp *h);

/* After HNB_ACS_HTTP_BAD: the status to answer (400, 411, 413, 431, 501) and why, in words for the client and the
 * log (owned by h). */
int hnb_acs_http_error(const HnbAcsHttp *h, const char **why);

/* TRUE while part of a request has been read (a peer that closes now left a partial request). */
gboolean hnb_acs_http_in_request(const HnbAcsHttp *h);
/* TRUE once a request's header is complete and until the request is: its body is being read (the loop's header
 * deadline is over for this request). */
gboolean hnb_acs_http_in_body(const HnbAcsHttp *h);

/* Append a whole response to `out`: status line, Server, Content-Type (if body is not NULL), Content-Length (except
 * 1xx/204), `extra` header lines (each ending in CRLF, may be NULL), `Connection: close` if close, the body. */
void hnb_acs_http_respond(GString *out, int status, const char *content_type, const char *body, size_t body_len,
                          const char *extra, gboolean close);

/* The reason phrase of a status this server sends ("Error" for others). */
const char *hnb_acs_http_status_text(int status);

#endif
