/* tools/acs/acs_cwmp.h — the ACS's side of a CWMP session (TR-069 Amendment 6): one answer per CPE request.
 *
 * The CPE opens the session with an Inform; the ACS answers each POST in the HTTP response:
 *
 *   Inform            → InformResponse (MaxEnvelopes 1), after the identity check below
 *   GetRPCMethods     → GetRPCMethodsResponse: the methods this ACS answers (Inform, GetRPCMethods, TransferComplete)
 *   TransferComplete  → TransferCompleteResponse; its FaultStruct is logged (transfer=ok, transfer=fault:9010)
 *   empty POST        → the ACS's request, if it has one: a Download (A.3.2.8) when the Inform showed a
 *                       SoftwareVersion other than the published image's; else HTTP 204: the session ends (§3.7.2.4)
 *   DownloadResponse  → HTTP 204 (the ACS has nothing more to ask); its Status is logged (download=status:1)
 *   SOAP Fault        → (the CPE refusing the Download) HTTP 204; its CWMP fault code is logged (download=fault:9010)
 *   any other RPC     → SOAP Fault, CWMP fault 8000 (Method not supported); the session goes on
 *
 * Every answer echoes the request's cwmp:ID header (mustUnderstand="1") and speaks the CWMP namespace version the
 * CPE used.  A SOAP Fault travels with HTTP 500 (SOAP 1.1 §6.2), CWMP fault codes in its detail (TR-069 A.5).
 *
 * Identity.  The HNB is who its TLS certificate says; the Inform's DeviceId (OUI, SerialNumber: the elements of the
 * parsed envelope, acs_soap.h) must name the same device, which the session's `authorize` callback decides (in
 * `hnbsim acs` the core's rule, hnb_tls_authorize).  An Inform without a DeviceId, OUI or SerialNumber is refused
 * (8003), one naming another device is denied (8001); both end the session.  Before an accepted Inform, every RPC
 * is denied (8001): TR-069 §3.7.1.1 has the CPE inform first in every session.
 *
 * Session cookie (§3.4.1).  The InformResponse sets a cookie (hnbsim-session=<128-bit hex>; Secure; HttpOnly); the CPE
 * returns it on the session's later POSTs.  A request carrying a different hnbsim-session value is denied (8001, the
 * session ends); one carrying none is answered and logged (cookie=missing): within one TLS connection the client
 * certificate already names the device, so the cookie identifies the session, not the CPE.  A session can span TCP
 * connections (§3.4.1): the loop parks an informed session whose connection the CPE cut and hands it, by its cookie,
 * to the next connection of the same certificate identity (acs_loop.h, --session-linger); this layer only sees the
 * same HnbAcsCwmpSession answer the next request, its `user_data` pointed at the new connection.
 *
 * Download.  Only when an image is published (HnbAcsCwmpImage) and the Inform's ParameterList names a SoftwareVersion
 * (InternetGatewayDevice.DeviceInfo.SoftwareVersion or Device.DeviceInfo.SoftwareVersion) other than its version: an
 * Inform without a SoftwareVersion gets no Download.  One Download per session.  Without a campaign a CPE whose
 * transfer failed gets another at every Inform that still shows the old version, with DelaySeconds 0.  With a
 * campaign (hnb_acs_cwmp_session_set_campaign, acs_campaign.h, keyed by the DeviceId "OUI-SERIAL" the certificate
 * vouched for): the campaign decides (golden, other, published; at most max_attempts Downloads, then no offer and
 * download=gave_up in the log), the DelaySeconds is the campaign's staggering, each TransferComplete's FaultCode is
 * recorded for the device, and an Inform announcing "7 TRANSFER COMPLETE" gets no Download until its session's
 * TransferComplete has arrived (download=awaiting_transfer_complete).
 *
 * HoldRequests (A.4.1, a header only the ACS sends, mustUnderstand="1"): the Download envelope carries
 * cwmp:HoldRequests true, so the CPE's next POST is its DownloadResponse and none of its own requests: the ACS then
 * ends the session with 204 knowing the Download's fate.  Every other answer omits the header, which means false.
 *
 * Refusals of the envelope itself (not well-formed XML, a DOCTYPE, limits, not SOAP) are SOAP Faults with the
 * faultcode and CWMP code acs_soap.h chose, and end the session: never an InformResponse.
 */
#ifndef HNB_ACS_CWMP_H
#define HNB_ACS_CWMP_H

#include "tools/acs/acs_campaign.h"
#include "tools/acs/acs_soap.h"

#include <glib.h>

/* Does the DeviceId (OUI, SerialNumber) name the device the session authenticated?  TRUE if so; FALSE with *why
 * (newly allocated words for the log) if not. */
typedef gboolean (*HnbAcsCwmpAuthorize)(const char *oui, const char *serial, void *user_data, char **why);

/* The published image (owned by the caller, alive as long as the sessions). */
typedef struct {
    const char *name;         /* served at /images/NAME, the Download's TargetFileName */
    const char *version;      /* the SoftwareVersion the image carries */
    guint64 size;             /* FileSize, bytes */
    const char *command_key;  /* the Download's CommandKey (at most 32 characters) */
    const char *default_host; /* HOST:PORT for the URL when the request has no usable Host header */
} HnbAcsCwmpImage;

/* What the request's HTTP header says that the session uses (NULL: absent). */
typedef struct {
    const char *host;   /* Host */
    const char *cookie; /* Cookie */
} HnbAcsCwmpRequestInfo;

#define HNB_ACS_COOKIE_NAME "hnbsim-session"

/* One CWMP session (one TLS connection, or several when the loop resumes it by its cookie).  Embedded: _init/_clear;
 * a plain struct copy moves it (the copy owns what it points to; the source is then only memset to 0). */
typedef struct {
    HnbAcsCwmpAuthorize authorize;
    void *user_data;
    HnbAcsSoapLimits limits;
    const HnbAcsCwmpImage *image; /* NULL: nothing published, no Download */
    gboolean informed;  /* an Inform was accepted */
    gboolean ended;     /* an answer ended the session (HnbAcsCwmpReply.end): nothing left to resume */
    GString *rpcs;      /* the CPE's requests so far, comma-separated ("Inform,GetRPCMethods,empty"), for the log */
    char cookie[33];    /* the session id the InformResponse sets (hex) */
    gboolean cookie_set;                /* sent in a Set-Cookie */
    const char *cookie_log;             /* "echoed", "missing" (static), NULL before a request after the Inform */
    char *cwmp_ns;                      /* the Inform's CWMP namespace, for the ACS's requests */
    gboolean download_due;              /* the Inform showed another SoftwareVersion */
    gboolean download_pending;          /* a Download was sent, its response not yet received */
    unsigned acs_requests;              /* for the ACS's cwmp:ID */
    char *download, *transfer;          /* for the log: "sent", "status:1", "fault:9010", "gave_up"; "ok", "fault:9010" */
    HnbAcsCampaign *campaign;           /* NULL: none (every old-version Inform gets a Download, DelaySeconds 0) */
    char *device;                       /* "OUI-SERIAL" of the accepted Inform, upper case */
    gboolean tc_announced, tc_received; /* the Inform said "7 TRANSFER COMPLETE"; the TransferComplete came */
    char *campaign_log;                 /* for the log: "runs=golden attempt=1/3 delay=10", or NULL */
} HnbAcsCwmpSession;

/* The answer to one request. */
typedef struct {
    int status;           /* HTTP status: 200, 204 or 500 */
    GString *body;        /* the SOAP envelope; empty for 204 */
    gboolean end;         /* the session is over: close the connection once the answer is sent */
    const char *outcome;  /* for the log: "informed", "ok", "rejected", "fault" (static); NULL leaves it as it was */
    char *reason;         /* for the log: reason code and words, or NULL */
    char *headers;        /* extra HTTP header lines, each ending in CRLF (Set-Cookie), or NULL */
    char rpc[24];         /* for the metrics: the CPE's request as the log names it ("Inform", "empty"), cut */
    gboolean download_sent; /* for the metrics: this answer is the ACS's Download */
} HnbAcsCwmpReply;

void hnb_acs_cwmp_session_init(HnbAcsCwmpSession *s, const HnbAcsSoapLimits *limits, HnbAcsCwmpAuthorize authorize,
                               void *user_data);
void hnb_acs_cwmp_session_clear(HnbAcsCwmpSession *s);
/* Publish `image` (NULL: none) to this session, before its Inform. */
void hnb_acs_cwmp_session_set_image(HnbAcsCwmpSession *s, const HnbAcsCwmpImage *image);
/* Let `campaign` (shared, owned by the caller, NULL: none) decide this session's Download, before its Inform. */
void hnb_acs_cwmp_session_set_campaign(HnbAcsCwmpSession *s, HnbAcsCampaign *campaign);
/* The session id for the cookie: 32 hex digits from the caller's random source (init picks one from GLib's generator,
 * which is not a cryptographic one). */
void hnb_acs_cwmp_session_set_cookie(HnbAcsCwmpSession *s, const char *hex32);

/* Answer one POST body (len 0 or only whitespace: the empty POST).  *reply is overwritten: clear it after. */
void hnb_acs_cwmp_answer(HnbAcsCwmpSession *s, const char *body, size_t len, HnbAcsCwmpReply *reply);
/* The same with what the HTTP header said (info NULL: nothing). */
void hnb_acs_cwmp_answer_request(HnbAcsCwmpSession *s, const char *body, size_t len, const HnbAcsCwmpRequestInfo *info,
                                 HnbAcsCwmpReply *reply);
void hnb_acs_cwmp_reply_clear(HnbAcsCwmpReply *reply);

/* Overload (the ACS has --max-sessions open): the answer to a new connection's first POST is CWMP fault 8005 (Retry
 * request, an ACS fault code of TR-069 Amendment 6 A.5: the ACS may send it with HTTP 503 when it cannot take the session now), status
 * 503, a `Retry-After: retry_after` header (seconds), and the end of the connection.  The body is parsed only to echo
 * its cwmp:ID and namespace (none if it is empty or not a valid envelope); no session state is touched. */
void hnb_acs_cwmp_answer_overload(const char *body, size_t len, const HnbAcsSoapLimits *limits, guint retry_after,
                                  HnbAcsCwmpReply *reply);

/* A new connection's first POST carries the cookie of a session parked by another certificate identity (acs_loop.h):
 * CWMP fault 8001 (Request denied) with HTTP 500 and the end of the connection; like the overload answer, the body
 * only lends its cwmp:ID and namespace, no session state is touched (the parked session stays its owner's). */
void hnb_acs_cwmp_answer_foreign_cookie(const char *body, size_t len, const HnbAcsSoapLimits *limits,
                                        HnbAcsCwmpReply *reply);

/* The value of hnbsim-session in a Cookie header (RFC 6265 §4.2.1: name=value pairs separated by "; "), newly
 * allocated, or NULL (no header, no such pair). */
char *hnb_acs_cwmp_cookie_value(const char *header);

/* The methods this ACS answers, as GetRPCMethodsResponse lists them; NULL-terminated. */
extern const char *const hnb_acs_cwmp_methods[];

#endif
