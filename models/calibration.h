/* models/calibration.h — [acs] calibration: service times measured by `hnbsim calibrate -o FILE`, applied to a fleet
 * scenario when it is loaded. */
#ifndef HNB_CALIBRATION_H
#define HNB_CALIBRATION_H

#include "sim/scenario.h"

/* If [acs] calibration names a file (relative paths: to the scenario file's directory), read its [calibration]
 * group and set [acs] handshake_time, [acs] resumed_handshake_time, [hnb] image_verify_time and (with [hems] reach = segw)
 * [segw] setup_time from the measured
 * medians for the scenario's key types ([pki] device_key for handshakes, [pki] signing_key for images), except
 * those the scenario gives itself.  Each value is written with a note naming the file and its key, and calibration
 * is set back to empty, so the resolved scenario reproduces the run without the file.  HNB_ERROR_INPUT naming the
 * scenario, the key, the calibration file and the problem. */
gboolean hnb_calibration_apply(HnbScenario *sc, GError **error);

#endif
