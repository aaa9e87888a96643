/*
 * madvise(MADV_HUGEPAGE) over the whole 2 MiB pages inside an ArrayBuffer's memory.
 *
 * With transparent huge pages in "madvise" mode (the usual default), Linux backs a region
 * with 2 MiB pages only when the process asks. The search tables are a WebAssembly memory of
 * about 1.2 GB at 10 M hashes that every query reads at random places, so nearly every read
 * misses the TLB; on 4 KiB pages each miss is a page-table walk (two-dimensional on a virtual
 * machine). Asking must come before the pages are first touched: pages already faulted in
 * as 4 KiB stay so until khugepaged gets round to them.
 */
#include <node_api.h>
#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

static napi_value advise(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  size_t length = 0;
  napi_value result;
  bool done = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, "INVALID_OPTION", "adviseHugePages expects an ArrayBuffer");
    return NULL;
  }
#ifdef MADV_HUGEPAGE
  uintptr_t start = ((uintptr_t)data + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  uintptr_t end = ((uintptr_t)data + length) & ~(HUGE_PAGE - 1);
  done = end > start && madvise((void *)start, end - start, MADV_HUGEPAGE) == 0;
#endif
  napi_get_boolean(env, done, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "adviseHugePages", NAPI_AUTO_LENGTH, advise, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "adviseHugePages", fn) != napi_ok) return NULL;
  return exports;
}
