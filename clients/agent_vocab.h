/*  agent_vocab: the words a liaison officer writes, and the schema's values they stand
    for: the Chinese labels of every enum value of the reports, the member units by
    name, and the administrative regions of the city by name.

    The CSV importer reads these words in cells ("地理标志" for geographical_indication,
    "市市场监管局" for msa, "浉河区" for 411502), and `dajia-agent template` writes them
    in its notes, so what a spreadsheet holds can be the words of the forms the liaison
    already fills in. The Chinese labels are those of the field reference,
    docs/fields.md, which lists every value.

    Every lookup returns static text (or NULL when nothing matches) and is thread-safe.
*/
#ifndef AGENT_VOCAB_H
#define AGENT_VOCAB_H

#include "dajia_labels.h"

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* The Chinese label of `value` of an enum of the reports (CaseCategory, GoodsCategory,
   CaseStage, LinkageStatus, RegionScope, SupervisionLevel, MatterType, Severity,
   MatterRequest, MatterStatus, InfoKind), or NULL when there is none. */
const char *
agent_vocab_label(const ProtobufCEnumDescriptor *desc, int value);

/* The value of `desc` that `word` names: the value's name without its prefix in any
   case ("Geographical_Indication"), with spaces or hyphens for the underscores
   ("geographical indication"), the full name ("CASE_CATEGORY_GEOGRAPHICAL_INDICATION"),
   or its Chinese label ("地理标志"). Never the unspecified zero. Returns 0 and sets
   *value, or -1. */
int
agent_vocab_enum(const ProtobufCEnumDescriptor *desc, const char *word, int *value);

/* The nearest label or name of a value of `desc` to `word`, for "did you mean", copied
   into `buf` (`size` bytes). Returns buf, or NULL when none is near. */
const char *
agent_vocab_enum_near(const ProtobufCEnumDescriptor *desc, const char *word, char *buf,
                      size_t size);

/* A member unit: its code ("msa"), its Chinese name ("市市场监管局") and its English one:
   the default list of dajia_labels. */
typedef dajia_member_t agent_vocab_unit_t;

/* The 23 member units of the leading group, in the order of the work rules
   (docs/domain.md §2). Sets *count. */
const agent_vocab_unit_t *
agent_vocab_units(size_t *count);

/* The code of the unit that `word` names (its code, or its Chinese name, also without
   the leading 市 or with 信阳 before it: "信阳市市场监管局"), or NULL. */
const char *
agent_vocab_unit(const char *word);

/* An administrative region of the city: its code (GB/T 2260) and its name. */
typedef struct {
    const char *code; /* "411502" */
    const char *name; /* "浉河区" */
} agent_vocab_region_t;

/* The city (信阳市, 411500) and its two districts and eight counties. Sets *count. */
const agent_vocab_region_t *
agent_vocab_regions(size_t *count);

/* The code of the region `word` names: a code of six digits (any, as given), or a name
   of the table, also with 信阳市 before it ("信阳市浉河区"). NULL when neither. */
const char *
agent_vocab_region(const char *word);

#endif
