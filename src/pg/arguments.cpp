/*
 * arguments.cpp — argument checks shared by the SQL functions.
 */
#include "triggers/arguments.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
}

#include "triggers/core/definition.hpp"

namespace triggers {

void RequireArg(FunctionCallInfo fcinfo, int argno, const char *what) {
  if (PG_ARGISNULL(argno))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
}

text *NameArg(FunctionCallInfo fcinfo, int argno, const char *what) {
  if (PG_ARGISNULL(argno))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
  text *name = PG_GETARG_TEXT_PP(argno);
  char *cname = text_to_cstring(name);
  if (core::IsValidName(cname)) return name;
  int full = static_cast<int>(strlen(cname));
  int shown = pg_mbcliplen(cname, full, 64);
  ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                  errmsg("invalid %s \"%.*s%s\"", what, shown, cname, shown < full ? "..." : ""),
                  errdetail("Names must be 1 to 255 characters without control characters.")));
  return nullptr;
}

/* jsonb_typeof's name for a non-object document. */
const char *TypeName(Jsonb *jb) {
  JsonbValue scalar;
  if (!JB_ROOT_IS_SCALAR(jb) || !JsonbExtractScalar(&jb->root, &scalar)) return "array";
  switch (scalar.type) {
    case jbvNull: return "null";
    case jbvString: return "string";
    case jbvNumeric: return "number";
    case jbvBool: return "boolean";
    default: return "scalar";
  }
}

/* How deeply arrays and objects nest in a document. */
int Depth(Jsonb *jb) {
  JsonbIterator *it = JsonbIteratorInit(&jb->root);
  JsonbValue v;
  JsonbIteratorToken token;
  int depth = 0, deepest = 0;
  while ((token = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
    if (token == WJB_BEGIN_ARRAY || token == WJB_BEGIN_OBJECT) {
      ++depth;  /* not inside Max(): the macro evaluates its arguments twice */
      deepest = Max(deepest, depth);
    } else if (token == WJB_END_ARRAY || token == WJB_END_OBJECT) --depth;
  }
  return deepest;
}

Datum ObjectArg(FunctionCallInfo fcinfo, int argno, const char *what) {
  return ObjectValue(PG_ARGISNULL(argno) ? (Datum)0 : PG_GETARG_DATUM(argno), PG_ARGISNULL(argno), what);
}

Datum ObjectValue(Datum value, bool isnull, const char *what) {
  if (!isnull) {
    Jsonb *jb = DatumGetJsonbP(value);
    if (JB_ROOT_IS_OBJECT(jb)) {
      /* deeper documents could not be nested into instances and session state later */
      if (Depth(jb) > kMaxObjectDepth)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s is nested too deeply", what),
                        errdetail("At most %d levels of arrays and objects are accepted.", kMaxObjectDepth)));
      return PointerGetDatum(jb);
    }
    const char *type = TypeName(jb);
    if (strcmp(type, "null") != 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("%s must be a JSON object, not %s", what, type)));
  }
  return DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
}

}  // namespace triggers

/* triggers._object(value jsonb, what text) returns jsonb: ObjectArg for PL/pgSQL callers. */
TRIGGERS_FUNCTION(triggers_object) {
  triggers::RequireArg(fcinfo, 1, "what");
  char *what = text_to_cstring(PG_GETARG_TEXT_PP(1));
  PG_RETURN_DATUM(triggers::ObjectArg(fcinfo, 0, what));
}
