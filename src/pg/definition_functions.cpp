/*
 * definition_functions.cpp — SQL functions that parse and validate workflow
 * definitions and names, backed by src/core (nlohmann/json).
 *
 * Each _impl reads its arguments with PostgreSQL calls while it owns nothing,
 * hands plain C strings to a C++ helper, and turns the helper's palloc'd
 * answer back into a Datum — again owning nothing.
 */
#include "triggers/arguments.hpp"
#include "triggers/pg_boundary.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
}

#include "triggers/core/definition.hpp"
#include "triggers/core/json_source.hpp"

namespace {

using triggers::PallocString;
using triggers::SqlError;
namespace core = triggers::core;

/* Problems of a definition given as JSON text, as a palloc'd array of C strings. */
struct ProblemList {
  int count;
  char **lines;
  char *first_task;
  char *first_detail;
};

ProblemList FindProblems(const char *json_text) {
  ProblemList list{0, nullptr, nullptr, nullptr};
  core::JsonSourceResult parsed = core::ParseJsonSource(json_text, false, core::kMaxDefinitionDepth);
  std::vector<core::Problem> problems;
  if (!parsed.ok)
    problems.push_back({"", "", parsed.syntax_error ? "a definition must be valid JSON: " + parsed.error
                                                    : parsed.error}); /* too deep, or a number too large */
  else
    problems = core::ValidateDefinition(parsed.value);
  if (problems.empty()) return list;
  list.count = static_cast<int>(problems.size());
  triggers::PgCall([&] { list.lines = static_cast<char **>(palloc(sizeof(char *) * list.count)); });
  for (int i = 0; i < list.count; ++i) list.lines[i] = PallocString(core::FormatProblem(problems[i]));
  std::string detail = problems[0].message;
  if (!detail.empty()) detail[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(detail[0])));
  list.first_task = PallocString(problems[0].task);
  list.first_detail = PallocString(detail + ".");
  return list;
}

char *JsonbArgText(FunctionCallInfo fcinfo, int argno) {
  Jsonb *jb = PG_GETARG_JSONB_P(argno);
  return JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
}

/* Strips comments and checks duplicate keys / depth; returns the clean text or throws. */
char *CleanSource(const char *source) {
  core::JsonSourceResult parsed = core::ParseJsonSource(source, true, core::kMaxDefinitionDepth);
  if (!parsed.ok)
    throw SqlError(parsed.syntax_error ? ERRCODE_INVALID_TEXT_REPRESENTATION : ERRCODE_INVALID_PARAMETER_VALUE,
                   "invalid workflow source: " + parsed.error,
                   "", "Workflow sources are JSON objects; // and /* */ comments are allowed.");
  return PallocString(parsed.text);
}

bool QueueNameIsValid(const char *name) { return core::IsValidQueueName(name); }

}  // namespace

/*
 * triggers._parse_source(source text) returns jsonb: JSON text with comments
 * to jsonb.  The cleaned text (not nlohmann's re-serialisation) goes to
 * jsonb_in, so numbers keep their exact decimal form.
 */
TRIGGERS_FUNCTION(triggers_parse_source) {
  char *source = text_to_cstring(PG_GETARG_TEXT_PP(0));
  char *clean = CleanSource(source);
  return DirectFunctionCall1(jsonb_in, CStringGetDatum(clean));
}

/*
 * triggers._check_definition(workflow text, definition jsonb) returns void:
 * raises 22023 naming the task, the directive and the workflow (if any).
 */
TRIGGERS_FUNCTION(triggers_check_definition) {
  triggers::RequireArg(fcinfo, 1, "definition");
  const char *workflow = PG_ARGISNULL(0) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(0));
  ProblemList list = FindProblems(JsonbArgText(fcinfo, 1));
  if (list.count == 0) PG_RETURN_VOID();
  const char *task = list.first_task;
  if (task[0] == '\0')
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    workflow ? errmsg("invalid definition for workflow \"%s\"", workflow)
                             : errmsg("invalid task configuration"),
                    errdetail_internal("%s", list.first_detail)));
  ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                  workflow ? errmsg("invalid task \"%s\" in workflow \"%s\"", task, workflow)
                           : errmsg("invalid task \"%s\"", task),
                  errdetail_internal("%s", list.first_detail),
                  list.count > 1 ? errhint("%d problems in all; triggers_validate() lists them.", list.count) : 0));
  PG_RETURN_VOID();
}

/* triggers._problems(definition jsonb) returns text[]: every problem, never raising. */
TRIGGERS_FUNCTION(triggers_problems) {
  ProblemList list = FindProblems(JsonbArgText(fcinfo, 0));
  Datum *items = static_cast<Datum *>(palloc(sizeof(Datum) * (list.count + 1)));
  for (int i = 0; i < list.count; ++i) items[i] = CStringGetTextDatum(list.lines[i]);
  PG_RETURN_ARRAYTYPE_P(construct_array(items, list.count, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * triggers._check_name(what text, name text) returns text: the name, or
 * 22004 (NULL) / 22023 (empty, too long, control characters) naming `what`.
 */
TRIGGERS_FUNCTION(triggers_check_name) {
  triggers::RequireArg(fcinfo, 0, "what");
  char *what = text_to_cstring(PG_GETARG_TEXT_PP(0));
  PG_RETURN_TEXT_P(triggers::NameArg(fcinfo, 1, what));
}

/* triggers._is_queue_name(name text) returns boolean */
TRIGGERS_FUNCTION(triggers_is_queue_name) {
  char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
  PG_RETURN_BOOL(QueueNameIsValid(name));
}
