/* tests/test-drive-client.c — tools/drive/client.{h,c} against real `hnbsim acs` processes on loopback: each session
 * outcome the drive names (DESIGN, "`hnbsim drive`...", part 3) produced for real and read back, with the server's log
 * line for the same connection where it says something the client cannot (the cookie it saw echoed, the RPCs, the
 * TransferComplete's fault).
 *
 * One libev loop in this process runs the client; every server is a child (tests/child-common.h) stopped in the test
 * that started it.  Every wait is bounded: the client's own timeout ends any session. */
#include "crypto/pki.h"
#include "tests/child-common.h"
#include "tools/drive/client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define IMG_SIZE 300000
#define TIMEOUT_S 20.0

static char *scratch, *pki_dir;
static HnbPki *pki;        /* the export, for DeviceIds */
static struct ev_loop *loop;
static ChildServer acs;    /* plain: no image, resumption by session IDs (the default) */

/* ---- helpers ----------------------------------------------------------------------------------------------------- */

/* Run argv to completion in the scratch dir; asserts it exits 0. */
static void run_ok(const char *const *argv)
{
    char *out = NULL, *err = NULL;
    int status = -1;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(scratch, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
    g_assert_no_error(error);
    g_test_message("$ %s %s ...\n%s%s", argv[0], argv[1], out, err);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_free(out);
    g_free(err);
}

static void acs_start(ChildServer *s, const char *const *opts, const char *log_name)
{
    g_autofree char *log = g_build_filename(scratch, log_name, NULL);
    child_acs_start(s, scratch, pki_dir, opts, log);
}

/* How many of the log lines of s's connections so far hold every one of the NULL-terminated needles, once `more`
 * connections more than before have been logged (a server logs a connection when it closes, so connections made one
 * after another may be logged in another order: the tests look lines up instead of counting on their order). */
static guint lines_with(ChildServer *s, guint more, ...)
{
    s->connections += more;
    g_free(child_acs_log_line(s, s->connections)); /* waits for them */
    char **lines = child_log_lines(s, 0);
    guint n = 0;
    for (char **l = lines; *l; l++) {
        if (!g_str_has_prefix(*l, "acs: peer="))
            continue;
        va_list ap;
        va_start(ap, more);
        gboolean all = TRUE;
        for (const char *w; (w = va_arg(ap, const char *));)
            all = all && strstr(*l, w);
        va_end(ap);
        n += all;
    }
    g_strfreev(lines);
    return n;
}

static void assert_has(const char *text, const char *want)
{
    if (!strstr(text, want))
        g_error("'%s' not in: %s", want, text);
}

static HnbDriveClient *client_with(const char *dir, const char *port, double timeout, int syn_retries)
{
    HnbDriveClientConfig cfg = {.pki_dir = dir, .timeout = timeout, .syn_retries = syn_retries,
                                .resumption = HNB_TLS_RESUME_IDS};
    struct sockaddr_in *sa = (struct sockaddr_in *)&cfg.addr;
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)atoi(port));
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cfg.addr_len = sizeof *sa;
    GError *error = NULL;
    HnbDriveClient *cl = hnb_drive_client_new(loop, &cfg, &error);
    g_assert_no_error(error);
    g_assert_nonnull(cl);
    return cl;
}

static HnbDriveClient *client_for(const char *dir, const char *port)
{
    return client_with(dir, port, TIMEOUT_S, 0);
}

/* A session's result as the callback saw it, its strings copied. */
typedef struct {
    gboolean done;
    HnbDriveResult r;
} Got;

static void on_session(HnbDriveSession *s, HnbDriveResult *r, void *user_data)
{
    (void)s;
    Got *g = user_data;
    g->r = *r;
    g->r.download.url = g_strdup(r->download.url);
    g->r.download.command_key = g_strdup(r->download.command_key);
    r->session = NULL; /* ours now */
    g->done = TRUE;
    g_test_message("session: %s phase=%d hs=%s detail='%s' status=%u fault=%d responses=%u resumed=%d",
                   hnb_drive_outcome_name(r->outcome), r->phase, hnb_tls_reason_name(r->hs_reason), r->detail,
                   r->http_status, r->cwmp_fault, r->responses, r->resumed);
}

static void got_clear(Got *g)
{
    SSL_SESSION_free(g->r.session);
    g_free(g->r.download.url);
    g_free(g->r.download.command_key);
    memset(g, 0, sizeof *g);
}

static void session_run(HnbDriveClient *cl, const HnbDriveSessionSpec *spec, Got *g)
{
    memset(g, 0, sizeof *g);
    hnb_drive_session_start(cl, spec, on_session, g);
    g_assert_false(g->done); /* never inside the start call */
    while (!g->done)
        ev_run(loop, EVRUN_ONCE);
}

typedef struct {
    gboolean done;
    HnbDriveImageResult r;
} GotImage;

static void on_image(HnbDriveImage *im, const HnbDriveImageResult *r, void *user_data)
{
    (void)im;
    GotImage *g = user_data;
    g->r = *r;
    g->done = TRUE;
    g_test_message("image: %s detail='%s' status=%u bytes=%" G_GUINT64_FORMAT, hnb_drive_image_outcome_name(r->outcome),
                   r->detail, r->http_status, r->bytes);
}

static void image_run(HnbDriveClient *cl, uint32_t dev, const HnbDriveDownload *d, double cap, GotImage *g)
{
    memset(g, 0, sizeof *g);
    hnb_drive_image_start(cl, dev, FALSE, d->url, d->file_size, cap, on_image, g);
    g_assert_false(g->done);
    while (!g->done)
        ev_run(loop, EVRUN_ONCE);
}

/* ---- sessions ---------------------------------------------------------------------------------------------------- */

/* A whole Inform session: ok, the cookie returned (the server saw it: cookie=echoed), its times in order. */
static void test_ok(void)
{
    HnbDriveClient *cl = client_for(pki_dir, acs.port);
    const char *boot[] = {"1 BOOT", NULL};
    HnbDriveSessionSpec spec = {.device = 0, .software_version = "1.0", .events = boot};
    Got g;
    session_run(cl, &spec, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "ok");
    g_assert_cmpint(g.r.phase, ==, HNB_DRIVE_PHASE_EXCHANGE);
    g_assert_cmpuint(g.r.http_status, ==, 204);
    g_assert_cmpuint(g.r.responses, ==, 2);
    g_assert_true(g.r.cookie);
    g_assert_false(g.r.download.present);
    g_assert_nonnull(g.r.session);
    g_assert_cmpint(g.r.t_start, >, 0);
    g_assert_cmpint(g.r.t_start, <=, g.r.t_connected);
    g_assert_cmpint(g.r.t_connected, <=, g.r.t_handshake);
    g_assert_cmpint(g.r.t_handshake, <=, g.r.t_first_response);
    g_assert_cmpint(g.r.t_first_response, <=, g.r.t_end);
    g_assert_cmpint(g.r.t_end - g.r.t_start, <, (int64_t)(TIMEOUT_S * 1e9));
    g_assert_cmpuint(lines_with(&acs, 1, "identity=02484E0000000000.", "rpcs=Inform,empty requests=2 outcome=ok",
                                "cookie=echoed", NULL), ==, 1);
    got_clear(&g);
    hnb_drive_client_free(cl);
}

/* The second session offering the first's SSL_SESSION is resumed (hnbsim acs --resumption ids, the default); so is a
 * handshake-only connection (acs-load's resumed mode) offering it. */
static void test_resumption(void)
{
    HnbDriveClient *cl = client_for(pki_dir, acs.port);
    HnbDriveSessionSpec spec = {.device = 1};
    Got a, b, c;
    session_run(cl, &spec, &a);
    g_assert_cmpint(a.r.outcome, ==, HNB_DRIVE_OK);
    g_assert_false(a.r.resumed);
    g_assert_nonnull(a.r.session);
    spec.session = a.r.session;
    session_run(cl, &spec, &b);
    g_assert_cmpint(b.r.outcome, ==, HNB_DRIVE_OK);
    g_assert_true(b.r.resumed);
    spec.mode = HNB_DRIVE_HANDSHAKE_WAIT;
    session_run(cl, &spec, &c);
    g_assert_cmpint(c.r.outcome, ==, HNB_DRIVE_OK);
    g_assert_cmpint(c.r.phase, ==, HNB_DRIVE_PHASE_CLOSING);
    g_assert_true(c.r.resumed);
    g_assert_cmpuint(c.r.responses, ==, 0);
    g_assert_cmpuint(lines_with(&acs, 3, "identity=02484E0000000001.", "outcome=ok", NULL), ==, 2);
    g_assert_cmpuint(lines_with(&acs, 0, "identity=02484E0000000001.", "tls_resumed=1", NULL), ==, 2);
    g_assert_cmpuint(lines_with(&acs, 0, "identity=02484E0000000001.", "outcome=ok", "tls_resumed=1", NULL), ==, 1);
    got_clear(&a);
    got_clear(&b);
    got_clear(&c);
    hnb_drive_client_free(cl);
}

/* HNB dev's Inform as one POST for s_client. */
static char *inform_post(int dev)
{
    char oui[7], serial[11];
    hnb_pki_device_id(pki, (uint32_t)dev, oui, serial);
    g_autofree char *body = g_strdup_printf(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\">"
        "<soap:Body><cwmp:Inform><DeviceId><OUI>%s</OUI><SerialNumber>%s</SerialNumber></DeviceId><Event><EventStruct>"
        "<EventCode>2 PERIODIC</EventCode></EventStruct></Event></cwmp:Inform></soap:Body></soap:Envelope>",
        oui, serial);
    return g_strdup_printf("POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
}

/* HNB 0's session held open on s by an s_client, once its InformResponse has come. */
static void hold_session(ChildServer *s, ChildHeld *h)
{
    g_autofree char *root = g_build_filename(pki_dir, "root.pem", NULL), *req = inform_post(0);
    g_autofree char *cert = g_build_filename(pki_dir, "dev0.pem", NULL);
    g_autofree char *key = g_build_filename(pki_dir, "dev0.key", NULL);
    child_held_start(h, scratch, s->port, root, cert, key, req);
    g_free(child_held_wait(h, "InformResponse"));
}

/* Its empty POST: the session ends (204) and the server closes. */
static void release_session(ChildHeld *h)
{
    child_held_send(h, "POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Length: 0\r\n\r\n");
    g_assert_cmpint(child_held_end(h), ==, 0);
}

/* An hnbsim acs with `opts`, HNB 0's session held open on it, and HNB 1's session from the client beside it. */
static void beside_held(const char *const *opts, const char *log_name, ChildServer *s, ChildHeld *h, Got *g)
{
    acs_start(s, opts, log_name);
    hold_session(s, h);
    HnbDriveClient *cl = client_for(pki_dir, s->port);
    HnbDriveSessionSpec spec = {.device = 1};
    session_run(cl, &spec, g);
    hnb_drive_client_free(cl);
}

/* --max-sessions 1 with one session held open by s_client: the client's handshake completes and its Inform gets CWMP
 * fault 8005 in an HTTP 503 with Retry-After. */
static void test_overload(void)
{
    ChildServer s;
    ChildHeld h;
    Got g;
    beside_held((const char *[]){"--max-sessions", "1", "--retry-after", "7", NULL}, "acs-overload.log", &s, &h, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "refused_overload");
    g_assert_cmpuint(g.r.http_status, ==, 503);
    g_assert_cmpint(g.r.cwmp_fault, ==, 8005);
    g_assert_cmpint(g.r.retry_after, ==, 7);
    g_assert_cmpint(g.r.t_handshake, >, 0);
    g_assert_cmpint(g.r.t_first_response, ==, 0);
    got_clear(&g);

    release_session(&h);
    g_assert_cmpuint(lines_with(&s, 2, "identity=02484E0000000001.",
                                "rpcs=- requests=1 outcome=refused reason=overload", NULL), ==, 1);
    g_assert_cmpuint(lines_with(&s, 0, "identity=02484E0000000000.", "rpcs=Inform,empty requests=2 outcome=ok", NULL),
                     ==, 1);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* The HNB's clock decides the H(e)MS certificate's validity: far ahead it has expired, far behind it is not yet
 * valid (the client's own verification, X509_VERIFY_PARAM_set_time). */
static void test_clock(void)
{
    HnbDriveClient *cl = client_for(pki_dir, acs.port);
    HnbDriveSessionSpec spec = {.device = 2, .verify_time = time(NULL) + (time_t)200 * 365 * 86400};
    Got g;
    session_run(cl, &spec, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "hs_failed");
    g_assert_cmpstr(hnb_tls_reason_name(g.r.hs_reason), ==, "expired");
    g_assert_cmpint(g.r.phase, ==, HNB_DRIVE_PHASE_HANDSHAKE);
    g_assert_cmpstr(g.r.detail, !=, "");
    g_assert_cmpint(g.r.t_connected, >, 0);
    g_assert_cmpint(g.r.t_handshake, ==, 0);
    got_clear(&g);
    spec.verify_time = 1000000000; /* 2001 */
    session_run(cl, &spec, &g);
    g_assert_cmpint(g.r.outcome, ==, HNB_DRIVE_HS_FAILED);
    g_assert_cmpstr(hnb_tls_reason_name(g.r.hs_reason), ==, "not_yet_valid");
    got_clear(&g);
    hnb_drive_client_free(cl);
    g_assert_cmpuint(lines_with(&acs, 2, "outcome=refused reason=expired", NULL), ==, 1); /* the client's alert */
    g_assert_cmpuint(lines_with(&acs, 0, "identity=02484E0000000002.", NULL), ==, 0);
}

/* A device certificate from a CA the server does not trust (the export's foreign-dev0 as dev0 of a copy): the
 * server's alert, read by the client as unknown_ca.  Likewise the recovery credential, for now. */
static void test_unknown_ca(void)
{
    g_autofree char *dir = g_build_filename(scratch, "pki-foreign", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    GDir *d = g_dir_open(pki_dir, 0, NULL);
    g_assert_nonnull(d);
    for (const char *name; (name = g_dir_read_name(d));) {
        const char *from = strcmp(name, "dev0.pem") == 0   ? "foreign-dev0.pem"
                           : strcmp(name, "dev0.key") == 0 ? "foreign-dev0.key"
                                                           : name;
        g_autofree char *src = g_build_filename(pki_dir, from, NULL), *dst = g_build_filename(dir, name, NULL);
        g_autofree char *text = NULL;
        gsize len = 0;
        g_assert_true(g_file_get_contents(src, &text, &len, NULL));
        g_assert_true(g_file_set_contents(dst, text, (gssize)len, NULL));
    }
    g_dir_close(d);
    HnbDriveClient *cl = client_for(dir, acs.port);
    HnbDriveSessionSpec spec = {.device = 0};
    Got g;
    session_run(cl, &spec, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "hs_failed");
    g_assert_cmpstr(hnb_tls_reason_name(g.r.hs_reason), ==, "unknown_ca");
    got_clear(&g);
    hnb_drive_client_free(cl);
    g_assert_cmpuint(lines_with(&acs, 1, "outcome=refused reason=unknown_ca", NULL), ==, 1);

    /* a recovery session presents rec-dev0 (read from the export): hnbsim acs trusts only the manufacturer CA so far */
    cl = client_for(pki_dir, acs.port);
    spec.recovery = TRUE;
    session_run(cl, &spec, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "hs_failed");
    g_assert_cmpstr(hnb_tls_reason_name(g.r.hs_reason), ==, "unknown_ca");
    got_clear(&g);
    hnb_drive_client_free(cl);
    g_assert_cmpuint(lines_with(&acs, 1, "outcome=refused reason=unknown_ca", NULL), ==, 2);
}

/* A TCP socket bound to a port of loopback's choosing; *port its number. */
static int bound_socket(char **port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &sl), ==, 0);
    *port = g_strdup_printf("%u", ntohs(sa.sin_port));
    return fd;
}

/* Nobody listens: ECONNREFUSED, reported from the loop. */
static void test_refused_rst(void)
{
    g_autofree char *port = NULL;
    close(bound_socket(&port)); /* bound, never listening, now closed: nothing there */
    HnbDriveClient *cl = client_for(pki_dir, port);
    HnbDriveSessionSpec spec = {.device = 0};
    Got g;
    session_run(cl, &spec, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "refused_rst");
    g_assert_cmpint(g.r.sys_errno, ==, ECONNREFUSED);
    g_assert_cmpint(g.r.phase, ==, HNB_DRIVE_PHASE_CONNECT);
    g_assert_cmpint(g.r.t_connected, ==, 0);
    got_clear(&g);
    hnb_drive_client_free(cl);
}

/* A listener whose accept queue is full (backlog 0, one connection waiting, never accepted) drops the next SYN: with
 * TCP_SYNCNT 1 the connect gives up after the SYN and one retry (1 s + 2 s) with ETIMEDOUT. */
static void test_refused_syn(void)
{
    g_autofree char *port = NULL;
    int lfd = bound_socket(&port);
    g_assert_cmpint(listen(lfd, 0), ==, 0);
    int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    g_assert_cmpint(connect(filler, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    HnbDriveClient *cl = client_with(pki_dir, port, TIMEOUT_S, 1);
    HnbDriveSessionSpec spec = {.device = 0};
    Got g;
    session_run(cl, &spec, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "refused_syn");
    g_assert_cmpint(g.r.sys_errno, ==, ETIMEDOUT);
    g_assert_cmpint(g.r.phase, ==, HNB_DRIVE_PHASE_CONNECT);
    g_assert_cmpint(g.r.t_end - g.r.t_start, >=, (int64_t)2.5e9);
    g_assert_cmpint(g.r.t_end - g.r.t_start, <, (int64_t)(TIMEOUT_S * 1e9));
    got_clear(&g);
    hnb_drive_client_free(cl);
    close(filler);
    close(lfd);
}

/* A server that accepts TCP and never answers the ClientHello: the session's timeout, in the handshake phase. */
static void test_timeout(void)
{
    g_autofree char *port = NULL;
    int lfd = bound_socket(&port);
    g_assert_cmpint(listen(lfd, 4), ==, 0);
    HnbDriveClient *cl = client_with(pki_dir, port, 0.5, 0);
    HnbDriveSessionSpec spec = {.device = 0};
    Got g;
    session_run(cl, &spec, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "timeout");
    g_assert_cmpint(g.r.phase, ==, HNB_DRIVE_PHASE_HANDSHAKE);
    g_assert_cmpint(g.r.t_connected, >, 0);
    g_assert_cmpint(g.r.t_end - g.r.t_start, >=, (int64_t)0.45e9);
    got_clear(&g);
    hnb_drive_client_free(cl);
    close(lfd);
}

/* --max-connections 1 with an s_client's session open on it: the next connection is closed at once, before any
 * answer (refused_closed, in the handshake). */
static void test_refused_closed(void)
{
    ChildServer s;
    ChildHeld h;
    Got g;
    beside_held((const char *[]){"--max-connections", "1", NULL}, "acs-maxconn.log", &s, &h, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "refused_closed");
    g_assert_cmpint(g.r.phase, ==, HNB_DRIVE_PHASE_HANDSHAKE);
    g_assert_cmpuint(g.r.responses, ==, 0);
    got_clear(&g);
    release_session(&h);
    g_assert_cmpuint(lines_with(&s, 2, "reason=max_connections", NULL), ==, 1);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* ---- the campaign: Download, image, manifest, TransferComplete -------------------------------------------------- */

/* An image of IMG_SIZE bytes at `path`; the CommandKey hnbsim acs gives its Download (the first 16 hex digits of its
 * SHA-256). */
static char *make_image(const char *path)
{
    guchar *bytes = g_malloc(IMG_SIZE);
    guint32 x = 2463534242u;
    for (int i = 0; i < IMG_SIZE; i++) { /* xorshift: bytes that do not compress */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes[i] = (guchar)x;
    }
    g_assert_true(g_file_set_contents(path, (const char *)bytes, IMG_SIZE, NULL));
    char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, bytes, IMG_SIZE);
    hex[16] = '\0';
    g_free(bytes);
    return hex;
}

static void campaign_start(ChildServer *s, const char *image, const char *log_name)
{
    acs_start(s, (const char *[]){"--image", image, "--image-version", "2.0", "--golden-version", "golden-0.9", NULL},
              log_name);
}

/* The golden module's boot session brings a Download (read from the server's answer to the empty POST, answered with
 * DownloadResponse); as HNB `dev` it fetches the image. */
static void golden_download(HnbDriveClient *cl, uint32_t dev, const char *command_key, Got *g)
{
    const char *boot[] = {"1 BOOT", NULL};
    HnbDriveSessionSpec spec = {.device = dev, .software_version = "golden-0.9", .events = boot};
    session_run(cl, &spec, g);
    g_assert_cmpint(g->r.outcome, ==, HNB_DRIVE_OK);
    g_assert_true(g->r.download.present);
    g_assert_true(g_str_has_suffix(g->r.download.url, "/images/hnb-2.0.img"));
    g_assert_true(g_str_has_prefix(g->r.download.url, "https://"));
    g_assert_cmpint(g->r.download.file_size, ==, IMG_SIZE);
    g_assert_cmpint(g->r.download.delay_seconds, ==, 0);
    g_assert_cmpstr(g->r.download.command_key, ==, command_key);
    g_assert_cmpuint(g->r.responses, ==, 3);
}

/* The report of the transfer in the next session: Inform with 7 TRANSFER COMPLETE, TransferComplete, empty POST. */
static void transfer_complete(HnbDriveClient *cl, uint32_t dev, const char *command_key, int fault, const char *version)
{
    const char *events[] = {"1 BOOT", "M Download", "7 TRANSFER COMPLETE", NULL};
    HnbDriveTransfer tr = {.command_key = command_key, .fault_code = fault};
    HnbDriveSessionSpec spec = {.device = dev, .software_version = version, .events = events, .transfer = &tr};
    Got g;
    session_run(cl, &spec, &g);
    g_assert_cmpint(g.r.outcome, ==, HNB_DRIVE_OK);
    g_assert_cmpuint(g.r.responses, >=, 3);
    got_clear(&g);
}

/* Golden → Download → the image fetched at a capped rate → the manifest verifies → TransferComplete (fault 0) from
 * the new version, and no further Download. */
static void test_download(void)
{
    g_autofree char *img = g_build_filename(scratch, "hnb-2.0.img", NULL), *key = make_image(img);
    ChildServer s;
    campaign_start(&s, img, "acs-campaign.log");
    HnbDriveClient *cl = client_for(pki_dir, s.port);
    Got g;
    golden_download(cl, 0, key, &g);
    g_assert_cmpuint(lines_with(&s, 1, "rpcs=Inform,empty,acs:Download,DownloadResponse requests=3 outcome=ok",
                                "cookie=echoed", "download=status:1", NULL), ==, 1);

    GotImage im;
    double cap = 1e6; /* 300 kB at 1 MB/s: >= 0.28 s after the first 16 KiB burst */
    image_run(cl, 0, &g.r.download, cap, &im);
    g_assert_cmpstr(hnb_drive_image_outcome_name(im.r.outcome), ==, "ok");
    g_assert_cmpuint(im.r.bytes, ==, IMG_SIZE);
    g_assert_cmpint(im.r.expected_size, ==, IMG_SIZE);
    g_assert_cmpuint(im.r.http_status, ==, 200);
    g_assert_cmpint(im.r.t_start, <, im.r.t_first_byte);
    g_assert_cmpint(im.r.t_first_byte, <, im.r.t_image_done);
    g_assert_cmpint(im.r.t_image_done, <=, im.r.t_end);
    g_assert_cmpint(im.r.t_image_done - im.r.t_first_byte, >=, (int64_t)((IMG_SIZE - 16384 * 2) / cap * 1e9));
    g_assert_cmpuint(lines_with(&s, 2, "outcome=served images=200 bytes=300000", NULL), ==, 1);
    g_assert_cmpuint(lines_with(&s, 0, "outcome=served images=200 bytes=0 tls_resumed=1", NULL), ==, 1);
    got_clear(&g);

    transfer_complete(cl, 0, key, 0, "2.0");
    g_assert_cmpuint(lines_with(&s, 1, "rpcs=Inform,TransferComplete,empty requests=3 outcome=ok", "transfer=ok",
                                NULL), ==, 1);
    hnb_drive_client_free(cl);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* The served file changes after the server signed its manifest at start: the bytes fetched fail the manifest's
 * digest (bad_manifest, detail "corrupted"), reported as TransferComplete 9017. */
static void test_corrupted(void)
{
    g_autofree char *dir = g_build_filename(scratch, "corrupt", NULL);
    g_autofree char *img = g_build_filename(dir, "hnb-2.0.img", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_autofree char *key = make_image(img);
    ChildServer s;
    campaign_start(&s, img, "acs-corrupted.log");
    int fd = open(img, O_RDWR);
    g_assert_cmpint(fd, >=, 0);
    char b;
    g_assert_cmpint(pread(fd, &b, 1, 12345), ==, 1);
    b ^= 0x20;
    g_assert_cmpint(pwrite(fd, &b, 1, 12345), ==, 1); /* the same inode the server reads from */
    close(fd);

    HnbDriveClient *cl = client_for(pki_dir, s.port);
    Got g;
    golden_download(cl, 1, key, &g);
    GotImage im;
    image_run(cl, 1, &g.r.download, 0, &im);
    g_assert_cmpstr(hnb_drive_image_outcome_name(im.r.outcome), ==, "bad_manifest");
    g_assert_cmpstr(im.r.detail, ==, "corrupted");
    g_assert_cmpuint(im.r.bytes, ==, IMG_SIZE);
    got_clear(&g);
    transfer_complete(cl, 1, key, 9017, "golden-0.9");
    hnb_drive_client_free(cl);
    g_assert_cmpuint(lines_with(&s, 4, "rpcs=Inform,TransferComplete,empty", "transfer=fault:9017", NULL), ==, 1);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* A credential the export does not hold: error, from the loop, before any socket. */
static void test_missing_credential(void)
{
    HnbDriveClient *cl = client_for(pki_dir, acs.port);
    HnbDriveSessionSpec spec = {.device = 99}; /* the export holds dev0..dev2 */
    Got g;
    session_run(cl, &spec, &g);
    g_assert_cmpstr(hnb_drive_outcome_name(g.r.outcome), ==, "error");
    assert_has(g.r.detail, "dev99.pem");
    g_assert_cmpint(g.r.t_connected, ==, 0);
    got_clear(&g);
    hnb_drive_client_free(cl);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("HNBSIM")) {
        g_printerr("HNBSIM must name the hnbsim binary (meson test sets it)\n");
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    scratch = g_dir_make_tmp("hnbsim-drive-client-XXXXXX", NULL);
    pki_dir = g_build_filename(scratch, "pki", NULL);
    run_ok((const char *[]){g_getenv("HNBSIM"), "pki", "--out", pki_dir, "--hnb", "3", NULL});
    GError *error = NULL;
    pki = hnb_pki_open_export(pki_dir, &error);
    g_assert_no_error(error);
    loop = ev_loop_new(EVFLAG_AUTO);
    acs_start(&acs, (const char *[]){NULL}, "acs.log");

    g_test_add_func("/drive-client/ok", test_ok);
    g_test_add_func("/drive-client/resumption", test_resumption);
    g_test_add_func("/drive-client/overload-8005", test_overload);
    g_test_add_func("/drive-client/clock-expired", test_clock);
    g_test_add_func("/drive-client/unknown-ca", test_unknown_ca);
    g_test_add_func("/drive-client/refused-rst", test_refused_rst);
    g_test_add_func("/drive-client/refused-syn", test_refused_syn);
    g_test_add_func("/drive-client/timeout", test_timeout);
    g_test_add_func("/drive-client/refused-closed", test_refused_closed);
    g_test_add_func("/drive-client/missing-credential", test_missing_credential);
    g_test_add_func("/drive-client/download", test_download);
    g_test_add_func("/drive-client/corrupted", test_corrupted);
    int rc = g_test_run();

    child_server_stop(&acs);
    ev_loop_destroy(loop);
    hnb_pki_free(pki);
    if (rc == 0) {
        g_autofree char *quoted = g_shell_quote(scratch);
        g_autofree char *cmd = g_strdup_printf("rm -rf %s", quoted);
        if (system(cmd) != 0)
            g_printerr("could not remove %s\n", scratch);
    }
    g_free(pki_dir);
    g_free(scratch);
    return rc;
}
