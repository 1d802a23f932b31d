/* tools/plan.h — what a command runs: one scenario, or the variants of a comparison.
 *
 * `hnbsim run a.ini`, `run a.ini b.ini` and `run cmp.ini` (a file with [compare] variants) all come down to a list of
 * variant scenarios and, for a comparison file, the file itself (the head).  Each variant is loaded with the
 * comparison file's own keys (its [compare], [sweep] and [size] groups and its name aside) and then the user's
 * --set overrides; `sets` keeps that list so a sweep can load a variant again with a point's keys on top. */
#ifndef HNB_PLAN_H
#define HNB_PLAN_H

#include "tools/cli.h"

typedef struct {
    HnbScenario *head;   /* the comparison file; NULL for a plain scenario or files given side by side */
    GPtrArray *variants; /* HnbScenario * */
    GPtrArray *paths;    /* char *: each variant's file */
    GPtrArray *sets;     /* char *, NULL-terminated: the overrides each variant was loaded with */
    gboolean compare;    /* more than one variant, or a comparison file */
} HnbPlan;

/* Load `paths` (NULL-terminated, at least one) with `user_sets`; `cmd` prefixes messages ("hnbsim run").  Returns
 * the exit status: HNB_EXIT_OK, or the status of the problem it printed (every variant's [tls] is checked too). */
int hnb_plan_load(HnbPlan *plan, char **paths, char **user_sets, const char *cmd);
void hnb_plan_clear(HnbPlan *plan);

/* The name of the plan: the comparison file's, "compare" for files side by side, else the scenario's. */
const char *hnb_plan_name(const HnbPlan *plan);

/* A file or directory name made of a scenario name (anything but [A-Za-z0-9._-] becomes '_'). */
char *hnb_plan_dir_name(const char *name);

/* The compliance lines for report.html ("" without any): the clause 8.3.4 lines of a loaded scenario's [tls] group,
 * then its model's own (hnb_model_compliance) — of sc itself, or of each of the nvariants variants of a comparison
 * under its name. */
char *hnb_plan_compliance(const HnbScenario *sc, const HnbScenario *const *variants, const char *const *names,
                          guint nvariants);

#endif
