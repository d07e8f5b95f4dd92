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

Datum ObjectArg(FunctionCallInfo fcinfo, int argno, const char *what) {
  if (!PG_ARGISNULL(argno)) {
    Jsonb *jb = PG_GETARG_JSONB_P(argno);
    if (JB_ROOT_IS_OBJECT(jb)) return PointerGetDatum(jb);
    const char *type = TypeName(jb);
    if (strcmp(type, "null") != 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("%s must be a JSON object, not %s", what, type)));
  }
  return DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
}

}  // namespace triggers
