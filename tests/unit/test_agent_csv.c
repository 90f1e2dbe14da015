/*  test_agent_csv: case reports from a spreadsheet (clients/agent_csv, agent_vocab).

    A header in Chinese or English, cells as people write them (labels, 是/否, dates in
    the forms Excel saves, amounts with separators in 元, 万元 or 分, units and regions
    by name), and each kind of mistake with the words a liaison reads: the line, the
    column, the cell and a hint. The JSON a row becomes is read back through the JSON
    mapper, as the agent reads it.
*/
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_csv.h"
#include "agent_vocab.h"
#include "dajia.pb-c.h"
#include "dajia_json.h"

#define S_MAX_PROBLEMS 16

typedef struct {
    int count;
    long lines[S_MAX_PROBLEMS];
    char fields[S_MAX_PROBLEMS][96];
    char texts[S_MAX_PROBLEMS][640];
} s_problems_t;

static void
s_on_problem(long line, const char *field, const char *message, void *arg)
{
    s_problems_t *p = arg;
    if (p->count < S_MAX_PROBLEMS) {
        p->lines[p->count] = line;
        snprintf(p->fields[p->count], sizeof p->fields[0], "%s", field);
        snprintf(p->texts[p->count], sizeof p->texts[0], "%s", message);
    }
    p->count++;
}

/* The envelope of the first row of `csv`; no problem expected. */
static Dajia__Envelope *
s_first_row(const char *csv)
{
    s_problems_t p;
    memset(&p, 0, sizeof p);
    agent_csv_t *reader = NULL;
    assert_int_equal(agent_csv_open(csv, strlen(csv), s_on_problem, &p, &reader), 0);
    char *json = NULL;
    long line = 0;
    int problems = -1;
    assert_int_equal(agent_csv_next(reader, &json, &line, &problems), 1);
    if (problems || p.count)
        fail_msg("line %ld: %s", p.lines[0], p.texts[0]);
    assert_int_equal(line, 2);
    ProtobufCMessage *msg = NULL;
    dajia_json_error_t err;
    if (dajia_json_to_message(&dajia__envelope__descriptor, json, strlen(json), &msg, &err))
        fail_msg("%s: %s", json, err.text);
    free(json);
    agent_csv_destroy(&reader);
    return (Dajia__Envelope *)msg;
}

static void
test_chinese_header_and_cells(void **state)
{
    (void)state;
    Dajia__Envelope *env = s_first_row(
        "序号,案件编号,案件类别,办理阶段,案值（元）,罚没金额(万元),违法所得（分）,立案日期,"
        "结案日期,"
        "涉案商品类别,电子商务,农村地区,捣毁窝点数,抓获人数,报送单位,行政区划,协办单位,"
        "两法衔接状态\r\n"
        "1,信市监处罚〔2026〕118号,地理标志,结案,\"86,400.00\",8.64,12345,2026/10/22,"
        "2026年11月3日,茶叶、食品,是,否,1,3人,市市场监管局,浉河区,\"公安局，信阳海关\",无\r\n");
    assert_string_equal(env->unit, "msa");
    assert_string_equal(env->region, "411502");
    /* No 发生日期 column: the row's latest date, Beijing midnight. */
    assert_int_equal(env->occurred_at, 1793635200000LL);
    Dajia__CaseReport *c = env->case_report;
    assert_non_null(c);
    assert_string_equal(c->case_no, "信市监处罚〔2026〕118号");
    assert_int_equal(c->category, DAJIA__CASE_CATEGORY__CASE_CATEGORY_GEOGRAPHICAL_INDICATION);
    assert_int_equal(c->stage, DAJIA__CASE_STAGE__CASE_STAGE_CLOSED);
    assert_int_equal(c->case_value_fen, 8640000);
    assert_int_equal(c->fines_confiscations_fen, 8640000);
    assert_int_equal(c->illegal_gains_fen, 12345);
    assert_int_equal(c->filed_at, 1793635200000LL - 12 * 86400000LL);
    assert_int_equal(c->n_goods, 2);
    assert_int_equal(c->goods[0], DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA);
    assert_int_equal(c->goods[1], DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD);
    assert_true(c->ecommerce);
    assert_false(c->rural);
    assert_int_equal(c->dens_destroyed, 1);
    assert_int_equal(c->suspects_arrested, 3);
    assert_int_equal(c->n_involved_units, 2);
    assert_string_equal(c->involved_units[0], "psb");
    assert_string_equal(c->involved_units[1], "customs");
    assert_int_equal(c->linkage, DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_NONE);
    dajia__envelope__free_unpacked(env, NULL);
}

static void
test_english_header_and_date_forms(void **state)
{
    (void)state;
    static const struct {
        const char *cell;
        long long ms;
    } dates[] = {
        {"2026-11-03", 1793635200000LL},
        {"2026/11/3", 1793635200000LL},
        {"2026.11.03", 1793635200000LL},
        {"20261103", 1793635200000LL},
        {"46329", 1793635200000LL},                /* Excel's day number */
        {"46329.5", 1793635200000LL + 43200000LL}, /* noon */
        {"2026-11-03 09:30", 1793635200000LL + 34200000LL},
        {"2026-11-03T09:30:00+08:00", 1793635200000LL + 34200000LL},
        {"2026-11-03T01:30:00Z", 1793635200000LL + 34200000LL},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        char csv[512];
        snprintf(csv, sizeof csv,
                 "case_no,category,stage,occurred_at,case_value_fen,sales_wan,goods,ecommerce\n"
                 "X-%zu,Trademark Counterfeiting,filed,%s,8640000,0.5,\"tea; alcohol\",yes\n",
                 i, dates[i].cell);
        Dajia__Envelope *env = s_first_row(csv);
        if (env->occurred_at != dates[i].ms)
            fail_msg("\"%s\" read as %lld, not %lld", dates[i].cell, (long long)env->occurred_at,
                     dates[i].ms);
        assert_int_equal(env->case_report->category,
                         DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING);
        assert_int_equal(env->case_report->case_value_fen, 8640000);
        assert_int_equal(env->case_report->sales_fen, 500000);
        assert_int_equal(env->case_report->n_goods, 2);
        assert_int_equal(env->case_report->goods[1], DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_ALCOHOL);
        dajia__envelope__free_unpacked(env, NULL);
    }
}

static void
test_tab_separated_and_quoted_cells(void **state)
{
    (void)state;
    Dajia__Envelope *env =
        s_first_row("案件编号\t案件类别\t办理阶段\t案件名称\n"
                    "A-1\t商标侵权\t立案\t\"销售假冒\"\"飞鹤\"\"奶粉案\n（续）\"\n");
    assert_string_equal(env->case_report->case_name, "销售假冒\"飞鹤\"奶粉案\n（续）");
    dajia__envelope__free_unpacked(env, NULL);
}

/* The problems of a file whose header is `header` and whose one row is `row`. */
static s_problems_t
s_row_problems(const char *header, const char *row)
{
    char csv[2048];
    snprintf(csv, sizeof csv, "%s\n%s\n", header, row);
    s_problems_t p;
    memset(&p, 0, sizeof p);
    agent_csv_t *reader = NULL;
    assert_int_equal(agent_csv_open(csv, strlen(csv), s_on_problem, &p, &reader), 0);
    char *json = NULL;
    long line = 0;
    int problems = 0;
    assert_int_equal(agent_csv_next(reader, &json, &line, &problems), 1);
    assert_int_equal(problems, p.count);
    free(json);
    assert_int_equal(agent_csv_next(reader, &json, &line, &problems), 0);
    agent_csv_destroy(&reader);
    return p;
}

#define assert_says(p, i, words)                                                                   \
    do {                                                                                           \
        if ((i) >= (p).count || !strstr((p).texts[i], (words)))                                    \
            fail_msg("problem %d is \"%s\", not about \"%s\"", (int)(i),                           \
                     (i) < (p).count ? (p).texts[i] : "(none)", (words));                          \
    } while (0)

static void
test_cell_mistakes_named_with_column_and_hint(void **state)
{
    (void)state;
    s_problems_t p = s_row_problems(
        "案件编号,案件类别,办理阶段,案值（元）,立案日期,涉案商品类别,电子商务,抓获人数,行政区划,"
        "报送单位",
        "A-1,地理标誌,立按,8.6万,2026-13-01,\"茶叶、酒\",也许,三,信阳县,海关总署");
    assert_int_equal(p.count, 9);
    assert_says(p, 0,
                "column 案件类别: \"地理标誌\" is not a value of CaseCategory; did you mean "
                "\"地理标志\"?");
    assert_string_equal(p.fields[0], "case_report.category");
    assert_int_equal(p.lines[0], 2);
    assert_says(p, 1, "did you mean \"立案\"?");
    assert_says(p, 2, "column 案值（元）: \"8.6万\" is not an amount in yuan, e.g. 86,400.00");
    assert_says(p, 3, "column 立案日期: \"2026-13-01\" is not a date");
    assert_says(p, 4, "\"酒\" is not a value of GoodsCategory; did you mean \"酒类\"?");
    assert_says(p, 5, "column 电子商务: \"也许\" is neither yes nor no; write 是 or 否");
    assert_says(p, 6, "column 抓获人数: \"三\" is not a whole number");
    assert_says(p, 7, "neither a region code of six digits nor the name of a district or county");
    assert_says(p, 8, "\"海关总署\" is not a member unit");

    p = s_row_problems("case_no,category,stage,fines_confiscations_yuan", "A,other,clue,1.005");
    assert_says(p, 0, "has a fraction of a fen; the column is in yuan");
}

static void
test_header_mistakes_all_at_once(void **state)
{
    (void)state;
    const char *csv = "案件编码,案值,案件类型x,备注,#内部,案件编号\nA,1,2,3,4,5\n";
    s_problems_t p;
    memset(&p, 0, sizeof p);
    agent_csv_t *reader = NULL;
    assert_int_equal(agent_csv_open(csv, strlen(csv), s_on_problem, &p, &reader), -1);
    assert_null(reader);
    assert_int_equal(p.count, 5);
    assert_says(p, 0,
                "column 1 \"案件编码\" is not a column the agent knows; did you mean "
                "\"案件编号\"?");
    assert_int_equal(p.lines[0], 1);
    assert_says(p, 1,
                "column 2 \"案值\": say the unit of the amounts in the column's name: "
                "案值（元）, 案值（万元） or 案值（分）");
    assert_says(p, 2, "column 3 \"案件类型x\" is not a column the agent knows");
    assert_says(p, 3, "the header has no column 案件类别 (category)");
    assert_says(p, 4, "the header has no column 办理阶段 (stage)");

    memset(&p, 0, sizeof p);
    csv = "case_no,案件编号,category,stage\n";
    assert_int_equal(agent_csv_open(csv, strlen(csv), s_on_problem, &p, &reader), -1);
    assert_says(p, 0, "columns 1 \"case_no\" and 2 \"案件编号\" both give case_report.case_no");
}

static void
test_sniff_knows_a_case_table(void **state)
{
    (void)state;
    const char *yes = "序号,案件编号,其他\n1,2,3\n";
    const char *no = "hello, world\n";
    assert_true(agent_csv_sniff(yes, strlen(yes)));
    assert_false(agent_csv_sniff(no, strlen(no)));
}

static void
test_every_report_enum_value_has_a_label_and_reads_back(void **state)
{
    (void)state;
    const ProtobufCEnumDescriptor *enums[] = {
        &dajia__case_category__descriptor,  &dajia__goods_category__descriptor,
        &dajia__case_stage__descriptor,     &dajia__linkage_status__descriptor,
        &dajia__region_scope__descriptor,   &dajia__supervision_level__descriptor,
        &dajia__matter_type__descriptor,    &dajia__severity__descriptor,
        &dajia__matter_request__descriptor, &dajia__matter_status__descriptor,
        &dajia__info_kind__descriptor,
    };
    for (size_t e = 0; e < sizeof enums / sizeof enums[0]; e++)
        for (unsigned i = 0; i < enums[e]->n_values; i++) {
            const ProtobufCEnumValue *v = &enums[e]->values[i];
            if (v->value == 0)
                continue;
            const char *label = agent_vocab_label(enums[e], v->value);
            if (!label)
                fail_msg("%s has no Chinese label (clients/agent_vocab.c)", v->name);
            int back = -1;
            assert_int_equal(agent_vocab_enum(enums[e], label, &back), 0);
            assert_int_equal(back, v->value);
            assert_int_equal(agent_vocab_enum(enums[e], v->name, &back), 0);
            assert_int_equal(back, v->value);
        }
}

static void
test_units_and_regions_by_name(void **state)
{
    (void)state;
    assert_string_equal(agent_vocab_unit("信阳海关"), "customs");
    assert_string_equal(agent_vocab_unit("市公安局"), "psb");
    assert_string_equal(agent_vocab_unit("公安局"), "psb");
    assert_string_equal(agent_vocab_unit("信阳市市场监管局"), "msa");
    assert_string_equal(agent_vocab_unit("msa"), "msa");
    assert_null(agent_vocab_unit("海关总署"));
    size_t count = 0;
    agent_vocab_units(&count);
    assert_int_equal(count, 23);
    static const char *const regions[][2] = {
        {"信阳市", "411500"}, {"浉河区", "411502"}, {"平桥区", "411503"}, {"罗山县", "411521"},
        {"光山县", "411522"}, {"新县", "411523"},   {"商城县", "411524"}, {"固始县", "411525"},
        {"潢川县", "411526"}, {"淮滨县", "411527"}, {"息县", "411528"},
    };
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        assert_string_equal(agent_vocab_region(regions[i][0]), regions[i][1]);
    assert_string_equal(agent_vocab_region("信阳市息县"), "411528");
    assert_string_equal(agent_vocab_region("410102"), "410102");
    assert_null(agent_vocab_region("4115"));
}

static void
test_templates_read_back_without_a_problem(void **state)
{
    (void)state;
    for (int chinese = 0; chinese < 2; chinese++) {
        char *csv = agent_csv_template(chinese);
        assert_non_null(csv);
        Dajia__Envelope *env = s_first_row(csv);
        assert_string_equal(env->case_report->case_no, "信市监处罚〔2026〕118号");
        assert_int_equal(env->case_report->case_value_fen, 8640000);
        assert_int_equal(env->case_report->stage, DAJIA__CASE_STAGE__CASE_STAGE_FILED);
        assert_string_equal(env->region, "411502");
        dajia__envelope__free_unpacked(env, NULL);
        free(csv);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chinese_header_and_cells),
        cmocka_unit_test(test_english_header_and_date_forms),
        cmocka_unit_test(test_tab_separated_and_quoted_cells),
        cmocka_unit_test(test_cell_mistakes_named_with_column_and_hint),
        cmocka_unit_test(test_header_mistakes_all_at_once),
        cmocka_unit_test(test_sniff_knows_a_case_table),
        cmocka_unit_test(test_every_report_enum_value_has_a_label_and_reads_back),
        cmocka_unit_test(test_units_and_regions_by_name),
        cmocka_unit_test(test_templates_read_back_without_a_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
