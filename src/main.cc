#include "api/cli.h"

int main(int argc, char** argv) {
  return strata::api::Main(argc, argv);
}
