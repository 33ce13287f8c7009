#include "harness.hpp"

#include <catch2/catch.hpp>

namespace parley::test::cfw {

std::vector<cfw::Message> parseAll(const std::string& bytes) {
    cfw::Parser parser;
    parser.feed(bytes);
    std::vector<cfw::Message> out;
    while (auto ev = parser.next()) {
        if (auto* err = std::get_if<cfw::ParseError>(&*ev)) {
            FAIL("channel wrote a malformed message: " << err->reason << "\n" << bytes);
        }
        out.push_back(std::get<cfw::Message>(std::move(*ev)));
    }
    CHECK(parser.bufferedBytes() == 0);
    return out;
}

cfw::ChannelConfig clientConfig() {
    cfw::ChannelConfig c;
    c.role = cfw::Role::Client;
    c.dialogId = "5feb6486792a";
    c.packages = {"msc-ivr/1.0", "msc-mixer/1.0"};
    c.keepAliveSeconds = 100;
    c.transIds = cfw::sequentialTransIds("as");
    return c;
}

cfw::ChannelConfig serverConfig() {
    cfw::ChannelConfig c;
    c.role = cfw::Role::Server;
    c.packages = {"msc-ivr/1.0", "msc-mixer/1.0", "msc-example-pkg/1.0"};
    c.transIds = cfw::sequentialTransIds("ms");
    return c;
}

ChannelPair::ChannelPair(cfw::ChannelConfig clientCfg, cfw::ChannelConfig serverCfg)
    : client(std::move(clientCfg), clientSide), server(std::move(serverCfg), serverSide) {}

void ChannelPair::pump() {
    for (int round = 0; round < 1000; ++round) {
        std::string toServer = clientSide.takeBytes();
        std::string toClient = serverSide.takeBytes();
        if (toServer.empty() && toClient.empty()) return;
        bytesToServer += toServer.size();
        bytesToClient += toClient.size();
        if (!toServer.empty()) server.onBytes(toServer, clock.now);
        if (!toClient.empty()) client.onBytes(toClient, clock.now);
    }
    FAIL("channels kept talking for 1000 rounds");
}

void ChannelPair::runUntil(TimePoint until) {
    for (int guard = 0;; ++guard) {
        if (guard > 100000) FAIL("deadlines do not advance");
        std::optional<TimePoint> next;
        for (auto d : {client.nextDeadline(), server.nextDeadline()}) {
            if (d && (!next || *d < *next)) next = d;
        }
        if (!next || *next > until) break;
        if (*next > clock.now) clock.now = *next;
        client.onTick(clock.now);
        server.onTick(clock.now);
        pump();
    }
    clock.now = until;
}

}  // namespace parley::test::cfw
