/* tools/acs/acs_cwmp.h — the ACS's side of a CWMP session (TR-069 Amendment 6): one answer per CPE request.
 *
 * The CPE opens the session with an Inform; the ACS answers each POST in the HTTP response:
 *
 *   Inform            → InformResponse (MaxEnvelopes 1), after the identity check below
 *   GetRPCMethods     → GetRPCMethodsResponse: the methods this ACS answers (Inform, GetRPCMethods, TransferComplete)
 *   TransferComplete  → TransferCompleteResponse
 *   empty POST        → HTTP 204: the ACS has nothing to ask, the session ends (§3.7.2.4)
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
 * Refusals of the envelope itself (not well-formed XML, a DOCTYPE, limits, not SOAP) are SOAP Faults with the
 * faultcode and CWMP code acs_soap.h chose, and end the session: never an InformResponse.
 */
#ifndef HNB_ACS_CWMP_H
#define HNB_ACS_CWMP_H

#include "tools/acs/acs_soap.h"

#include <glib.h>

/* Does the DeviceId (OUI, SerialNumber) name the device the session authenticated?  TRUE if so; FALSE with *why
 * (newly allocated words for the log) if not. */
typedef gboolean (*HnbAcsCwmpAuthorize)(const char *oui, const char *serial, void *user_data, char **why);

/* One CWMP session (today: one TLS connection).  Embedded: _init/_clear. */
typedef struct {
    HnbAcsCwmpAuthorize authorize;
    void *user_data;
    HnbAcsSoapLimits limits;
    gboolean informed;  /* an Inform was accepted */
    GString *rpcs;      /* the CPE's requests so far, comma-separated ("Inform,GetRPCMethods,empty"), for the log */
} HnbAcsCwmpSession;

/* The answer to one request. */
typedef struct {
    int status;           /* HTTP status: 200, 204 or 500 */
    GString *body;        /* the SOAP envelope; empty for 204 */
    gboolean end;         /* the session is over: close the connection once the answer is sent */
    const char *outcome;  /* for the log: "informed", "ok", "rejected", "fault" (static); NULL leaves it as it was */
    char *reason;         /* for the log: reason code and words, or NULL */
} HnbAcsCwmpReply;

void hnb_acs_cwmp_session_init(HnbAcsCwmpSession *s, const HnbAcsSoapLimits *limits, HnbAcsCwmpAuthorize authorize,
                               void *user_data);
void hnb_acs_cwmp_session_clear(HnbAcsCwmpSession *s);

/* Answer one POST body (len 0 or only whitespace: the empty POST).  *reply is overwritten: clear it after. */
void hnb_acs_cwmp_answer(HnbAcsCwmpSession *s, const char *body, size_t len, HnbAcsCwmpReply *reply);
void hnb_acs_cwmp_reply_clear(HnbAcsCwmpReply *reply);

/* The methods this ACS answers, as GetRPCMethodsResponse lists them; NULL-terminated. */
extern const char *const hnb_acs_cwmp_methods[];

#endif
