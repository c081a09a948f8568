// `strata token create | list | revoke`: the bearer tokens of a data directory
// (auth/tokens.h). They work on DATA itself, beside a running server (which notices a change
// at its next request); each is written to the audit log.
#pragma once

#include <string>
#include <vector>

namespace strata::api {

struct TokenArgs {
  std::string data, name, role, id;
  std::vector<std::string> ingest, read;
  bool json = false;
};

// Prints the new token alone on stdout (the only time it is shown); --json: an object.
int RunTokenCreate(const TokenArgs& args);
int RunTokenList(const TokenArgs& args);
int RunTokenRevoke(const TokenArgs& args);

}  // namespace strata::api
