#pragma once
// A private PostgreSQL server for tests: initdb into a temp dir, pg_ctl start on a free
// port with its unix socket in that dir (no TCP), createdb per test database, and
// pg_ctl stop -m immediate in the destructor.
//
// PostgreSQL refuses to run as root: when the test runs as root the server runs as
// "nobody" (runuser) in a temp dir owned by nobody. When the binaries are missing or the
// server cannot start, skipReason() says why and the test skips.

#include <filesystem>
#include <string>

#include "tests/support/process.hpp"

namespace parley::test {

class PgServer {
  public:
    PgServer();
    ~PgServer();
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    // "" when the server runs; else why it does not.
    const std::string& skipReason() const { return skipReason_; }

    // Creates database `name`; "" on success, else the error output.
    std::string createDatabase(const std::string& name);
    // A store URI for database `name` (user parley, no password, the socket dir as host).
    std::string uri(const std::string& name) const;
    // The same through ?host= and ?port= parameters.
    std::string uriWithParameters(const std::string& name) const;

  private:
    // Runs a PostgreSQL program as the server's user; its output goes to `log`.
    int run(const std::string& program, const std::string& arguments) const;

    TempDir dir_{"as-store-pg"};
    std::filesystem::path bin_;
    std::string asUser_;  // "runuser -u nobody -- " when root
    int port_ = 0;
    bool started_ = false;
    std::string skipReason_;
};

}  // namespace parley::test
