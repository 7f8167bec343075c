# Fuzzing (issue #7 part 1). Every target's entry point lives in
# tests/fuzz/fuzz_<name>.cpp as `trainia::fuzz::<name>_one(data, size)`:
#  - always: those files are compiled into unit_tests (g++), where
#    tests/fuzz/regressions_test.cpp replays tests/fuzz/corpus/<name>/ and
#    tests/fuzz/regressions/<name>/ through the same entry points, so a crash
#    once found stays fixed in the normal suite;
#  - with -DTRAINIA_FUZZ=ON (clang only, own build dir, tests off): the whole
#    code base is instrumented with -fsanitize=fuzzer-no-link,address,undefined
#    and each file becomes a libFuzzer binary `fuzz_<name>` (scripts/fuzz).
set(TRAINIA_FUZZ_TARGETS http json_bodies jwt stripe_signature svix_signature config)

if(TRAINIA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TRAINIA_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++-14)")
  endif()
  if(TRAINIA_SANITIZE)
    message(FATAL_ERROR "TRAINIA_FUZZ brings its own sanitizers: leave TRAINIA_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -gline-tables-only)
  add_link_options(-fsanitize=address,undefined)
endif()

function(trainia_fuzz_targets)
  set(dir "${CMAKE_CURRENT_SOURCE_DIR}/tests/fuzz")
  set(entry_sources "${dir}/fuzz_common.cpp")
  foreach(name IN LISTS TRAINIA_FUZZ_TARGETS)
    list(APPEND entry_sources "${dir}/fuzz_${name}.cpp")
  endforeach()
  if(TARGET unit_tests)
    target_sources(unit_tests PRIVATE ${entry_sources} "${dir}/regressions_test.cpp")
  endif()
  if(TRAINIA_FUZZ)
    foreach(name IN LISTS TRAINIA_FUZZ_TARGETS)
      add_executable(fuzz_${name} "${dir}/fuzz_${name}.cpp" "${dir}/fuzz_common.cpp")
      target_compile_definitions(fuzz_${name} PRIVATE TRAINIA_LIBFUZZER=1)
      target_include_directories(fuzz_${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/tests")
      target_link_libraries(fuzz_${name} PRIVATE trainia_core)
      target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    endforeach()
  endif()
endfunction()
cmake_language(DEFER CALL trainia_fuzz_targets)
