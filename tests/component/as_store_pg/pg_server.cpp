#include "tests/component/as_store_pg/pg_server.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace parley::test {

namespace {

// The newest /usr/lib/postgresql/<version>/bin holding initdb, or "".
std::filesystem::path findPostgresBin() {
    std::error_code ec;
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
        auto bin = entry.path() / "bin";
        if (std::filesystem::exists(bin / "initdb", ec) &&
            std::filesystem::exists(bin / "pg_ctl", ec))
            found.push_back(bin);
    }
    if (found.empty()) return {};
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        auto version = [](const std::filesystem::path& p) {
            return std::atoi(p.parent_path().filename().c_str());
        };
        return version(a) < version(b);
    });
    return found.back();
}

std::string readAll(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string percentEncodePath(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c == '/')
            out += "%2F";
        else
            out += c;
    }
    return out;
}

}  // namespace

PgServer::PgServer() {
    bin_ = findPostgresBin();
    if (bin_.empty()) {
        skipReason_ = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)";
        return;
    }
    if (geteuid() == 0) {
        passwd* nobody = getpwnam("nobody");
        if (!nobody) {
            skipReason_ = "running as root and there is no user nobody to run PostgreSQL as";
            return;
        }
        if (!haveProgram("runuser")) {
            skipReason_ = "running as root and runuser is missing";
            return;
        }
        if (chown(dir_.path().c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
            skipReason_ = "cannot give the temp dir to nobody";
            return;
        }
        asUser_ = "runuser -u nobody -- ";
    }
    if (run("initdb", "-D '" + (dir_.path() / "data").string() +
                          "' -A trust -U parley -E UTF8 --locale=C --no-sync") != 0) {
        skipReason_ = "initdb failed: " + readAll(dir_.path() / "cmd.log");
        return;
    }
    port_ = freePort();
    const std::string options = "-p " + std::to_string(port_) + " -k '" + dir_.path().string() +
                                "' -c listen_addresses='' -c fsync=off -c max_connections=40";
    if (run("pg_ctl", "-D '" + (dir_.path() / "data").string() + "' -o \"" + options + "\" -l '" +
                          (dir_.path() / "server.log").string() + "' -w -t 60 start") != 0) {
        skipReason_ = "pg_ctl start failed: " + readAll(dir_.path() / "cmd.log") +
                      readAll(dir_.path() / "server.log");
        return;
    }
    started_ = true;
}

PgServer::~PgServer() {
    if (started_) run("pg_ctl", "-D '" + (dir_.path() / "data").string() + "' -m immediate stop");
}

int PgServer::run(const std::string& program, const std::string& arguments) const {
    const std::string command = asUser_ + "'" + (bin_ / program).string() + "' " + arguments +
                                " > '" + (dir_.path() / "cmd.log").string() + "' 2>&1";
    int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string PgServer::createDatabase(const std::string& name) {
    if (run("createdb", "-h '" + dir_.path().string() + "' -p " + std::to_string(port_) +
                            " -U parley " + name) == 0)
        return "";
    std::string out = readAll(dir_.path() / "cmd.log");
    return out.empty() ? "createdb failed" : out;
}

std::string PgServer::uri(const std::string& name) const {
    return "postgresql://parley@" + percentEncodePath(dir_.path().string()) + ":" +
           std::to_string(port_) + "/" + name;
}

std::string PgServer::uriWithParameters(const std::string& name) const {
    return "postgres://parley@/" + name + "?host=" + dir_.path().string() +
           "&port=" + std::to_string(port_) + "&application_name=parley-test";
}

}  // namespace parley::test
