// The SDP bodies of RFC 7058's call flows, read from ../shared/spec/rfc7058.txt at run
// time (skipped when the spec folder is absent): every one parses and round-trips, the
// section 5.1 COMEDIA pair gives the control m-line, and the section 6 phone offer gets an
// audio answer.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proto/sdp/audio_answer.hpp"
#include "proto/sdp/control_media.hpp"
#include "proto/sdp/wire.hpp"
#include "tests/support/spec_files.hpp"

namespace sdp = parley::proto::sdp;

namespace {

bool startsWith(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

// An SDP line of the RFC text: three spaces of indent, then "<letter>=".
bool isSdpLine(const std::string& line) {
    return line.size() >= 5 && startsWith(line, "   ") && line[3] >= 'a' && line[3] <= 'z' &&
           line[4] == '=';
}

// Page footers, headers and blank lines can interrupt a body at a page break.
bool isPageNoise(const std::string& line) {
    return line.find_first_not_of(" \f\r") == std::string::npos || startsWith(line, "Amirante") ||
           startsWith(line, "RFC 7058");
}

// Every body that starts with "   v=0", in file order, with CRLF line ends.
std::vector<std::string> sdpBodies(const std::string& rfc) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= rfc.size()) {
        auto end = rfc.find('\n', start);
        if (end == std::string::npos) end = rfc.size();
        lines.push_back(rfc.substr(start, end - start));
        start = end + 1;
    }
    std::vector<std::string> bodies;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] != "   v=0") continue;
        std::string body = "v=0\r\n";
        std::size_t j = i + 1;
        for (; j < lines.size(); ++j) {
            if (lines[j] == "   v=0") break;
            if (isSdpLine(lines[j])) {
                body += lines[j].substr(3) + "\r\n";
            } else if (!isPageNoise(lines[j])) {
                break;
            }
        }
        bodies.push_back(body);
        i = j - 1;
    }
    return bodies;
}

std::optional<std::vector<std::string>> rfcBodies() {
    auto dir = parley::test::specDir();
    if (!dir) return std::nullopt;
    return sdpBodies(parley::test::readFile(*dir / "rfc7058.txt"));
}

}  // namespace

TEST_CASE("sdp: every RFC 7058 SDP body parses and round-trips", "[sdp][rfc7058]") {
    auto bodies = rfcBodies();
    if (!bodies) PARLEY_SKIP("../shared/spec is absent");
    REQUIRE(bodies->size() >= 8);
    for (const auto& body : *bodies) {
        INFO(body);
        auto s = sdp::parse(body);
        REQUIRE(s.ok());
        auto again = sdp::parse(sdp::print(s.value()));
        REQUIRE(again.ok());
        CHECK(again.value() == s.value());
    }
}

TEST_CASE("sdp: RFC 7058 section 5.1 COMEDIA offer and answer", "[sdp][rfc7058][cfw]") {
    auto bodies = rfcBodies();
    if (!bodies) PARLEY_SKIP("../shared/spec is absent");
    REQUIRE(bodies->size() >= 2);
    auto offer = sdp::parse((*bodies)[0]);
    auto answer = sdp::parse((*bodies)[1]);
    REQUIRE(offer.ok());
    REQUIRE(answer.ok());
    CHECK(offer->name == "MediaCtrl");

    auto oc = sdp::findControlMedia(offer.value());
    REQUIRE(oc.ok());
    CHECK(oc->transport == sdp::ControlTransport::Tcp);
    CHECK(oc->port == 5757);
    CHECK(oc->address.address == "as.example.com");
    CHECK(oc->setup == sdp::Setup::Active);
    CHECK(oc->connection == sdp::ConnectionMode::New);
    CHECK(oc->cfwId == "5feb6486792a");

    auto ac = sdp::findControlMedia(answer.value());
    REQUIRE(ac.ok());
    CHECK(ac->port == 7575);
    CHECK(ac->address.address == "ms.example.net");
    CHECK(ac->setup == sdp::Setup::Passive);
    CHECK(ac->cfwId == "5feb6486792a");  // the RFC echoes the offer's id; accepted

    // Our answer to the RFC's offer has the same shape as the RFC's answer.
    sdp::ControlAnswerParams p;
    p.origin = answer->origin;
    p.sessionName = answer->name;
    p.address = *answer->connection;
    p.port = 7575;
    p.cfwId = "5feb6486792a";
    auto ours = sdp::makeControlAnswer(offer.value(), p);
    REQUIRE(ours.ok());
    CHECK(ours.value() == answer.value());
}

TEST_CASE("sdp: RFC 7058 phone offer gets an audio answer", "[sdp][rfc7058][audio]") {
    auto bodies = rfcBodies();
    if (!bodies) PARLEY_SKIP("../shared/spec is absent");
    const std::string* phone = nullptr;
    for (const auto& b : *bodies) {
        if (b.find("m=video") != std::string::npos && b.find("a=label") == std::string::npos) {
            phone = &b;
            break;
        }
    }
    REQUIRE(phone);
    auto offer = sdp::parse(*phone);
    REQUIRE(offer.ok());
    REQUIRE(offer->media.size() == 2);
    CHECK(offer->media[0].rtpmap(3)->encoding == "GSM");

    sdp::AudioAnswerParams p;
    p.origin.address = "ms.example.net";
    p.address = sdp::Connection{sdp::AddrType::IP4, "ms.example.net", 0, 1};
    p.ports = {63442, 33468};
    auto answer = sdp::answerAudioOffer(offer.value(), p);
    REQUIRE(answer.media.size() == 2);
    CHECK(answer.media[0].formats == std::vector<std::string>{"0", "8", "101"});
    CHECK(answer.media[0].fmtpFor(101) == std::optional<std::string>("0-15"));
    CHECK(answer.media[1].port == 0);  // no video here
}
