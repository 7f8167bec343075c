# Sanitizer builds (issue #7 part 2). TRAINIA_SANITIZE is "" (none),
# "address,undefined" (ASan + UBSan, scripts/test's asan stage) or "thread"
# (TSan, scripts/tsan). Every target of the build gets the flags — the core
# library, the server binary and the tests — so the server that integration
# tests start runs sanitized too. UBSan findings abort (no recovery), so a
# report can never scroll by unnoticed.
set(TRAINIA_SANITIZE "" CACHE STRING "Sanitizers: \"\", \"address,undefined\" or \"thread\"")
set_property(CACHE TRAINIA_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")

if(TRAINIA_SANITIZE)
  if(NOT TRAINIA_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "TRAINIA_SANITIZE: unsupported value '${TRAINIA_SANITIZE}'")
  endif()
  add_compile_options(-fsanitize=${TRAINIA_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${TRAINIA_SANITIZE})
  if(TRAINIA_SANITIZE MATCHES "undefined")
    # Recoverable only where a third-party header needs a suppression (see
    # tests/sanitizers/ubsan.supp); UBSAN_OPTIONS=halt_on_error=1 still stops
    # at any report that is not suppressed.
    add_compile_options(-fno-sanitize-recover=undefined -fsanitize-recover=null)
    add_link_options(-fno-sanitize-recover=undefined -fsanitize-recover=null)
  endif()
endif()
