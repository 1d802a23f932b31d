/* tools/drive/equivalent.c — the speed-equivalent scenario (equivalent.h). */
#include "tools/drive/equivalent.h"

#include <math.h>
#include <stdio.h>

static const struct {
    const char *group, *key;
    gboolean dist; /* a distribution; else a number */
    gboolean rate; /* divided by X; else multiplied */
} keys[] = {
    {"acs", "handshake_time", TRUE, FALSE},   {"acs", "resumed_handshake_time", TRUE, FALSE},
    {"acs", "cwmp_time", TRUE, FALSE},        {"acs", "transfer_cwmp_time", TRUE, FALSE},
    {"acs", "download_cwmp_time", TRUE, FALSE}, {"acs", "rtt", TRUE, FALSE},
    {"acs", "handshake_rtt", FALSE, FALSE},   {"cwmp", "session_timeout", FALSE, FALSE},
    {"hnb", "syn_rto", FALSE, FALSE},         {"download", "bandwidth", FALSE, TRUE},
    {"download", "access_link", TRUE, TRUE},
};

gboolean hnb_drive_equivalent(HnbScenario *sc, double speed, GError **error)
{
    g_return_val_if_fail(speed > 0 && isfinite(speed), FALSE);
    if (speed == 1)
        return TRUE;
    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
        double f = keys[k].rate ? 1 / speed : speed;
        char text[HNB_DIST_FORMAT_MAX];
        if (keys[k].dist) {
            const HnbDist *given = hnb_scenario_dist(sc, keys[k].group, keys[k].key);
            if (!given)
                continue; /* an empty optional one (cwmp_time's, scaled already) */
            HnbDist d = *given;
            hnb_dist_scale(&d, f);
            hnb_dist_format(&d, text, sizeof text);
        } else {
            /* the base unit (ns, bit/s) as a plain number with the unit's base suffix */
            g_snprintf(text, sizeof text, keys[k].rate ? "%.17gbps" : "%.17gns",
                       hnb_scenario_number(sc, keys[k].group, keys[k].key) * f);
        }
        g_autofree char *note = g_strdup_printf("%s: the speed-equivalent scenario of a drive at speed %g (%s %g)",
                                                hnb_scenario_text(sc, keys[k].group, keys[k].key), speed,
                                                keys[k].rate ? "divided by" : "times", speed);
        g_autoptr(GError) e = NULL;
        if (!hnb_scenario_resolve(sc, keys[k].group, keys[k].key, text, note, &e)) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--speed %g: [%s] %s would be %s: %s", speed,
                        keys[k].group, keys[k].key, text, e->message);
            return FALSE;
        }
    }
    return TRUE;
}
