/*
 * jsonb_values.cpp — see jsonb_values.hpp.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/jsonb_values.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

namespace {

JsonbValue JsonString(const char *text, int length) {
  JsonbValue v;
  v.type = jbvString;
  v.val.string.val = const_cast<char *>(text);
  v.val.string.len = length;
  return v;
}

JsonbValue JsonString(const char *text) { return JsonString(text, static_cast<int>(strlen(text))); }

void Key(JsonbParseState **state, const char *key) {
  JsonbValue k = JsonString(key);
  pushJsonbValue(state, WJB_KEY, &k);
}

void Value(JsonbParseState **state, JsonbValue v) { pushJsonbValue(state, WJB_VALUE, &v); }

}  // namespace

namespace triggers {

Datum JsonbPair(Datum key, Datum value) {
  text *name = DatumGetTextPP(key);
  Jsonb *object = DatumGetJsonbP(value);
  JsonbParseState *state = nullptr;
  pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
  JsonbValue k = JsonString(VARDATA_ANY(name), static_cast<int>(VARSIZE_ANY_EXHDR(name)));
  pushJsonbValue(&state, WJB_KEY, &k);
  JsonbValue v;
  v.type = jbvBinary; /* pushJsonbValue copies the object's contents */
  v.val.binary.data = &object->root;
  v.val.binary.len = static_cast<int>(VARSIZE(object) - VARHDRSZ);
  pushJsonbValue(&state, WJB_VALUE, &v);
  return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, nullptr)));
}

Datum InitialMetadata() {
  JsonbParseState *state = nullptr;
  pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
  Key(&state, "depth");
  JsonbValue zero;
  zero.type = jbvNumeric;
  zero.val.numeric = int64_to_numeric(0);
  Value(&state, zero);
  return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, nullptr)));
}

}  // namespace triggers
