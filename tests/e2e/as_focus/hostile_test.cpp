// Hostile SIP at the focus: garbage datagrams, INVITEs missing Call-ID or From, a 1 MB body
// over TCP, then 1000 INVITEs to a room that are never ACKed (some CANCELed). parley-as
// stays up, still answers OPTIONS, and once the transactions time out parley-ms holds no
// media leg.

#include <catch2/catch.hpp>

#include <random>

#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/e2e/as_focus/raw_sip.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

namespace {

std::string offer(std::uint16_t port) {
    return "v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " + std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}

// An INVITE without one of its mandatory headers.
std::string inviteWithout(RawSipClient& c, const std::string& uri, const std::string& header) {
    auto r = c.request("INVITE", uri, {}, offer(9), "application/sdp");
    std::string out;
    std::size_t at = 0;
    while (at < r.text.size()) {
        auto e = r.text.find("\r\n", at);
        if (e == std::string::npos) e = r.text.size();
        std::string line = r.text.substr(at, e - at);
        if (line.rfind(header + ":", 0) != 0) out += line + "\r\n";
        at = e + 2;
    }
    return out;
}

}  // namespace

TEST_CASE("as focus: garbage, broken INVITEs, a 1 MB body and 1000 unACKed INVITEs leave it up and clean",
          "[focus][e2e][hostile]") {
    FocusSystem fx(roomsJson({room("flood", "\"maxParticipants\":2000")}), FocusOptions{"28000-31999", {}, {}});
    RawSipClient c;
    const std::string uri = fx.roomUri("flood");

    // Garbage.
    std::mt19937 rng(42);
    for (int i = 0; i < 50; ++i) {
        std::string junk(static_cast<std::size_t>(1 + rng() % 1400), '\0');
        for (auto& ch : junk) ch = static_cast<char>(rng() % 256);
        CHECK(c.send(fx.asSipPort(), junk));
    }
    for (const std::string& s :
         {std::string("\r\n\r\n"), std::string("INVITE\r\n\r\n"), std::string("SIP/2.0 200 OK\r\n\r\n"),
          std::string("INVITE sip:flood@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\nx"),
          std::string("INVITE " + uri + " SIP/2.0\r\n") + std::string(30000, 'A') + "\r\n\r\n",
          std::string("OPTIONS sip:x SIP/7.0\r\n\r\n")})
        CHECK(c.send(fx.asSipPort(), s));
    // Mandatory headers missing.
    for (const char* h : {"Call-ID", "From", "To", "CSeq", "Via"}) CHECK(c.send(fx.asSipPort(), inviteWithout(c, uri, h)));
    // A body far larger than any datagram, over TCP: refused or cut, never swallowed.
    {
        std::string body = offer(9);
        body.resize(1024 * 1024, 'a');
        auto big = c.request("INVITE", uri, {}, body, "application/sdp");
        (void)tcpExchange(fx.asSipPort(), big.text, 2s);
        // The same on UDP with a body as large as a datagram takes.
        auto udp = c.request("INVITE", uri, {}, std::string(60000, 'b'), "application/sdp");
        CHECK(c.send(fx.asSipPort(), udp.text));
    }
    c.pump(1s);
    {
        INFO(fx.logs());
        REQUIRE(fx.asAlive());
        CHECK(fx.optionsStatus() > 0);
    }

    // 1000 INVITEs, never ACKed; every tenth CANCELed at once.
    c.clear();
    for (int i = 0; i < 1000; ++i) {
        auto inv = c.request("INVITE", uri, {}, offer(9), "application/sdp");
        CHECK(c.send(fx.asSipPort(), inv.text));
        if (i % 10 == 9) {
            std::string cancel = inv.text.substr(0, inv.text.find("\r\n"));
            cancel.replace(0, 6, "CANCEL");
            std::string headers;
            for (const char* h : {"Via:", "Max-Forwards:", "From:", "To:", "Call-ID:"}) {
                auto at = inv.text.find(std::string("\r\n") + h);
                headers += inv.text.substr(at + 2, inv.text.find("\r\n", at + 2) - at);
            }
            cancel += "\r\n" + headers + "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n";
            CHECK(c.send(fx.asSipPort(), cancel));
        }
        if (i % 50 == 49) {  // read what comes back so the socket buffer never fills
            c.pump(50ms);
            c.clear();
        }
    }
    c.pump(2s);
    {
        INFO(fx.logs());
        REQUIRE(fx.asAlive());
        REQUIRE(fx.msAlive());
        CHECK(fx.optionsStatus() > 0);
    }
    // Timer H (64*T1 = 32 s) ends every unACKed 2xx; then no leg may be left on the MS.
    // The last 200s may go out well after the last INVITE (the AS asks the MS for each).
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    bool clean = false;
    while (std::chrono::steady_clock::now() < deadline) {
        c.pump(500ms);  // answers the BYEs the AS may send
        c.clear();
        auto legs = fx.msLegs();
        if (legs && *legs == 0) {
            clean = true;
            break;
        }
    }
    INFO("legs: " << fx.msLegs().value_or(-1) << "\n" << fx.logs(4000));
    CHECK(clean);
    CHECK(fx.asAlive());
    CHECK(fx.msAlive());
    CHECK(fx.optionsStatus() > 0);
    {
        INFO(fx.logs());
        CHECK(fx.stopAs() == 0);
    }
}

}  // namespace parley::test::focus
