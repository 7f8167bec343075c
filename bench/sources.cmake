# Helpers of the benchmark harness (bench/run). They link nothing of trainia_core:
# the tokens and signatures they make are computed independently of the server.
add_executable(bench_fake_provider ${CMAKE_CURRENT_SOURCE_DIR}/bench/fake_provider.cpp)
target_compile_definitions(bench_fake_provider PRIVATE BOOST_BEAST_USE_STD_STRING_VIEW BOOST_ASIO_NO_DEPRECATED)
target_compile_options(bench_fake_provider PRIVATE ${TRAINIA_WARNINGS})
target_link_libraries(bench_fake_provider PRIVATE Boost::system Threads::Threads)

add_executable(bench_gen ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_gen.cpp)
target_compile_options(bench_gen PRIVATE ${TRAINIA_WARNINGS})
target_link_libraries(bench_gen PRIVATE OpenSSL::Crypto)

add_executable(bench_burst_client ${CMAKE_CURRENT_SOURCE_DIR}/bench/burst_client.cpp)
target_compile_definitions(bench_burst_client PRIVATE BOOST_BEAST_USE_STD_STRING_VIEW BOOST_ASIO_NO_DEPRECATED)
target_compile_options(bench_burst_client PRIVATE ${TRAINIA_WARNINGS})
target_link_libraries(bench_burst_client PRIVATE Boost::system Threads::Threads)
