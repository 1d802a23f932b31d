/* tools/drive/calibrate_target.h — `hnbsim calibrate --target URL`: measure a real H(e)MS over the network and write
 * the [target] group that models/calibration.c applies to a fleet scenario (docs/DESIGN.md, issue 15 part 5).
 *
 * Steps, each of cfg->seconds of real time after a short warm-up, on one libev loop with the drive's client library
 * (tools/drive/client.h), the drive's safety rules (tools/drive/target.h):
 *   1. preflight: one CWMP session with dev0, which must end ok;
 *   2. full handshakes only (HNB_DRIVE_HANDSHAKE_WAIT), concurrency 1, cycling dev0..devN-1: handshake latency;
 *   3. the same offering each device's previous session: resumed handshakes and the share the server resumed;
 *   4. Inform sessions ("2 PERIODIC", SoftwareVersion cfg->image_version), concurrency 1: the request phase;
 *   4b. sessions carrying a TransferComplete, each device once: transfer_cwmp_time;
 *   4c. sessions showing an outdated SoftwareVersion, each device once: download_cwmp_time when the server answers
 *       every one with a Download (A.3.2.8), else not written (a comment under cwmp_time says why);
 *   5. closed loop of Inform sessions at concurrency 1, 2, 4 ... 32 until throughput rises < 5%: X_max;
 *   5b. an open loop at a tenth of X_max (5 to 100 sessions/s): rtt and handshake_rtt;
 *   6. the session limit: hnbsim_acs_limit{name="max_sessions"} when the page has it, else bursts of C = 8 ... 512
 *      sessions at once until one is refused (8005).
 * Service times come from the server's CPU counters when cfg->metrics_url shows them (method = server_metrics), else
 * from the client's latencies less the client's own CPU (method = client_latency).
 */
#ifndef HNB_DRIVE_CALIBRATE_TARGET_H
#define HNB_DRIVE_CALIBRATE_TARGET_H

#include <glib.h>

typedef struct {
    const char *url;           /* https://HOST:PORT */
    const char *pki_dir;       /* a `hnbsim pki --out DIR` export: root.pem, dev<i>.key ... */
    const char *metrics_url;   /* http://127.0.0.1:P/metrics, or NULL */
    const char *image_version; /* the Informs' SoftwareVersion; NULL: "release-1" */
    double seconds;            /* measuring time of a step; 0: 5 */
    double timeout;            /* a session's limit; 0: 10 s */
    gboolean owned;            /* --i-own-this-target: any address */
    guint burst_max;           /* the largest burst of step 6; 0: 512 */
} HnbCalibrateTargetConfig;

/* Run the steps and fill `out`'s [target] group (values in the scenario syntax, comments saying how each was found)
 * and `report` (a human report, one paragraph a step).  FALSE with an HNB_ERROR_INPUT error for bad input — a bad
 * URL, a target that is neither loopback nor link-local without cfg->owned, a PKI directory without root.pem or
 * dev0.key, a preflight session that does not end ok — and HNB_ERROR_RUN for a failure during the steps. */
gboolean hnb_calibrate_target(const HnbCalibrateTargetConfig *cfg, GKeyFile *out, GString *report, GError **error);

#endif
