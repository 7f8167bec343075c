#include "app/cli.hpp"

int main(int argc, char** argv) { return trainia::run_cli(argc, argv); }
