// The CFW writer against RFC 7058: the section 5 messages byte for byte (inline, and
// checked against rfc7058.txt when it is present), then every CFW message of the RFC as a
// round-trip vector read from the spec at run time.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "proto/cfw/parser.hpp"
#include "proto/cfw/writer.hpp"
#include "rfc7058_vectors.hpp"
#include "tests/support/spec_files.hpp"

namespace cfw = parley::proto::cfw;
using cfw::Message;
using cfw::Method;

namespace {

std::vector<std::string> list(std::initializer_list<const char*> items) {
    return std::vector<std::string>(items.begin(), items.end());
}

struct Vector {
    const char* what;
    std::string wire;
    Message message;
};

// RFC 7058 sections 5.2, 5.3, 5.4 and the 202 / REPORT acknowledgements of section 6.1.2.
std::vector<Vector> section5Vectors() {
    std::vector<Vector> v;
    {
        Message m = Message::request("6e5e86f95609", Method::Sync);
        m.dialogId = "5feb6486792a";
        m.keepAlive = 100;
        m.packages = list({"msc-ivr/1.0", "msc-mixer/1.0"});
        v.push_back({"5.2 SYNC",
                     "CFW 6e5e86f95609 SYNC\r\n"
                     "Dialog-ID: 5feb6486792a\r\n"
                     "Keep-Alive: 100\r\n"
                     "Packages: msc-ivr/1.0,msc-mixer/1.0\r\n"
                     "\r\n",
                     m});
    }
    {
        Message m = Message::response("6e5e86f95609", 200);
        m.keepAlive = 100;
        m.packages = list({"msc-ivr/1.0", "msc-mixer/1.0"});
        m.supported = list({"msc-example-pkg/1.0"});
        v.push_back({"5.2 200",
                     "CFW 6e5e86f95609 200\r\n"
                     "Keep-Alive: 100\r\n"
                     "Packages: msc-ivr/1.0,msc-mixer/1.0\r\n"
                     "Supported: msc-example-pkg/1.0\r\n"
                     "\r\n",
                     m});
    }
    v.push_back({"5.3 K-ALIVE", "CFW 518ba6047880 K-ALIVE\r\n\r\n",
                 Message::request("518ba6047880", Method::KAlive)});
    v.push_back({"5.3 200", "CFW 518ba6047880 200\r\n\r\n", Message::response("518ba6047880", 200)});
    {
        Message m = Message::request("2b4dd8724f27", Method::Sync);
        m.dialogId = "4hrn7490012c";
        m.keepAlive = 100;
        m.packages = list({"msc-ivr/1.0", "msc-mixer/1.0"});
        v.push_back({"5.4 SYNC with wrong Dialog-ID",
                     "CFW 2b4dd8724f27 SYNC\r\n"
                     "Dialog-ID: 4hrn7490012c\r\n"
                     "Keep-Alive: 100\r\n"
                     "Packages: msc-ivr/1.0,msc-mixer/1.0\r\n"
                     "\r\n",
                     m});
    }
    v.push_back({"5.4 481", "CFW 2b4dd8724f27 481\r\n\r\n", Message::response("2b4dd8724f27", 481)});
    {
        Message m = Message::request("101fbbd62c35", Method::Control);
        m.controlPackage = "msc-ivr/1.0";
        m.contentType = "application/msc-ivr+xml";
        m.body = "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\"><audit/></mscivr>";
        v.push_back({"5.4 CONTROL instead of SYNC",
                     "CFW 101fbbd62c35 CONTROL\r\n"
                     "Control-Package: msc-ivr/1.0\r\n"
                     "Content-Type: application/msc-ivr+xml\r\n"
                     "Content-Length: 78\r\n"
                     "\r\n"
                     "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\"><audit/></mscivr>",
                     m});
    }
    v.push_back({"5.4 403", "CFW 101fbbd62c35 403\r\n\r\n", Message::response("101fbbd62c35", 403)});
    {
        Message m = Message::response("796d83aa1ce4", 202);
        m.timeout = 5;
        v.push_back({"6.1.2 202", "CFW 796d83aa1ce4 202\r\nTimeout: 5\r\n\r\n", m});
    }
    {
        Message m = Message::response("796d83aa1ce4", 200);
        m.seq = 1;
        v.push_back({"6.1.2 200 to REPORT", "CFW 796d83aa1ce4 200\r\nSeq: 1\r\n\r\n", m});
    }
    return v;
}

std::vector<cfw::ParseEvent> parseEvents(const std::string& wire) {
    cfw::Parser p;
    p.feed(wire);
    std::vector<cfw::ParseEvent> out;
    while (auto ev = p.next()) out.push_back(std::move(*ev));
    return out;
}

std::vector<std::string> headerLinesOf(const std::string& wire) {
    std::vector<std::string> lines;
    std::size_t at = wire.find("\r\n") + 2;  // skip the start line
    while (true) {
        auto e = wire.find("\r\n", at);
        if (e == std::string::npos || e == at) break;
        lines.push_back(wire.substr(at, e - at));
        at = e + 2;
    }
    return lines;
}

}  // namespace

TEST_CASE("cfw writer: RFC 7058 section 5 messages, byte for byte", "[cfw][writer][rfc7058]") {
    for (const auto& v : section5Vectors()) {
        INFO(v.what);
        CHECK(cfw::serialize(v.message) == v.wire);
        auto evs = parseEvents(v.wire);
        REQUIRE(evs.size() == 1);
        REQUIRE(std::holds_alternative<Message>(evs[0]));
        CHECK(std::get<Message>(evs[0]) == v.message);
    }
}

TEST_CASE("cfw writer: the inline section 5 vectors are the ones in rfc7058.txt",
          "[cfw][writer][rfc7058]") {
    auto vectors = parley::test::cfw::loadRfc7058Vectors();
    if (!vectors) PARLEY_SKIP("rfc7058.txt not found (../shared/spec absent)");
    for (const auto& v : section5Vectors()) {
        INFO(v.what);
        std::string startLine = v.wire.substr(0, v.wire.find("\r\n"));
        auto it = std::find_if(vectors->begin(), vectors->end(),
                               [&](const auto& r) { return r.startLine == startLine; });
        REQUIRE(it != vectors->end());
        if (v.message.body.empty()) {
            CHECK(it->wire() == v.wire);
        } else {
            // The RFC indents the XML for reading; its Content-Length counts the compact form.
            CHECK(it->headerLines == headerLinesOf(v.wire));
        }
    }
}

TEST_CASE("cfw writer: every CFW message of RFC 7058 round-trips", "[cfw][writer][rfc7058]") {
    auto vectors = parley::test::cfw::loadRfc7058Vectors();
    if (!vectors) PARLEY_SKIP("rfc7058.txt not found (../shared/spec absent)");
    REQUIRE(vectors->size() >= 55);
    std::set<std::string> kinds;
    for (const auto& v : *vectors) {
        INFO(v.heading << "\n" << v.wire());
        auto evs = parseEvents(v.wire());
        REQUIRE(evs.size() == 1);
        REQUIRE(std::holds_alternative<Message>(evs[0]));
        const Message& m = std::get<Message>(evs[0]);
        kinds.insert(m.isRequest() ? m.method : std::to_string(m.status));

        // The writer reproduces the RFC's start line and header lines in the RFC's order
        // (Content-Length being the real size of the de-indented body).
        std::string written = cfw::serialize(m);
        CHECK(written.substr(0, written.find("\r\n")) == v.startLine);
        CHECK(headerLinesOf(written) == v.correctedHeaderLines());
        CHECK(written == v.wire());

        auto again = parseEvents(written);
        REQUIRE(again.size() == 1);
        REQUIRE(std::holds_alternative<Message>(again[0]));
        CHECK(std::get<Message>(again[0]) == m);
    }
    for (const char* k : {"SYNC", "K-ALIVE", "CONTROL", "REPORT", "200", "202", "403", "481"}) {
        INFO(k);
        CHECK(kinds.count(k) == 1);
    }
}

TEST_CASE("cfw writer: header order and list syntax", "[cfw][writer]") {
    Message m = Message::request("abcd1234", Method::Report);
    m.contentType = "application/msc-mixer+xml";
    m.body = "<x/>";
    m.timeout = 10;
    m.reportStatus = cfw::ReportStatus::Update;
    m.seq = 7;
    m.extensions.push_back({"X-Trace", "abc"});
    CHECK(cfw::serialize(m) ==
          "CFW abcd1234 REPORT\r\n"
          "Seq: 7\r\n"
          "Status: update\r\n"
          "Timeout: 10\r\n"
          "X-Trace: abc\r\n"
          "Content-Type: application/msc-mixer+xml\r\n"
          "Content-Length: 4\r\n"
          "\r\n"
          "<x/>");
}

TEST_CASE("cfw writer: Content-Length 0 only on request", "[cfw][writer]") {
    Message m = Message::request("abcd1234", Method::Control);
    m.controlPackage = "msc-ivr/1.0";
    CHECK(cfw::serialize(m) == "CFW abcd1234 CONTROL\r\nControl-Package: msc-ivr/1.0\r\n\r\n");
    CHECK(cfw::serialize(m, cfw::WriteOptions{true}) ==
          "CFW abcd1234 CONTROL\r\nControl-Package: msc-ivr/1.0\r\nContent-Length: 0\r\n\r\n");
    m.contentType = "a/b";
    CHECK(cfw::serialize(m) ==
          "CFW abcd1234 CONTROL\r\nControl-Package: msc-ivr/1.0\r\nContent-Type: a/b\r\n"
          "Content-Length: 0\r\n\r\n");
    // Both forms parse back to the same message.
    auto evs = parseEvents(cfw::serialize(m, cfw::WriteOptions{true}));
    REQUIRE(evs.size() == 1);
    CHECK(std::get<Message>(evs[0]) == m);
}
