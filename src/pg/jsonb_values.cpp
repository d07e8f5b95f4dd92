/*
 * jsonb_values.cpp — see jsonb_values.hpp.  Timestamps are written the way
 * to_jsonb(timestamptz) writes them (JsonEncodeDateTime).
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/jsonb_values.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
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

bool KeyIs(const JsonbValue &key, const char *name, int length) {
  return key.val.string.len == length && memcmp(key.val.string.val, name, length) == 0;
}

/* Copies the pairs of the object `container` whose key is not one of the two names. */
void CopyPairsExcept(JsonbParseState **state, JsonbContainer *container, const char *a, int a_len, const char *b,
                     int b_len) {
  JsonbIterator *it = JsonbIteratorInit(container);
  JsonbValue v;
  JsonbIteratorToken token = JsonbIteratorNext(&it, &v, true); /* WJB_BEGIN_OBJECT */
  while ((token = JsonbIteratorNext(&it, &v, true)) == WJB_KEY) {
    JsonbValue key = v;
    (void)JsonbIteratorNext(&it, &v, true); /* its value, nested containers left packed */
    if (KeyIs(key, a, a_len) || KeyIs(key, b, b_len)) continue;
    pushJsonbValue(state, WJB_KEY, &key);
    pushJsonbValue(state, WJB_VALUE, &v);
  }
}

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

Datum ScheduledMetadata(TimestampTz now) {
  const char *when = JsonEncodeDateTime(nullptr, TimestampTzGetDatum(now), TIMESTAMPTZOID, nullptr);
  JsonbParseState *state = nullptr;
  pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
  Key(&state, "depth");
  JsonbValue zero;
  zero.type = jbvNumeric;
  zero.val.numeric = int64_to_numeric(0);
  Value(&state, zero);
  Key(&state, "timestamps");
  pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
  for (const char *stamp : {"created", "lastModified", "unstarted", "scheduled"}) {
    Key(&state, stamp);
    Value(&state, JsonString(when));
  }
  pushJsonbValue(&state, WJB_END_OBJECT, nullptr);
  return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, nullptr)));
}

Datum StampedMetadata(Datum metadata, Datum status, TimestampTz now) {
  Jsonb *meta = DatumGetJsonbP(metadata);
  text *name = DatumGetTextPP(status);
  const char *status_name = VARDATA_ANY(name);
  int status_len = static_cast<int>(VARSIZE_ANY_EXHDR(name));
  JsonbValue when = JsonString(JsonEncodeDateTime(nullptr, TimestampTzGetDatum(now), TIMESTAMPTZOID, nullptr));
  JsonbParseState *state = nullptr;
  pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
  CopyPairsExcept(&state, &meta->root, "timestamps", 10, "", -1);
  Key(&state, "timestamps");
  pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
  JsonbValue key = JsonString("timestamps"), old;
  JsonbValue *found = getKeyJsonValueFromContainer(&meta->root, key.val.string.val, key.val.string.len, &old);
  if (found != nullptr && found->type == jbvBinary && JsonContainerIsObject(found->val.binary.data))
    CopyPairsExcept(&state, found->val.binary.data, "lastModified", 12, status_name, status_len);
  Key(&state, "lastModified");
  Value(&state, when);
  JsonbValue status_key = JsonString(status_name, status_len);
  pushJsonbValue(&state, WJB_KEY, &status_key);
  Value(&state, when);
  pushJsonbValue(&state, WJB_END_OBJECT, nullptr);
  return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, nullptr)));
}

}  // namespace triggers

/*
 * triggers._stamp(metadata jsonb, status text) returns jsonb: the metadata
 * of an instance entering `status` now (StampedMetadata).
 */
TRIGGERS_FUNCTION(triggers_stamp) {
  Jsonb *meta = PG_GETARG_JSONB_P(0);
  if (!JB_ROOT_IS_OBJECT(meta)) meta = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
  PG_RETURN_DATUM(triggers::StampedMetadata(JsonbPGetDatum(meta), PG_GETARG_DATUM(1),
                                            GetCurrentTransactionStartTimestamp()));
}
