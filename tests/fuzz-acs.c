/* tests/fuzz-acs.c — fuzz target for `hnbsim acs`'s request path: HTTP (tools/acs/acs_http.c), the SOAP envelope
 * (acs_soap.c) and the CWMP answers (acs_cwmp.c), everything between the TLS record layer and the bytes written back.
 *
 * One input is used two ways:
 *   - as the bytes of a connection: fed to the HTTP parser in pieces whose size the first byte picks (1..64), every
 *     complete request's body answered by one CWMP session, as acs_loop.c does;
 *   - whole, as one POST body for a fresh CWMP session (so the XML parser sees every input, framed or not).
 * Promises checked (a broken one aborts, which the fuzzer reports like a crash):
 *   - the HTTP events are the same whether the bytes come whole or in pieces, and a parser never takes more bytes
 *     than it was given (a refusal's status may differ: with two faults in one header field, pieces can show the
 *     field to the size check before the parser meets the bad byte, which whole it meets first);
 *   - an answer is 200, 204 or 500; a 200 or 500 carries an envelope that this ACS's own parser accepts (so every
 *     echoed cwmp:ID and fault text was escaped), a 204 none;
 *   - an InformResponse goes out only after the identity callback accepted the DeviceId, in the same call;
 *   - a Download carries cwmp:HoldRequests true, and the campaign (acs_campaign.h, fresh per connection, at most 2
 *     Downloads, no staggering so a replay does not depend on the clock) never sends more than its attempts.
 *
 * Built with libFuzzer by tools/fuzz.sh (clang -fsanitize=fuzzer,address,undefined with http-parser and libxml2);
 * linked with tests/fuzz-replay.c (any compiler) it replays tests/fuzz/acs-corpus and tests/fuzz/acs-regressions in
 * every build (meson test fuzz-acs-replay).
 */
#include "tests/fuzz-common.h"
#include "tools/acs/acs_cwmp.h"
#include "tools/acs/acs_http.h"
#include "tools/acs/acs_image.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const HnbAcsHttpLimits http_limits = {.max_header = 2048, .max_headers = 32, .max_body = 64 * 1024};
static const HnbAcsSoapLimits soap_limits = {.max_bytes = 64 * 1024, .max_depth = 32};

static void broken(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz-acs: broken promise: %s: %s\n", what, detail);
    abort();
}

typedef struct {
    gboolean accepted; /* the last identity check said yes */
} Auth;

/* The authenticated device is OUI 02484E, serial 0000000001. */
static gboolean authorize(const char *oui, const char *serial, void *user_data, char **why)
{
    Auth *a = user_data;
    a->accepted = strcmp(oui, "02484E") == 0 && strcmp(serial, "0000000001") == 0;
    if (!a->accepted)
        *why = g_strdup("is not the fuzzer's device");
    return a->accepted;
}

/* The published image the sessions offer (SoftwareVersion 2.0); its bytes are never read here. */
static const HnbAcsCwmpImage image = {.name = "hnb.img", .version = "2.0", .size = 1000,
                                      .command_key = "0123456789abcdef", .default_host = "127.0.0.1:7547"};
static const HnbAcsImage image_file = {.name = "hnb.img", .version = "2.0", .fd = -1, .size = 1000,
                                       .etag = "\"e\"", .command_key = "0123456789abcdef",
                                       .manifest = (char *)"name=hnb.img\n"};
static const HnbAcsCampaignParams campaign_params = {.published_version = "2.0", .golden_version = "golden-*",
                                                     .max_attempts = 2};

/* A GET or HEAD under /images/: the answer's range stays inside the file, its header block is complete. */
static void answer_image(const HnbAcsHttpRequest *req)
{
    g_autoptr(GString) out = g_string_new(NULL);
    guint64 off = 0, len = 0;
    int status = hnb_acs_image_answer(&image_file, strcmp(req->method, "HEAD") == 0, req->url, req->range,
                                      req->if_range, FALSE, out, &off, &len);
    if (status != 200 && status != 206 && status != 404 && status != 416)
        broken("image status", out->str);
    if (strstr(out->str, "\r\n\r\nname=hnb.img\n") && (status != 200 || len))
        broken("the manifest is a 200 from memory", out->str);
    if (off > image_file.size || len > image_file.size - off || (status != 200 && status != 206 && len))
        broken("image range outside the file", req->range ? req->range : "-");
    if (!strstr(out->str, "\r\n\r\n"))
        broken("image header block not ended", out->str);
}

/* Answer one body and check the answer's promises. */
static void answer(HnbAcsCwmpSession *s, Auth *auth, const char *body, size_t len, const HnbAcsCwmpRequestInfo *info)
{
    HnbAcsCwmpReply r;
    auth->accepted = FALSE;
    hnb_acs_cwmp_answer_request(s, body, len, info, &r);
    if (r.status != 200 && r.status != 204 && r.status != 500)
        broken("status", r.body->str);
    if ((r.status == 204) != (r.body->len == 0))
        broken("a 204 and only a 204 has no envelope", r.body->str);
    if (r.body->len) {
        HnbAcsSoap soap;
        HnbAcsSoapFault fault;
        if (!hnb_acs_soap_parse(r.body->str, r.body->len, &soap_limits, &soap, &fault))
            broken(fault.message, r.body->str);
        hnb_acs_soap_clear(&soap);
    }
    if (strstr(r.body->str, "<cwmp:InformResponse>") && !auth->accepted) /* a fault quoting the name escapes "<" */
        broken("InformResponse without an accepted DeviceId", body);
    if (strstr(r.body->str, "<cwmp:Download>") && !s->informed)
        broken("Download before an accepted Inform", body);
    if (strstr(r.body->str, "<cwmp:Download>") && !strstr(r.body->str, ">true</cwmp:HoldRequests>"))
        broken("Download without HoldRequests", r.body->str);
    if (s->campaign && s->device && hnb_acs_campaign_attempts(s->campaign, s->device) > 2)
        broken("more Downloads than --max-attempts", body);
    if (r.headers && (strchr(r.headers, '\n') != r.headers + strlen(r.headers) - 1 || !s->informed))
        broken("extra headers are one line, after an Inform", r.headers);
    hnb_acs_cwmp_reply_clear(&r);
}

/* Feed `data` to an HTTP parser `step` bytes at a time (0: whole); answer each request's body; return the events
 * ("R" request, "C" continue, "B" refusal) for comparison. */
static char *connection(const char *data, size_t len, size_t step, gboolean answer_bodies)
{
    g_autoptr(HnbAcsHttp) h = hnb_acs_http_new(&http_limits);
    Auth auth = {0};
    HnbAcsCwmpSession s;
    g_autoptr(HnbAcsCampaign) campaign = hnb_acs_campaign_new(&campaign_params);
    hnb_acs_cwmp_session_init(&s, &soap_limits, authorize, &auth);
    hnb_acs_cwmp_session_set_image(&s, &image);
    hnb_acs_cwmp_session_set_campaign(&s, campaign);
    GString *events = g_string_new(NULL), *in = g_string_new(NULL);
    size_t fed = 0;
    gboolean done = FALSE;
    while (!done) {
        if (fed < len) {
            size_t n = step ? MIN(step, len - fed) : len - fed;
            g_string_append_len(in, data + fed, (gssize)n);
            fed += n;
        }
        gboolean progress = FALSE;
        for (;;) {
            size_t used = 0;
            HnbAcsHttpEvent ev = hnb_acs_http_feed(h, in->str, in->len, &used);
            if (used > in->len)
                broken("http parser took more than it was given", "");
            g_string_erase(in, 0, (gssize)used);
            if (ev == HNB_ACS_HTTP_MORE)
                break;
            progress = TRUE;
            if (ev == HNB_ACS_HTTP_CONTINUE) {
                g_string_append_c(events, 'C');
            } else if (ev == HNB_ACS_HTTP_REQUEST) {
                const HnbAcsHttpRequest *req = hnb_acs_http_request(h);
                g_string_append_printf(events, "R%s:%zu,", req->method, req->body_len);
                HnbAcsCwmpRequestInfo info = {.host = req->host, .cookie = req->cookie};
                if (answer_bodies && hnb_acs_image_url(req->url))
                    answer_image(req);
                else if (answer_bodies)
                    answer(&s, &auth, req->body, req->body_len, &info);
            } else {
                int status = hnb_acs_http_error(h, NULL);
                if (status < 400 || status > 599)
                    broken("a refusal is a 4xx or 5xx", "");
                g_string_append_c(events, 'B');
                done = TRUE;
                break;
            }
        }
        if (fed == len && !progress)
            done = TRUE;
    }
    hnb_acs_cwmp_session_clear(&s);
    g_string_free(in, TRUE);
    return g_string_free(events, FALSE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gboolean once;
    if (!once) {
        hnb_fuzz_abort_on_warnings();
        hnb_acs_soap_init();
        once = TRUE;
    }
    if (size == 0)
        return 0;
    size_t step = 1 + data[0] % 64;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    g_autofree char *whole = connection(text, len, 0, TRUE);
    g_autofree char *pieces = connection(text, len, step, FALSE);
    if (strcmp(whole, pieces) != 0) {
        g_autofree char *both = g_strdup_printf("whole %s, in pieces of %zu %s", whole, step, pieces);
        broken("http events depend on how the bytes arrive", both);
    }
    Auth auth = {0};
    HnbAcsCwmpSession s;
    hnb_acs_cwmp_session_init(&s, &soap_limits, authorize, &auth);
    hnb_acs_cwmp_session_set_image(&s, &image);
    answer(&s, &auth, text, len, NULL);
    hnb_acs_cwmp_session_clear(&s);
    return 0;
}
