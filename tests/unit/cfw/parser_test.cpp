// The incremental CFW parser: splits, framing, limits, resynchronisation after bad input.

#include <catch2/catch.hpp>

#include <random>

#include "proto/cfw/parser.hpp"
#include "proto/cfw/writer.hpp"

namespace cfw = parley::proto::cfw;
using cfw::Message;
using cfw::ParseError;
using cfw::ParseErrorKind;
using cfw::ParseEvent;
using cfw::Parser;

namespace {

// The SYNC of RFC 7058 section 5.2.
const std::string kSync =
    "CFW 6e5e86f95609 SYNC\r\n"
    "Dialog-ID: 5feb6486792a\r\n"
    "Keep-Alive: 100\r\n"
    "Packages: msc-ivr/1.0,msc-mixer/1.0\r\n"
    "\r\n";

const std::string kAuditBody =
    "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\"><audit/></mscivr>";

// The CONTROL of RFC 7058 section 5.4 (its body without the document's indentation, which
// is what its Content-Length of 78 counts).
const std::string kControl =
    "CFW 101fbbd62c35 CONTROL\r\n"
    "Control-Package: msc-ivr/1.0\r\n"
    "Content-Type: application/msc-ivr+xml\r\n"
    "Content-Length: 78\r\n"
    "\r\n" + kAuditBody;

const std::string kKAlive = "CFW 518ba6047880 K-ALIVE\r\n\r\n";

const std::string kReport =
    "CFW 796d83aa1ce4 REPORT\r\n"
    "Seq: 1\r\n"
    "Status: terminate\r\n"
    "Timeout: 25\r\n"
    "Content-Type: application/msc-ivr+xml\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "<x/>\n";

std::vector<ParseEvent> drain(Parser& p) {
    std::vector<ParseEvent> out;
    while (auto ev = p.next()) out.push_back(std::move(*ev));
    return out;
}

std::vector<ParseEvent> feedAll(Parser& p, const std::string& bytes) {
    p.feed(bytes);
    return drain(p);
}

std::vector<ParseEvent> feedBytewise(Parser& p, const std::string& bytes) {
    std::vector<ParseEvent> out;
    for (char c : bytes) {
        p.feed(std::string_view(&c, 1));
        for (auto& ev : drain(p)) out.push_back(std::move(ev));
    }
    return out;
}

const Message& msg(const ParseEvent& ev) {
    REQUIRE(std::holds_alternative<Message>(ev));
    return std::get<Message>(ev);
}

const ParseError& err(const ParseEvent& ev) {
    REQUIRE(std::holds_alternative<ParseError>(ev));
    return std::get<ParseError>(ev);
}

Message expectedSync() {
    Message m = Message::request("6e5e86f95609", cfw::Method::Sync);
    m.dialogId = "5feb6486792a";
    m.keepAlive = 100;
    m.packages = std::vector<std::string>{"msc-ivr/1.0", "msc-mixer/1.0"};
    return m;
}

}  // namespace

TEST_CASE("cfw parser: a SYNC fed one byte at a time", "[cfw][parser]") {
    Parser p;
    auto evs = feedBytewise(p, kSync);
    REQUIRE(evs.size() == 1);
    CHECK(msg(evs[0]) == expectedSync());
    CHECK(p.bufferedBytes() == 0);
}

TEST_CASE("cfw parser: several messages in one read, in order", "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p, kSync + kControl + kKAlive + kReport + kKAlive);
    REQUIRE(evs.size() == 5);
    CHECK(msg(evs[0]) == expectedSync());
    CHECK(msg(evs[1]).method == "CONTROL");
    CHECK(msg(evs[1]).controlPackage == std::optional<std::string>("msc-ivr/1.0"));
    CHECK(msg(evs[1]).body == kAuditBody);
    CHECK(msg(evs[2]).methodKind() == cfw::Method::KAlive);
    CHECK(msg(evs[3]).reportStatus == cfw::ReportStatus::Terminate);
    CHECK(msg(evs[3]).seq == std::optional<std::uint32_t>(1));
    CHECK(msg(evs[3]).body == "<x/>\n");
    CHECK(msg(evs[4]).transId == "518ba6047880");
    CHECK(p.bufferedBytes() == 0);
}

TEST_CASE("cfw parser: every split point of a two-message stream gives the same messages",
          "[cfw][parser]") {
    const std::string stream = kControl + kReport;
    Parser whole;
    auto reference = feedAll(whole, stream);
    REQUIRE(reference.size() == 2);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        Parser p;
        auto a = feedAll(p, stream.substr(0, cut));
        auto b = feedAll(p, stream.substr(cut));
        a.insert(a.end(), b.begin(), b.end());
        REQUIRE(a.size() == 2);
        CHECK(msg(a[0]) == msg(reference[0]));
        CHECK(msg(a[1]) == msg(reference[1]));
    }
}

TEST_CASE("cfw parser: header names are case-insensitive, whitespace and bare LF tolerated",
          "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p,
                       "CFW abcd1234 CONTROL\n"
                       "control-package :\t msc-mixer/1.0  \n"
                       "CONTENT-TYPE:application/msc-mixer+xml\n"
                       "content-length:   3\n"
                       "\n"
                       "abc");
    REQUIRE(evs.size() == 1);
    const auto& m = msg(evs[0]);
    CHECK(m.controlPackage == std::optional<std::string>("msc-mixer/1.0"));
    CHECK(m.contentType == std::optional<std::string>("application/msc-mixer+xml"));
    CHECK(m.body == "abc");
}

TEST_CASE("cfw parser: blank lines between messages are skipped", "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p, "\r\n\r\n" + kKAlive + "\r\n" + kKAlive);
    REQUIRE(evs.size() == 2);
    CHECK(msg(evs[1]).method == "K-ALIVE");
}

TEST_CASE("cfw parser: unknown headers are kept in order, and survive a round trip",
          "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p, "CFW abcd1234 K-ALIVE\r\nX-Foo: bar baz\r\nVia-Thing: 1\r\n\r\n");
    REQUIRE(evs.size() == 1);
    const auto& m = msg(evs[0]);
    REQUIRE(m.extensions.size() == 2);
    CHECK(m.extensions[0] == cfw::ExtensionHeader{"X-Foo", "bar baz"});
    CHECK(m.extensions[1] == cfw::ExtensionHeader{"Via-Thing", "1"});
    Parser again;
    auto evs2 = feedAll(again, cfw::serialize(m));
    REQUIRE(evs2.size() == 1);
    CHECK(msg(evs2[0]) == m);
}

TEST_CASE("cfw parser: other well-formed methods are parsed", "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p, "CFW abcd1234 FROBNICATE\r\n\r\n");
    REQUIRE(evs.size() == 1);
    CHECK(msg(evs[0]).method == "FROBNICATE");
    CHECK(msg(evs[0]).methodKind() == cfw::Method::Other);
}

TEST_CASE("cfw parser: a body without Content-Length is impossible, Content-Length 0 is no body",
          "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p, "CFW abcd1234 200\r\nContent-Length: 0\r\n\r\n" + kKAlive);
    REQUIRE(evs.size() == 2);
    CHECK(msg(evs[0]).status == 200);
    CHECK(msg(evs[0]).body.empty());
}

TEST_CASE("cfw parser: truncated frames wait for the rest", "[cfw][parser]") {
    Parser p;
    CHECK(feedAll(p, "CFW 101fbbd6").empty());
    CHECK(feedAll(p, "2c35 CONTROL\r\nControl-Package: msc-ivr/1.0\r\n").empty());
    CHECK(feedAll(p, "Content-Type: application/msc-ivr+xml\r\nContent-Length: 78\r\n\r\n").empty());
    CHECK(feedAll(p, kAuditBody.substr(0, 77)).empty());
    auto evs = feedAll(p, kAuditBody.substr(77));
    REQUIRE(evs.size() == 1);
    CHECK(msg(evs[0]).body == kAuditBody);
    // A lone "CF" is a possible start: nothing is reported yet.
    CHECK(feedAll(p, "CF").empty());
    CHECK(p.bufferedBytes() == 2);
}

TEST_CASE("cfw parser: bad trans-ids are rejected and parsing goes on", "[cfw][parser]") {
    const char* bad[] = {
        "abc",                                // 3 characters
        "a23456789012345678901234567890123",  // 33 characters
        "-abc1",                              // must start with ALPHANUM
        "abc$1",                              // '$' is not allowed
        "ab_cd",                              // '_' is not allowed
    };
    for (const char* id : bad) {
        INFO(id);
        Parser p;
        auto evs = feedAll(p, std::string("CFW ") + id + " K-ALIVE\r\n\r\n" + kKAlive);
        REQUIRE(evs.size() == 2);
        CHECK(err(evs[0]).kind == ParseErrorKind::BadTransId);
        CHECK(err(evs[0]).transId.empty());
        CHECK_FALSE(err(evs[0]).answerable());
        CHECK(msg(evs[1]).transId == "518ba6047880");
    }
    Parser p;
    auto evs = feedAll(p, "CFW a1.-+%=/Z K-ALIVE\r\n\r\nCFW 12345678901234567890123456789012 200\r\n\r\n");
    REQUIRE(evs.size() == 2);
    CHECK(msg(evs[0]).transId == "a1.-+%=/Z");
    CHECK(msg(evs[1]).status == 200);
}

TEST_CASE("cfw parser: malformed start lines", "[cfw][parser]") {
    const char* bad[] = {
        "CFW abcd1234 control",   // methods are upper case
        "CFW abcd1234",           // no method
        "CFW abcd1234 CONTROL x", // extra token
        "CFW abcd1234 2000",      // status is three digits
        "CFW abcd1234 099",       // no leading zero
    };
    for (const char* line : bad) {
        INFO(line);
        Parser p;
        auto evs = feedAll(p, std::string(line) + "\r\n\r\n" + kKAlive);
        REQUIRE(evs.size() == 2);
        CHECK(err(evs[0]).kind == ParseErrorKind::BadStartLine);
        CHECK(msg(evs[1]).method == "K-ALIVE");
    }
}

TEST_CASE("cfw parser: missing mandatory headers", "[cfw][parser]") {
    struct Case {
        std::string text;
        std::string missing;
    };
    const Case cases[] = {
        {"CFW abcd1234 CONTROL\r\nContent-Type: a/b\r\nContent-Length: 2\r\n\r\nhi", "Control-Package"},
        {"CFW abcd1234 REPORT\r\nStatus: update\r\nTimeout: 10\r\n\r\n", "Seq"},
        {"CFW abcd1234 REPORT\r\nSeq: 1\r\nTimeout: 10\r\n\r\n", "Status"},
        {"CFW abcd1234 REPORT\r\nSeq: 1\r\nStatus: update\r\n\r\n", "Timeout"},
        {"CFW abcd1234 SYNC\r\nPackages: msc-ivr/1.0\r\n\r\n", "Dialog-ID"},
        {"CFW abcd1234 SYNC\r\nDialog-ID: 5feb6486792a\r\n\r\n", "Packages"},
        {"CFW abcd1234 202\r\n\r\n", "Timeout"},
        {"CFW abcd1234 CONTROL\r\nControl-Package: msc-ivr/1.0\r\nContent-Length: 2\r\n\r\nhi",
         "Content-Type"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        Parser p;
        auto evs = feedAll(p, c.text + kKAlive);
        REQUIRE(evs.size() == 2);
        const auto& e = err(evs[0]);
        CHECK(e.kind == ParseErrorKind::MissingHeader);
        CHECK(e.reason.find(c.missing) != std::string::npos);
        CHECK(e.transId == "abcd1234");
        CHECK(msg(evs[1]).method == "K-ALIVE");  // the bad message's body was skipped
    }
}

TEST_CASE("cfw parser: malformed header lines and values", "[cfw][parser]") {
    struct Case {
        std::string text;
        ParseErrorKind kind;
    };
    const Case cases[] = {
        {"CFW abcd1234 K-ALIVE\r\nno colon here\r\n\r\n", ParseErrorKind::BadHeaderLine},
        {"CFW abcd1234 K-ALIVE\r\n: empty name\r\n\r\n", ParseErrorKind::BadHeaderLine},
        {"CFW abcd1234 K-ALIVE\r\n folded: line\r\n\r\n", ParseErrorKind::BadHeaderLine},
        {"CFW abcd1234 REPORT\r\nSeq: one\r\nStatus: update\r\nTimeout: 10\r\n\r\n",
         ParseErrorKind::BadHeaderValue},
        {"CFW abcd1234 REPORT\r\nSeq: 1\r\nStatus: maybe\r\nTimeout: 10\r\n\r\n",
         ParseErrorKind::BadHeaderValue},
        {"CFW abcd1234 REPORT\r\nSeq: 1\r\nStatus: update\r\nTimeout: 99999999999\r\n\r\n",
         ParseErrorKind::BadHeaderValue},
        {"CFW abcd1234 SYNC\r\nDialog-ID: x\r\nPackages: msc-ivr/1.0,,b\r\n\r\n",
         ParseErrorKind::BadHeaderValue},
        {"CFW abcd1234 200\r\nSeq: 1\r\nSeq: 2\r\n\r\n", ParseErrorKind::DuplicateHeader},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        Parser p;
        auto evs = feedAll(p, c.text + kKAlive);
        REQUIRE(evs.size() == 2);
        CHECK(err(evs[0]).kind == c.kind);
        CHECK(err(evs[0]).transId == "abcd1234");
        CHECK(msg(evs[1]).method == "K-ALIVE");
    }
}

TEST_CASE("cfw parser: Status values are case-insensitive", "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p, "CFW abcd1234 REPORT\r\nSeq: 3\r\nStatus: UPDATE\r\nTimeout: 10\r\n\r\n");
    REQUIRE(evs.size() == 1);
    CHECK(msg(evs[0]).reportStatus == cfw::ReportStatus::Update);
}

TEST_CASE("cfw parser: an unreadable Content-Length resynchronises on the next CFW line",
          "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p,
                       "CFW abcd1234 CONTROL\r\nControl-Package: msc-ivr/1.0\r\n"
                       "Content-Type: a/b\r\nContent-Length: lots\r\n\r\n"
                       "<body>\r\nthat is not framed\r\n</body>\r\n" +
                           kKAlive);
    REQUIRE(evs.size() == 2);
    CHECK(err(evs[0]).kind == ParseErrorKind::BadHeaderValue);
    CHECK(err(evs[0]).answerable());
    CHECK(msg(evs[1]).method == "K-ALIVE");
}

TEST_CASE("cfw parser: a huge Content-Length is reported at once and its body discarded unbuffered",
          "[cfw][parser]") {
    Parser p;
    const std::uint64_t huge = 10ull * 1024 * 1024;
    auto evs = feedAll(p, "CFW abcd1234 CONTROL\r\nControl-Package: msc-ivr/1.0\r\n"
                          "Content-Type: a/b\r\nContent-Length: " + std::to_string(huge) + "\r\n\r\n");
    REQUIRE(evs.size() == 1);
    CHECK(err(evs[0]).kind == ParseErrorKind::BodyTooLarge);
    CHECK(err(evs[0]).transId == "abcd1234");
    CHECK(err(evs[0]).method == "CONTROL");
    CHECK(p.discardPending() == huge);

    const std::string chunk(64 * 1024, 'x');
    std::size_t maxBuffered = 0;
    for (std::uint64_t sent = 0; sent < huge; sent += chunk.size()) {
        CHECK(feedAll(p, chunk).empty());
        maxBuffered = std::max(maxBuffered, p.bufferedBytes());
    }
    CHECK(maxBuffered == 0);
    CHECK(p.discardPending() == 0);
    evs = feedAll(p, kKAlive);
    REQUIRE(evs.size() == 1);
    CHECK(msg(evs[0]).method == "K-ALIVE");
}

TEST_CASE("cfw parser: a Content-Length that does not fit 64 bits is rejected", "[cfw][parser]") {
    Parser p;
    auto evs = feedAll(p, "CFW abcd1234 200\r\nContent-Type: a/b\r\nContent-Length: "
                          "99999999999999999999999999\r\n\r\nxx\r\n" + kKAlive);
    REQUIRE(evs.size() == 2);
    CHECK(err(evs[0]).kind == ParseErrorKind::BadHeaderValue);
    CHECK(msg(evs[1]).method == "K-ALIVE");
}

TEST_CASE("cfw parser: a header block over the limit is reported and skipped", "[cfw][parser]") {
    for (bool bytewise : {false, true}) {
        INFO("bytewise " << bytewise);
        Parser p;
        std::string big = "CFW abcd1234 CONTROL\r\nControl-Package: msc-ivr/1.0\r\nX-Big: " +
                          std::string(20 * 1024, 'y') + "\r\n\r\n";
        auto evs = bytewise ? feedBytewise(p, big + kKAlive) : feedAll(p, big + kKAlive);
        REQUIRE(evs.size() == 2);
        CHECK(err(evs[0]).kind == ParseErrorKind::HeaderTooLarge);
        CHECK(err(evs[0]).transId == "abcd1234");
        CHECK(err(evs[0]).method == "CONTROL");
        CHECK(msg(evs[1]).method == "K-ALIVE");
        CHECK(p.bufferedBytes() == 0);
    }
    // A header block without any line end is cut at the limit too.
    Parser p;
    std::size_t maxBuffered = 0;
    std::vector<ParseEvent> evs;
    std::string line = "CFW " + std::string(40 * 1024, 'z');
    for (std::size_t i = 0; i < line.size(); i += 1000) {
        for (auto& ev : feedAll(p, line.substr(i, 1000))) evs.push_back(std::move(ev));
        maxBuffered = std::max(maxBuffered, p.bufferedBytes());
    }
    REQUIRE(evs.size() == 1);
    CHECK(err(evs[0]).kind == ParseErrorKind::HeaderTooLarge);
    CHECK(err(evs[0]).transId.empty());
    CHECK(maxBuffered <= 16 * 1024 + 1000);
}

TEST_CASE("cfw parser: limits are configurable", "[cfw][parser]") {
    Parser p(cfw::Limits{64, 4});
    auto evs = feedAll(p, "CFW abcd1234 200\r\nContent-Type: a/b\r\nContent-Length: 5\r\n\r\n12345" +
                              kKAlive + "CFW abcd1234 200\r\nX-Long: " + std::string(60, 'q') +
                              "\r\n\r\n" + kKAlive);
    REQUIRE(evs.size() == 4);
    CHECK(err(evs[0]).kind == ParseErrorKind::BodyTooLarge);
    CHECK(msg(evs[1]).method == "K-ALIVE");
    CHECK(err(evs[2]).kind == ParseErrorKind::HeaderTooLarge);
    CHECK(msg(evs[3]).method == "K-ALIVE");
}

TEST_CASE("cfw parser: binary garbage is reported once and skipped to the next CFW line",
          "[cfw][parser]") {
    std::mt19937 rng(42);
    std::string garbage;
    for (int i = 0; i < 5000; ++i) garbage.push_back(static_cast<char>(rng() & 0xFF));
    // Make sure the garbage itself has no "\nCFW " in it.
    for (std::size_t i = 0; i + 4 < garbage.size(); ++i) {
        if (garbage.compare(i, 5, "\nCFW ") == 0) garbage[i] = 'x';
    }
    garbage[0] = 'G';
    for (bool bytewise : {false, true}) {
        INFO("bytewise " << bytewise);
        Parser p;
        std::string stream = garbage + "\r\n" + kKAlive + "junk junk\r\n" + kSync;
        auto evs = bytewise ? feedBytewise(p, stream) : feedAll(p, stream);
        REQUIRE(evs.size() == 4);
        CHECK(err(evs[0]).kind == ParseErrorKind::NotCfw);
        CHECK(msg(evs[1]).method == "K-ALIVE");
        CHECK(err(evs[2]).kind == ParseErrorKind::NotCfw);
        CHECK(msg(evs[3]) == expectedSync());
        CHECK(p.bufferedBytes() == 0);
    }
}

TEST_CASE("cfw parser: random splits of random streams never crash and end at a boundary",
          "[cfw][parser]") {
    std::mt19937 rng(7);
    const std::string pieces[] = {kSync, kControl, kKAlive, kReport, "garbage\r\n",
                                  "CFW x K-ALIVE\r\n\r\n", std::string("\x00\xff\r\n", 4)};
    for (int round = 0; round < 200; ++round) {
        std::string stream;
        int good = 0;
        for (int i = 0; i < 20; ++i) {
            auto k = rng() % 7;
            stream += pieces[k];
            if (k < 4) ++good;
        }
        stream += kKAlive;
        ++good;
        Parser p;
        std::size_t at = 0;
        int messages = 0;
        while (at < stream.size()) {
            std::size_t n = 1 + rng() % 50;
            p.feed(std::string_view(stream).substr(at, n));
            at += n;
            for (auto& ev : drain(p)) messages += std::holds_alternative<Message>(ev) ? 1 : 0;
        }
        CHECK(messages == good);
        CHECK(p.bufferedBytes() == 0);
    }
}
