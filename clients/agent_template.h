/*  agent_template: `dajia-agent template TYPE`, an example report with every field,
    for a liaison officer to copy, fill in and submit as it is.

    A JSON template is one object with a note above each field: its Chinese name,
    whether it is required, what it means, and for a field with a fixed set of values,
    every value with its Chinese label. The notes are lines that start with #, which
    the agent's reader skips (agent_submit.h), so the file submits without editing and
    a liaison who keeps the notes loses nothing. Fields that do not apply hold null
    ("not given"). The CSV templates are a header row and one example row, in Chinese
    or English column names (agent_csv.h).
*/
#ifndef AGENT_TEMPLATE_H
#define AGENT_TEMPLATE_H

#include <stdio.h>

/* The types `template` knows, for usage messages: "case_report, major_matter, ...". */
#define AGENT_TEMPLATE_TYPES "case_report, major_matter, matter_progress, dynamic_info, csv, csv_en"

/* Writes the template of `type` (one of AGENT_TEMPLATE_TYPES) to `out`. Returns 0, -1
   when the type is not one of them, or -ENOMEM. */
int
agent_template_print(FILE *out, const char *type);

/* The type nearest to an unknown `type`, for "did you mean", or NULL. Static. */
const char *
agent_template_near(const char *type);

#endif
