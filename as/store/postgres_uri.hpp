#pragma once
// PostgreSQL database URIs for the RoomStore: "postgresql://user:pass@host:port/db?k=v&..."
// (or "postgres://...") turned into the libpq key=value form that Poco::Data::PostgreSQL
// takes, and the same URI with its password hidden for messages and logs.
//
// Contract:
// - User, password, host, database and parameter values are percent-decoded; the host may
//   be a socket directory written %2Fvar%2Frun%2Fpostgresql, or given as ?host=/dir.
//   An IPv6 host is written in brackets. Query parameters are libpq keywords ([a-z_]+) and
//   override the parts before them ("?port=5433").
// - Poco splits the connection string on spaces and does not understand libpq quoting, so
//   a value holding whitespace or control characters is refused (Error{400, ...}); quotes
//   and backslashes are escaped as libpq wants.
// - Pure functions over untrusted text: they never throw.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace parley::as {

// True for "postgresql://..." and "postgres://..." (the scheme in any case).
bool isPostgresUri(std::string_view uri);
// `text` starts with `lowerPrefix` (given in lower case), ASCII letters compared without case.
bool startsWithCaseless(std::string_view text, std::string_view lowerPrefix);

// "host=/tmp/x port=5432 dbname=parley user=u password=p sslmode=disable", keys in the
// order they first appear. Error{400, "<what>: ..."} for anything malformed.
common::Result<std::string> postgresConnectionString(std::string_view uri);

// The URI with the password (in the user part and in ?password=) replaced by "***".
std::string hidePassword(std::string_view uri);

}  // namespace parley::as
