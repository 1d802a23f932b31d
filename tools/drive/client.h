/* tools/drive/client.h — one HNB's real connections to a real H(e)MS: the CWMP session and the image fetch of
 * `hnbsim drive` (docs/DESIGN.md, "`hnbsim drive` and the validation study", parts 2 and 3), and the connections of
 * `acs-load` (tools/bench/acs_load.c).
 *
 * A session is a non-blocking TCP connect to the configured address, a TLS handshake under the TS 33.320 §8.3.4
 * client profile (crypto/tls.h: hnb_tls_client_ctx_new, hnb_tls_client_setup with the device's credential and the
 * H(e)MS name), then the CWMP exchange of TR-069 Amendment 6: Inform → InformResponse (its session cookie returned on
 * every later POST, §3.4.1) → TransferComplete → TransferCompleteResponse when the Inform reports "7 TRANSFER
 * COMPLETE" → empty POST → 204, or a Download (A.3.2.8; its URL, FileSize, DelaySeconds and CommandKey kept) answered
 * by DownloadResponse Status 1 → 204.  Responses are read with http-parser and their SOAP with the server's own
 * libxml2 reader (tools/acs/acs_soap.h: no DTD, no network, size and depth limits).  An image fetch is a GET of the
 * Download's URL on a new connection with the device's credential, read through a token bucket, and a GET of
 * URL.manifest, verified with the PKI's signing certificate over the SHA-256 of the bytes received (crypto/image.h).
 *
 * Why a library: the drive's H(e)MS implementation (tools/drive/hems_drive.c, to come) and the benchmark client share
 * one state machine, so what the benchmark measures is what the drive does.
 *
 * Invariants:
 *   - Everything runs on the caller's libev loop and never blocks: connect, handshake, reads and writes wait for
 *     their socket.  A start never reports inside its own call: even a synchronous failure (EMFILE, ECONNREFUSED, an
 *     unreadable credential) reaches the callback from the loop, so a caller may start the next session from the
 *     callback without recursion.
 *   - Each started session or fetch calls its callback exactly once, unless cancelled first (then never).  The handle
 *     is dead once its callback has been called or it was cancelled.
 *   - Bounded memory: a response body is kept up to HNB_DRIVE_BODY_MAX bytes (beyond: bad_response); image bytes are
 *     hashed, not kept.  Device credentials are read from the PKI directory when a session needs them (dev<i>, or
 *     rec-dev<i> for a recovery session) and kept in a small LRU cache of cred_cache entries: idle devices cost
 *     nothing.  SSL objects take their own references to what they use, so eviction never pulls a credential from
 *     under a connection.
 *   - Times are CLOCK_MONOTONIC ns read in the callback that sees the event; never ev_now() (the realtime clock).
 *   - A write to a connection the server closed raises SIGPIPE: the process must ignore it (acs-load, the drive and
 *     the tests do).
 * Single-threaded, like the loop.
 */
#ifndef HNB_DRIVE_CLIENT_H
#define HNB_DRIVE_CLIENT_H

#include <ev.h>
#include <glib.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <openssl/ssl.h>
#include "crypto/tls.h"

#define HNB_DRIVE_BODY_MAX 65536 /* bytes of one response body a session keeps */
#define HNB_DRIVE_MAX_EVENTS 16  /* event codes of one Inform */
#define HNB_DRIVE_MAX_TRIPS 4    /* CWMP round trips of a session: Inform, TransferComplete, empty POST, DownloadResponse */

typedef struct HnbDriveClient HnbDriveClient;
typedef struct HnbDriveSession HnbDriveSession;
typedef struct HnbDriveImage HnbDriveImage;

typedef struct {
    struct sockaddr_storage addr; /* the resolved target: connected to as is, never re-resolved */
    socklen_t addr_len;
    const char *host;          /* the H(e)MS name checked in its certificate and sent as SNI; NULL: PKI's hems_fqdn */
    const char *pki_dir;       /* a `hnbsim pki --out DIR` export */
    double timeout;            /* s: a session's whole life from connect(), an image fetch's longest wait for a byte */
    int syn_retries;           /* TCP_SYNCNT on each socket; 0: the kernel's default */
    HnbTlsResumption resumption; /* the client context's: NONE takes no tickets (session IDs are still offered) */
    guint cred_cache;          /* credentials kept in memory; 0: 64 */
    const char *manufacturer, *product_class; /* the Inform's DeviceId; NULL: "hnbsim", "HNB" */
} HnbDriveClientConfig;

/* A client for one target and PKI on `loop`: the PKI's CAs are read (the operator root to verify the H(e)MS, the
 * signing certificate for manifests), the §8.3.4 client context built.  NULL with an error (HNB_ERROR_INPUT for a
 * bad directory or config) otherwise.  Copies what it keeps of cfg. */
HnbDriveClient *hnb_drive_client_new(struct ev_loop *loop, const HnbDriveClientConfig *cfg, GError **error);
/* Cancels every session and fetch still under way (no callbacks), then frees.  Not from inside a callback. */
void hnb_drive_client_free(HnbDriveClient *client);

/* CLOCK_MONOTONIC now, ns: the clock of every time in a result. */
int64_t hnb_drive_mono_ns(void);

/* ---- the CWMP session -------------------------------------------------------------------------------------------- */

typedef enum {
    HNB_DRIVE_OK,               /* ended with the ACS's final 204 */
    HNB_DRIVE_REFUSED_OVERLOAD, /* CWMP fault 8005 or HTTP 503 after the handshake (retry_after kept) */
    HNB_DRIVE_REFUSED_SYN,      /* connect ETIMEDOUT: every SYN went unanswered (TCP_SYNCNT retries) */
    HNB_DRIVE_REFUSED_RST,      /* connect ECONNREFUSED */
    HNB_DRIVE_REFUSED_CLOSED,   /* EOF or reset before any answer: during the handshake or before the first response */
    HNB_DRIVE_HS_FAILED,        /* the handshake failed: hs_reason says why (our verification or the server's alert) */
    HNB_DRIVE_TIMEOUT,          /* the session's timeout ran out (phase says where) */
    HNB_DRIVE_CUT,              /* EOF or reset after an answer, before the session's end */
    HNB_DRIVE_BAD_RESPONSE,     /* not HTTP, an unexpected status or RPC, a body over HNB_DRIVE_BODY_MAX */
    HNB_DRIVE_ERROR,            /* a local failure: socket() (EMFILE), another connect errno, a missing credential */
    HNB_DRIVE_OUTCOME_COUNT
} HnbDriveOutcome;

/* "ok" "refused_overload" "refused_syn" "refused_rst" "refused_closed" "hs_failed" "timeout" "cut" "bad_response"
 * "error" (DESIGN part 3's names). */
const char *hnb_drive_outcome_name(HnbDriveOutcome o);

typedef enum {
    HNB_DRIVE_PHASE_CONNECT,   /* waiting for the TCP connect */
    HNB_DRIVE_PHASE_HANDSHAKE, /* TLS */
    HNB_DRIVE_PHASE_EXCHANGE,  /* requests and responses */
    HNB_DRIVE_PHASE_CLOSING,   /* handshake-only, wait_close: our close_notify sent, waiting for the server's close */
} HnbDrivePhase;

typedef enum {
    HNB_DRIVE_CWMP,            /* the whole CWMP session */
    HNB_DRIVE_HANDSHAKE,       /* the handshake only, then our close_notify and close */
    HNB_DRIVE_HANDSHAKE_WAIT,  /* the same, then wait for the server's close (it has read our Finished) */
} HnbDriveMode;

/* What the HNB reports in a TransferComplete (A.3.3.2) after its InformResponse. */
typedef struct {
    const char *command_key; /* the Download's CommandKey */
    int fault_code;          /* 0 success, 9010 download failure, 9017 file corrupted, ... */
} HnbDriveTransfer;

typedef struct {
    uint32_t device;         /* dev<device> (or rec-dev<device>) and its DeviceId */
    gboolean recovery;       /* present the golden module's recovery credential */
    HnbDriveMode mode;
    SSL_SESSION *session;    /* offered for resumption (NULL: none); not consumed */
    const char *software_version; /* Device.DeviceInfo.SoftwareVersion in the ParameterList; NULL: no ParameterList */
    const char *const *events;    /* event codes, NULL-terminated ("1 BOOT", "2 PERIODIC", "7 TRANSFER COMPLETE", "M
                                   * Download", ...); NULL: "2 PERIODIC" alone; at most HNB_DRIVE_MAX_EVENTS */
    const HnbDriveTransfer *transfer; /* sent when events hold "7 TRANSFER COMPLETE"; NULL: fault 0, empty key */
    time_t verify_time;      /* the HNB's clock for checking the H(e)MS certificate (X509_VERIFY_PARAM_set_time); 0:
                              * now */
    /* An emulated WAN (`hnbsim drive --wan`): round trip k's time in seconds (0: none), half waited before its
     * request (the request's flight) and half after its response (the response's), so the server holds the session
     * from its Inform to its last response for the sum less half the first and half the last, as across a real WAN.
     * The connection stays open through the waits (the last half after it is closed). */
    double wan_rtt[HNB_DRIVE_MAX_TRIPS];
} HnbDriveSessionSpec;

typedef struct {
    gboolean present;
    char *url, *command_key; /* NULL when the Download lacked them */
    int64_t file_size;       /* -1 absent or not an integer */
    int delay_seconds;       /* -1 likewise */
} HnbDriveDownload;

typedef struct {
    HnbDriveOutcome outcome;
    HnbDrivePhase phase;      /* the phase the session ended in */
    HnbTlsReason hs_reason;   /* HS_FAILED: the core's reason (hnb_tls_reason_name); else HNB_TLS_OK */
    char detail[200];         /* OpenSSL's or the system's words ("socket(): ...", "connect(): ..." for those calls),
                               * the unexpected status or RPC; "" when ok */
    int sys_errno;            /* REFUSED_SYN/RST, ERROR, CUT by a reset: the errno; else 0 */
    unsigned http_status;     /* the last response's status; 0 before any */
    int cwmp_fault;           /* the FaultCode of a CWMP Fault received (8005, ...); 0 none */
    int retry_after;          /* REFUSED_OVERLOAD: Retry-After in seconds; -1 absent */
    unsigned responses;       /* complete HTTP responses read */
    gboolean cookie;          /* the InformResponse set a cookie, and every later POST returned it */
    gboolean resumed;         /* SSL_session_reused */
    SSL_SESSION *session;     /* the session after the handshake (SSL_get1_session), NULL before it: the callback may
                               * take it (and set this NULL); else it is freed when the callback returns */
    HnbDriveDownload download;
    /* CLOCK_MONOTONIC ns; 0 when not reached: before connect(); TCP connected (writable, SO_ERROR 0); SSL_connect
     * returned 1; the InformResponse complete; the end (the close after the last 204, or the failure) */
    int64_t t_start, t_connected, t_handshake, t_first_response, t_end;
} HnbDriveResult;

/* Called once at the session's end.  The result and its strings live until the callback returns, except `session`
 * when the callback takes it.  The callback may start sessions and cancel others. */
typedef void (*HnbDriveSessionDone)(HnbDriveSession *session, HnbDriveResult *result, void *user_data);

/* Start a session as the spec says (copied: its strings may go after the call).  Never NULL; every failure reaches
 * the callback from the loop. */
HnbDriveSession *hnb_drive_session_start(HnbDriveClient *client, const HnbDriveSessionSpec *spec,
                                         HnbDriveSessionDone done, void *user_data);
/* End a session under way at once: its connection closed without close_notify, no callback. */
void hnb_drive_session_cancel(HnbDriveSession *session);
/* The phase a session under way is in (acs-load's deadline cancels those still connecting). */
HnbDrivePhase hnb_drive_session_phase(const HnbDriveSession *session);

/* ---- the image fetch --------------------------------------------------------------------------------------------- */

typedef enum {
    HNB_DRIVE_IMAGE_OK,           /* every byte, and the manifest verifies over their SHA-256 */
    HNB_DRIVE_IMAGE_CUT,          /* the connection was lost or went quiet for the timeout: bytes so far */
    HNB_DRIVE_IMAGE_REFUSED,      /* HTTP 503 (retry_after kept) */
    HNB_DRIVE_IMAGE_BAD_MANIFEST, /* the manifest is unreadable, or its signature or digest fails (the 9017 case) */
    HNB_DRIVE_IMAGE_HS_FAILED,    /* a handshake failed (hs_reason) */
    HNB_DRIVE_IMAGE_BAD_RESPONSE, /* not HTTP, another status, a URL that is not https://HOST/PATH */
    HNB_DRIVE_IMAGE_ERROR,        /* a local failure, as HNB_DRIVE_ERROR */
    HNB_DRIVE_IMAGE_OUTCOME_COUNT
} HnbDriveImageOutcome;

/* "ok" "cut" "refused" "bad_manifest" "hs_failed" "bad_response" "error" */
const char *hnb_drive_image_outcome_name(HnbDriveImageOutcome o);

typedef struct {
    HnbDriveImageOutcome outcome;
    HnbTlsReason hs_reason;
    char detail[200];          /* BAD_MANIFEST: crypto/image.h's reason name ("corrupted", "bad_signature", ...) */
    unsigned http_status;
    int retry_after;           /* REFUSED: Retry-After seconds, -1 absent */
    uint64_t bytes;            /* image bytes received */
    int64_t expected_size;     /* as given to hnb_drive_image_start: the Download's FileSize, for the caller's report */
    /* CLOCK_MONOTONIC ns: before the image's connect(); its first body byte (0: none); its last; the end */
    int64_t t_start, t_first_byte, t_image_done, t_end;
} HnbDriveImageResult;

typedef void (*HnbDriveImageDone)(HnbDriveImage *image, const HnbDriveImageResult *result, void *user_data);

/* Fetch `url` (https://HOST[:PORT]/PATH, from a Download; the connection goes to the client's address whatever HOST
 * says) with device `device`'s credential (`recovery`: rec-dev<device>), reading at most cap_bytes_per_s (a token
 * bucket on reads, bursts of at most 16 KiB; 0: no cap), then URL.manifest on a new connection offering the first's
 * TLS session, and verify.  expected_size (-1: unknown) is only carried to the result: the manifest decides.  Never
 * NULL; the callback is called once, from the loop. */
HnbDriveImage *hnb_drive_image_start(HnbDriveClient *client, uint32_t device, gboolean recovery, const char *url,
                                     int64_t expected_size, double cap_bytes_per_s, HnbDriveImageDone done,
                                     void *user_data);
void hnb_drive_image_cancel(HnbDriveImage *image);

#endif
