// The `strata` command line. Every subcommand has --help; errors print one sentence,
// "strata: error: ...", on stderr and exit non-zero (1 for a failure, 2 for bad usage).
#pragma once

namespace strata::cli {

int Main(int argc, char** argv);

}  // namespace strata::cli
