/* sim/scenario.h — scenario files: GKeyFile .ini validated against schema tables.
 *
 * One table of HnbKeySpec rows per model (plus the kernel's [scenario] group) drives everything: validation, defaults,
 * `hnbsim describe`, the resolved scenario written into each run directory.  The union of all registered tables is the
 * set of known (group, key) pairs; anything else in a file is an error with a "did you mean" suggestion.
 *
 * Every error message has the form
 *     FILE:LINE: [group] key = "value": expected <what> (<doc>)
 *     FILE:LINE: unknown key "wokers" in [acs] (did you mean "workers"?)
 *     FILE:LINE: unknown group [acss] (did you mean [acs]?)
 *     FILE:LINE: syntax error: <what>
 *     FILE: [scenario] name: required key is missing
 *     --set acs.workers=abc: expected an integer in 1..100000
 * and is returned as HNB_ERROR / HNB_ERROR_INPUT (exit status 2 for the CLI).
 */
#ifndef HNB_SCENARIO_H
#define HNB_SCENARIO_H

#include <glib.h>
#include <stdint.h>
#include "sim/dist.h"
#include "sim/time.h"
#include "sim/units.h"

typedef enum {
    HNB_KEY_STRING, /* free text */
    HNB_KEY_ENUM,   /* one of spec->choices, "a|b|c" */
    HNB_KEY_BOOL,   /* true/false, yes/no, on/off, 1/0 */
    HNB_KEY_INT,    /* int64, range min..max (text, parsed as integers) */
    HNB_KEY_NUMBER, /* double in spec->unit (duration, size, rate, fraction, plain); range min..max in that unit */
    HNB_KEY_DIST,   /* a distribution over spec->unit (dist.h); range checks the support where finite */
} HnbKeyType;

typedef struct {
    const char *group;
    const char *key;
    HnbKeyType type;
    HnbUnit unit;        /* NUMBER, DIST */
    const char *def;     /* default as it would be written in a file; NULL = required; "" (STRING, DIST) = empty,
                          * i.e. not set: a DIST's hnb_scenario_dist is then NULL */
    const char *min;     /* NULL = unbounded; text in the key's unit, e.g. "1ms" */
    const char *max;
    const char *choices; /* ENUM */
    const char *doc;     /* one line */
} HnbKeySpec;

/* A table ends with a row whose group is NULL. */
#define HNB_KEY_END {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL}

/* A loaded scenario points into the schema tables it was loaded with, so they must outlive it (static tables do). */
typedef struct HnbScenario HnbScenario;

/* Load and validate.  `schemas` is a NULL-terminated list of tables.  `sets` (may be NULL) is a NULL-terminated list
 * of "group.key=value" overrides applied on top of the file (and validated the same way, named "--set ...").
 * Returns NULL with error set on any problem. */
HnbScenario *hnb_scenario_load(const char *path, const HnbKeySpec *const *schemas, char **sets, GError **error);
/* The same from text; `name` stands for the file name in messages. */
HnbScenario *hnb_scenario_load_data(const char *data, gsize len, const char *name, const HnbKeySpec *const *schemas,
                                    char **sets, GError **error);
void hnb_scenario_free(HnbScenario *sc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbScenario, hnb_scenario_free)

/* Typed getters.  The (group, key) must be in the schema with that type (else a programming error: g_error). */
const char *hnb_scenario_string(const HnbScenario *sc, const char *group, const char *key); /* STRING, ENUM */
gboolean hnb_scenario_bool(const HnbScenario *sc, const char *group, const char *key);
int64_t hnb_scenario_int(const HnbScenario *sc, const char *group, const char *key);
double hnb_scenario_number(const HnbScenario *sc, const char *group, const char *key); /* base unit */
HnbTime hnb_scenario_time(const HnbScenario *sc, const char *group, const char *key);  /* NUMBER in DURATION */
const HnbDist *hnb_scenario_dist(const HnbScenario *sc, const char *group, const char *key); /* NULL: an empty
                                                                                            optional one */

/* The text a key resolved to (file, --set or default), as it appears in the resolved file. */
const char *hnb_scenario_text(const HnbScenario *sc, const char *group, const char *key);
const char *hnb_scenario_source(const HnbScenario *sc); /* the path or name it was loaded from */
/* The line of the file that set (group, key); 0 when its value is a default or came from a --set (or the key is
 * unknown).  Lets a caller that reads a key's text further (a sweep's grid) point at the line. */
int hnb_scenario_line(const HnbScenario *sc, const char *group, const char *key);
/* The schema row of (group, key); NULL when the scenario's schema has no such key. */
const HnbKeySpec *hnb_scenario_spec(const HnbScenario *sc, const char *group, const char *key);
/* Would `group.key = text` be accepted on top of this scenario, by the same parsers and range checks as the file?
 * FALSE with HNB_ERROR_INPUT and a message without a location for the caller to prefix:
 *     unknown key "wrkers" in [acs] (did you mean "workers"?)
 *     [acs] workers = "0": expected an integer in 1..100000 (doc)
 * Checks the key alone: cross-key checks need the whole scenario loaded (hnb_model_load with a --set). */
gboolean hnb_scenario_check_value(const HnbScenario *sc, const char *group, const char *key, const char *text,
                                  GError **error);

/* Was (group, key) given by the file or a --set (rather than left to its default or resolved by a model)? */
gboolean hnb_scenario_is_given(const HnbScenario *sc, const char *group, const char *key);
/* For a model that derives values when a scenario is loaded (HnbModel.resolve): set (group, key) to `text`, checked
 * as a file value would be, with `note` (may be NULL) written as a comment above the key in hnb_scenario_to_data, so
 * that the resolved file says where the value came from and reproduces the run without the source.  "" sets an
 * optional string key back to empty.  FALSE with the parser's words (no file or key named) if text is not valid. */
gboolean hnb_scenario_resolve(HnbScenario *sc, const char *group, const char *key, const char *text,
                              const char *note, GError **error);

/* Every known key with its resolved value, groups and keys in schema order, each preceded by its doc as a comment.
 * Loading this text gives an identical scenario.  Deterministic bytes. */
char *hnb_scenario_to_data(const HnbScenario *sc);

/* Human-readable table of every key: group, key, type/unit, default, range, doc. */
void hnb_scenario_describe(const HnbKeySpec *const *schemas, GString *out);

/* Split "group.key=value" (as given to --set); FALSE with an error naming the text when malformed. */
gboolean hnb_scenario_split_set(const char *text, char **group, char **key, char **value, GError **error);

#endif
