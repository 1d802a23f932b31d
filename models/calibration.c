/* models/calibration.c — a calibration file referenced by a fleet scenario ([acs] calibration).
 *
 * `hnbsim calibrate -o FILE` writes a GKeyFile whose [calibration] group holds, per key type, the median CPU time of
 * the ACS's share of a full and a resumed handshake and of an image-manifest verification, in the scenario duration
 * syntax ("925.6us").  Applying it is a load-time rewrite of the scenario (HnbModel.resolve): the model itself only
 * ever reads handshake_time and friends, and the resolved scenario carries the numbers, not the file name.
 * A [target] group (`hnbsim calibrate --target URL`, issue 15: a real H(e)MS measured over the network) names scenario
 * keys directly and is applied after [calibration], over it; the scenario's own keys win over both.
 */
#include "models/calibration.h"

#include <string.h>

/* scenario key <- [calibration] key for EC or RSA keys; which [pki] key type picks between them */
static const struct {
    const char *group, *key, *ec, *rsa, *pki_key;
    gboolean segw; /* read only with [hems] reach = segw (older files lack it; other runs have no SeGW) */
} rows[] = {
    {"acs", "handshake_time", "handshake_full_ec", "handshake_full_rsa", "device_key", FALSE},
    {"acs", "resumed_handshake_time", "handshake_resumed_ec", "handshake_resumed_rsa", "device_key", FALSE},
    {"hnb", "image_verify_time", "image_verify_ec", "image_verify_rsa", "signing_key", FALSE},
    {"segw", "setup_time", "segw_setup_ec", "segw_setup_rsa", "device_key", TRUE},
};

/* [target] (written by `hnbsim calibrate --target URL`: a real H(e)MS measured over the network, issue 15): the
 * same names as the scenario keys they set, applied after [calibration], so what was measured on the server wins over
 * the in-process handshake costs. */
static const struct {
    const char *group, *key;
} target_rows[] = {
    {"acs", "handshake_time"}, {"acs", "resumed_handshake_time"}, {"acs", "cwmp_time"},
    {"acs", "transfer_cwmp_time"}, {"acs", "download_cwmp_time"}, {"acs", "rtt"},
    {"acs", "handshake_rtt"},  {"acs", "workers"},                {"acs", "max_sessions"}, {"acs", "queue_limit"},
    {"acs", "overload"},       {"acs", "max_sessions_at"}, {"acs", "request_cpu"},
    {"tls", "resumption"},
};

static gboolean fail(GError **error, const HnbScenario *sc, const char *rel, const char *path, const char *problem)
{
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [acs] calibration = \"%s\": %s: %s", hnb_scenario_source(sc),
                rel, path, problem);
    return FALSE;
}

/* A set-up's cost depends on its (EC)DH group (RFC 7296 3.3.2; MODP-2048 costs several times P-256): the file's
 * segw_setup_* were measured in its segw_dh_group (19 in files written before it was recorded), which must be the
 * scenario's [segw] dh_group for them to stand for its set-ups. */
static gboolean same_dh_group(GKeyFile *kf, const HnbScenario *sc, const char *rel, const char *path, GError **error)
{
    g_autofree char *measured = g_key_file_get_string(kf, "calibration", "segw_dh_group", NULL);
    const char *wanted = hnb_scenario_string(sc, "segw", "dh_group");
    if (strcmp(measured ? g_strstrip(measured) : "19", wanted) == 0)
        return TRUE;
    g_autofree char *msg = g_strdup_printf("its segw_setup_* were measured with DH group %s, the scenario's [segw] "
                                           "dh_group is %s: calibrate with `hnbsim calibrate --dh-group %s`, or set "
                                           "[segw] setup_time", measured ? measured : "19", wanted, wanted);
    return fail(error, sc, rel, path, msg);
}

gboolean hnb_calibration_apply(HnbScenario *sc, GError **error)
{
    g_autofree char *rel = g_strdup(hnb_scenario_string(sc, "acs", "calibration"));
    if (!*rel)
        return TRUE;
    g_autofree char *dir = g_path_get_dirname(hnb_scenario_source(sc));
    g_autofree char *path = g_path_is_absolute(rel) ? g_strdup(rel) : g_build_filename(dir, rel, NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e))
        return fail(error, sc, rel, path, e->message);
    gboolean has_target = g_key_file_has_group(kf, "target");
    if (!g_key_file_has_group(kf, "calibration") && !has_target)
        return fail(error, sc, rel, path,
                    "no [calibration] or [target] group (write one with `hnbsim calibrate -o FILE`, or with "
                    "`hnbsim calibrate --target URL -o FILE` for a real H(e)MS)");
    for (size_t r = 0; g_key_file_has_group(kf, "calibration") && r < G_N_ELEMENTS(rows); r++) {
        if (hnb_scenario_is_given(sc, rows[r].group, rows[r].key))
            continue; /* the scenario's own value wins */
        if (rows[r].segw && strcmp(hnb_scenario_string(sc, "hems", "reach"), "segw") != 0)
            continue;
        if (rows[r].segw && !same_dh_group(kf, sc, rel, path, error))
            return FALSE;
        gboolean rsa = strcmp(hnb_scenario_string(sc, "pki", rows[r].pki_key), "rsa-2048") == 0;
        const char *ck = rsa ? rows[r].rsa : rows[r].ec;
        g_autofree char *v = g_key_file_get_string(kf, "calibration", ck, NULL);
        if (!v) {
            g_autofree char *msg = g_strdup_printf("[calibration] %s is missing (needed for [%s] %s)", ck,
                                                   rows[r].group, rows[r].key);
            return fail(error, sc, rel, path, msg);
        }
        g_strstrip(v);
        g_autofree char *note = g_strdup_printf("from the calibration file %s, [calibration] %s", rel, ck);
        g_clear_error(&e);
        if (!hnb_scenario_resolve(sc, rows[r].group, rows[r].key, v, note, &e)) {
            g_autofree char *msg =
                g_strdup_printf("[calibration] %s = \"%s\": %s (for [%s] %s)", ck, v, e->message, rows[r].group,
                                rows[r].key);
            return fail(error, sc, rel, path, msg);
        }
    }
    for (size_t r = 0; has_target && r < G_N_ELEMENTS(target_rows); r++) {
        const char *group = target_rows[r].group, *key = target_rows[r].key;
        g_autofree char *v = g_key_file_get_string(kf, "target", key, NULL);
        if (!v || hnb_scenario_is_given(sc, group, key))
            continue; /* not measured, or the scenario's own value wins */
        g_strstrip(v);
        g_autofree char *url = g_key_file_get_string(kf, "target", "url", NULL);
        g_autofree char *note = g_strdup_printf("from the calibration file %s, [target] %s (measured on %s)", rel, key,
                                                url ? g_strstrip(url) : "a real H(e)MS");
        g_clear_error(&e);
        if (!hnb_scenario_resolve(sc, group, key, v, note, &e)) {
            g_autofree char *msg =
                g_strdup_printf("[target] %s = \"%s\": %s (for [%s] %s)", key, v, e->message, group, key);
            return fail(error, sc, rel, path, msg);
        }
    }
    g_autofree char *note = g_strdup_printf("calibration = %s was applied when the scenario was loaded: the keys it "
                                            "set say so above their values", rel);
    return hnb_scenario_resolve(sc, "acs", "calibration", "", note, error);
}
