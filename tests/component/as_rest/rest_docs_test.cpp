// docs/openapi.yaml against the server: every documented path and method is served (not the
// router's 404 or 405), every route the source registers is documented; and the curl
// examples of docs/api.md marked "<!-- test: run -->" succeed when run through sh.

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "tests/component/as_rest/rest_fixture.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::rest {

namespace {

std::string text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// The subset of YAML docs/openapi.yaml uses for paths: under "paths:", a path is a key at
// two spaces ("  /v1/x/{id}:"), a method a key at four ("    get:"). "METHOD /path" pairs.
std::set<std::string> documentedRoutes(const std::string& yaml) {
    std::set<std::string> out;
    std::istringstream in(yaml);
    std::string line, path;
    bool inPaths = false;
    const std::string pathRe = "^  (/[^ :]+):\\s*$";
    const std::string methodRe = "^    (get|post|put|patch|delete):.*$";
    std::vector<std::string> m;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] != ' ') {
            inPaths = line.rfind("paths:", 0) == 0;
            continue;
        }
        if (!inPaths) continue;
        if (!(m = parley::test::reMatch(line, pathRe)).empty()) path = m[1];
        else if (!path.empty() && !(m = parley::test::reMatch(line, methodRe)).empty()) out.insert(upper(m[1]) + " " + path);
    }
    return out;
}

// Routes registered in as/rest/*.cpp: ("GET", "/v1/...") string pairs.
std::set<std::string> servedRoutes() {
    std::set<std::string> out;
    const std::string re = "\"(GET|POST|PUT|PATCH|DELETE)\",\\s*\"(/v1/[^\"]*)\"";
    for (const auto& entry : std::filesystem::directory_iterator(sourceDir() / "as" / "rest")) {
        if (entry.path().extension() != ".cpp") continue;
        std::string src = text(entry.path());
        for (const auto& m : parley::test::reSearchAll(src, re)) out.insert(m[1] + " " + m[2]);
    }
    return out;
}

bool routerMiss(const HttpReply& r) {
    return r.status == 405 || (r.status == 404 && r.body.find("no resource at") != std::string::npos);
}

}  // namespace

TEST_CASE("REST docs: openapi.yaml and the served routes agree", "[rest][docs]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    const auto yaml = text(sourceDir() / "docs" / "openapi.yaml");
    REQUIRE_FALSE(yaml.empty());
    REQUIRE(yaml.rfind("openapi: 3.0", 0) == 0);
    const auto documented = documentedRoutes(yaml);
    const auto served = servedRoutes();
    REQUIRE(documented.size() >= 20);
    for (const auto& route : served) {
        INFO(route);
        CHECK(documented.count(route) == 1);
    }

    RestSystem fx(focus::roomsJson({focus::room("r1")}));
    for (const auto& route : documented) {
        auto space = route.find(' ');
        std::string method = route.substr(0, space);
        std::string path = parley::test::reReplace(route.substr(space + 1), "\\{name\\}", "r1");
        path = parley::test::reReplace(path, "\\{id\\}", "nobody");
        // A DELETE of the room itself would end the fixture's room for the routes after it.
        if (method == "DELETE" && path == "/v1/conferences/r1") path = "/v1/conferences/gone-already";
        auto r = call(fx.httpPort(), method, path, method == "POST" || method == "PATCH" ? "{}" : "");
        INFO(route << " -> " << r.status << " " << r.body);
        CHECK(r.status != 0);
        CHECK_FALSE(routerMiss(r));
        // Methods the document does not list on a documented path are not served.
        for (const char* other : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
            if (documented.count(std::string(other) + " " + route.substr(space + 1))) continue;
            auto o = call(fx.httpPort(), other, path, "");
            INFO(other << " " << path << " -> " << o.status);
            CHECK(o.status == 405);
        }
    }
}

TEST_CASE("REST docs: the curl examples of docs/api.md work", "[rest][docs]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    if (!haveProgram("curl")) PARLEY_SKIP("curl is not installed");
    const auto md = text(sourceDir() / "docs" / "api.md");
    std::vector<std::string> scripts;
    std::istringstream in(md);
    std::string line;
    bool marked = false, inBlock = false;
    std::string block;
    while (std::getline(in, line)) {
        if (inBlock) {
            if (line.rfind("```", 0) == 0) {
                scripts.push_back(block);
                inBlock = false;
            } else {
                block += line + "\n";
            }
        } else if (line.find("<!-- test: run -->") != std::string::npos) {
            marked = true;
        } else if (marked && line.rfind("```sh", 0) == 0) {
            inBlock = true;
            marked = false;
            block.clear();
        }
    }
    REQUIRE(scripts.size() >= 5);
    RestSystem fx(focus::roomsJson({focus::room("r1")}));
    const std::string api = "http://127.0.0.1:" + std::to_string(fx.httpPort());
    for (std::size_t i = 0; i < scripts.size(); ++i) {
        const auto script = fx.dir() / ("example-" + std::to_string(i) + ".sh");
        { std::ofstream(script) << "set -e\n" << scripts[i]; }
        Process p = Process::start({"/usr/bin/env", "API=" + api, std::string("TOKEN=") + kToken, "sh", script.string()},
                                   "example-" + std::to_string(i), fx.dir());
        auto exit = p.wait(30s);
        INFO(scripts[i] << "\n--- output:\n" << p.output());
        CHECK((exit && *exit == 0));
    }
}

}  // namespace parley::test::rest
