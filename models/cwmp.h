/* models/cwmp.h — TR-069 (CWMP) as the HNB and the ACS speak it: event codes, the session's message exchange, and
 * the Session Retry Policy.  Pure functions: no kernel, no state beyond what the caller passes.
 *
 * Session (TR-069 §3.7): the CPE opens every session.  Inform → InformResponse → [TransferComplete → Response] →
 * empty POST → ACS RPCs (Download, Reboot, ...) each answered in the CPE's next POST → empty HTTP response ends it.
 * Reboot and firmware apply run only after the session ends.  Event codes "7 TRANSFER COMPLETE" and "M Download" stay
 * set until the TransferCompleteResponse.
 */
#ifndef HNB_CWMP_H
#define HNB_CWMP_H

#include <glib.h>
#include <stdint.h>
#include "sim/rng.h"
#include "sim/time.h"

/* Inform event codes as a bit set (fits the HNB's compact state). */
enum {
    HNB_CWMP_EV_BOOTSTRAP = 1u << 0,         /* "0 BOOTSTRAP" */
    HNB_CWMP_EV_BOOT = 1u << 1,              /* "1 BOOT" */
    HNB_CWMP_EV_PERIODIC = 1u << 2,          /* "2 PERIODIC" */
    HNB_CWMP_EV_TRANSFER_COMPLETE = 1u << 3, /* "7 TRANSFER COMPLETE" */
    HNB_CWMP_EV_M_DOWNLOAD = 1u << 4,        /* "M Download" */
    HNB_CWMP_EV_M_REBOOT = 1u << 5,          /* "M Reboot" */
    HNB_CWMP_EV_CONNECTION_REQUEST = 1u << 6, /* "6 CONNECTION REQUEST": the H(e)MS woke it (TR-069 3.2.2) */
};

/* "0 BOOTSTRAP,1 BOOT,..." in TR-069 order (Table 7: the digit codes, then "M Reboot" before "M Download"), comma
 * separated without spaces, into buf (>= 96 bytes); "" for no event; returns buf. */
char *hnb_cwmp_events_format(unsigned events, char *buf, size_t n);
/* The EventCodes of `events` in that order, at most max of them into out; how many. */
size_t hnb_cwmp_event_codes(unsigned events, const char **out, size_t max);

/* What the ACS asks in a session. */
typedef enum {
    HNB_CWMP_ACS_NOTHING = 0,
    HNB_CWMP_ACS_DOWNLOAD, /* Download(FileType "1 Firmware Upgrade Image") */
    HNB_CWMP_ACS_REBOOT,
} HnbCwmpAcsAction;

/* HTTP round trips (POST + response) of one session: Inform, [TransferComplete if the events hold 7], the empty POST,
 * [one per ACS RPC].  The ACS's CPU cost and the session's duration scale with it.  Counted as HTTP exchanges:
 *   Inform -> InformResponse                                     1
 *   TransferComplete -> TransferCompleteResponse                 1 if the events hold "7 TRANSFER COMPLETE"
 *   empty POST -> first ACS RPC, or the empty response ending it 1
 *   each ACS RPC: the CPE's POST of its response -> next RPC/end 1
 * so an Inform-only session is 2, a Download session 3, the post-upgrade session (7 + nothing asked) 3. */
unsigned hnb_cwmp_round_trips(unsigned events, HnbCwmpAcsAction action);

/* Session Retry Policy (TR-069 §3.2.1.1). */
typedef struct {
    HnbTime min_wait;    /* CWMPRetryMinimumWaitInterval m, default 5 s (1..65535 s) */
    unsigned multiplier; /* CWMPRetryIntervalMultiplier k, default 2000 (1000..65535): factor k/1000 */
} HnbCwmpRetry;

/* The window [lo, hi] for retry number n >= 1: [m (k/1000)^(n-1), m (k/1000)^n], with n capped at 10 (the window stays
 * that of n = 10 from then on); n = 0 is taken as 1.  In integer ns, exact when each factor k/1000 divides exactly
 * (always for k = 2000), otherwise rounded to the nearest ns; saturates at HNB_TIME_NEVER. */
void hnb_cwmp_retry_window(const HnbCwmpRetry *p, unsigned n, HnbTime *lo, HnbTime *hi);

/* A wait drawn uniformly from the window of retry n, from one uniform u in (0,1): lo + u (hi - lo), rounded to ns. */
HnbTime hnb_cwmp_retry_wait(const HnbCwmpRetry *p, unsigned n, double u);

#endif
