/*
 * pg_boundary.cpp — the entry guard and helpers declared in pg_boundary.hpp.
 */
#include "triggers/pg_boundary.hpp"

#include <cstring>
#include <new>

namespace triggers {

namespace {

/* Fixed-size buffers: filling them cannot fail, so no error can escape a catch. */
struct ErrorText {
  int sqlstate = 0;
  char message[1024] = "";
  char detail[2048] = "";
  char hint[512] = "";
};

/* Copies src, cut if need be at a character boundary (UTF-8), never allocating. */
void Copy(char *dst, size_t size, const char *src) {
  size_t n = std::strlen(src);
  if (n >= size) {
    n = size - 1;
    while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xc0) == 0x80) --n;
  }
  std::memcpy(dst, src, n);
  dst[n] = '\0';
}

}  // namespace

/* The trampoline of every SQL-callable function: GuardedVoid around impl. */
Datum GuardedCall(Datum (*impl)(FunctionCallInfo), FunctionCallInfo fcinfo) {
  struct Call {
    Datum (*impl)(FunctionCallInfo);
    FunctionCallInfo fcinfo;
    Datum result;
  } call{impl, fcinfo, (Datum)0};
  GuardedVoid([](void *arg) {
    auto *c = static_cast<Call *>(arg);
    c->result = c->impl(c->fcinfo);
  }, &call);
  return call.result;
}

/*
 * The guard itself.  The catch handlers only copy text into fixed buffers;
 * the PostgreSQL error is raised after the try/catch statement has ended,
 * when the exception object is already destroyed.
 */
void GuardedVoid(void (*impl)(void *), void *arg) {
  sigjmp_buf *saved_stack = PG_exception_stack;
  ErrorContextCallback *saved_context_stack = error_context_stack;
  ErrorData *pg_error = nullptr;
  ErrorText text;
  try {
    impl(arg);
  } catch (const PgError &e) {
    pg_error = e.edata;
  } catch (const SqlError &e) {
    text.sqlstate = e.sqlstate;
    Copy(text.message, sizeof text.message, e.message.c_str());
    Copy(text.detail, sizeof text.detail, e.detail.c_str());
    Copy(text.hint, sizeof text.hint, e.hint.c_str());
  } catch (const std::bad_alloc &) {
    text.sqlstate = ERRCODE_OUT_OF_MEMORY;
    Copy(text.message, sizeof text.message, "out of memory");
  } catch (const std::exception &e) {
    text.sqlstate = ERRCODE_INTERNAL_ERROR;
    Copy(text.message, sizeof text.message, "internal error in triggers");
    Copy(text.detail, sizeof text.detail, e.what());
  } catch (...) {
    text.sqlstate = ERRCODE_INTERNAL_ERROR;
    Copy(text.message, sizeof text.message, "internal error in triggers");
  }
  PG_exception_stack = saved_stack;
  error_context_stack = saved_context_stack;
  if (pg_error != nullptr) ReThrowError(pg_error);
  if (text.sqlstate != 0)
    ereport(ERROR, (errcode(text.sqlstate), errmsg_internal("%s", text.message),
                    text.detail[0] ? errdetail_internal("%s", text.detail) : 0,
                    text.hint[0] ? errhint("%s", text.hint) : 0));
}

char *PallocString(const std::string &s) {
  char *out = nullptr;
  PgCall([&] { out = static_cast<char *>(palloc(s.size() + 1)); });
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

}  // namespace triggers
