#pragma once
// Fakes for the package handlers' unit tests: a control channel that records what it is
// told to send, a channel directory, and a media plane that is never started (graph,
// placement and plans are real; the workers' commands wait in their queues).

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ms/control/package_handler.hpp"
#include "ms/plane/media_plane.hpp"

namespace parley::ms {

namespace cfw = proto::cfw;

struct Answer {
    std::string transId;
    int status = 0;
    std::string contentType;
    std::string body;
};

class FakeContext : public ControlContext {
  public:
    explicit FakeContext(ChannelId id = 1) : id_(id) {}
    ChannelId channelId() const override { return id_; }
    const std::string& controlDialog() const override { return dialog_; }
    ResourceOwner& resources() override { return resources_; }
    common::Status respond(std::string_view transId, int status, std::string_view contentType,
                           std::string_view body) override {
        answers.push_back(
            {std::string(transId), status, std::string(contentType), std::string(body)});
        return {};
    }
    common::Status accept(std::string_view, std::uint32_t) override {
        return common::Error(500, "unused");
    }
    common::Status report(std::string_view, cfw::ReportStatus, std::string_view,
                          std::string_view) override {
        return common::Error(500, "unused");
    }
    common::Result<std::string> sendEvent(cfw::OutgoingControl event) override {
        events.push_back(event.body);
        return std::string("ev") + std::to_string(events.size());
    }

    std::vector<Answer> answers;
    std::vector<std::string> events;
    ResourceOwner resources_;

  private:
    ChannelId id_;
    std::string dialog_ = "as-cfw-id";
};

struct PlaneFixture {
    common::EventLoop loop;
    plane::MediaPlane plane{loop, config()};
    static plane::MediaPlaneConfig config() {
        plane::MediaPlaneConfig c;
        c.workers = 2;
        c.rtpAddress = *common::SocketAddress::fromHostPort("127.0.0.1", 0);
        c.rtpLow = 42000;
        c.rtpHigh = 42999;
        return c;
    }
    // A connection as the SIP side registers it (real port pair, remote on hold).
    void addLeg(const std::string& id, ChannelId owner = 0) {
        auto ports = plane.allocatePorts();
        REQUIRE(ports);
        plane::LegOptions o;
        o.owner = owner;
        REQUIRE(plane.addLeg(id, std::move(*ports), rtp::MediaParams{}, o));
    }
};

class FakeDirectory : public ChannelDirectory {
  public:
    ControlContext* context(ChannelId id) override {
        for (auto* c : contexts)
            if (c->channelId() == id) return c;
        return nullptr;
    }
    std::vector<ControlContext*> contexts;
};

inline Answer ask(PackageHandler& h, FakeContext& ctx, const std::string& body,
                  std::string contentType = {}) {
    if (contentType.empty()) contentType = std::string(h.contentType());
    ctx.answers.clear();
    h.onControl(cfw::IncomingControl{"t0001", std::string(h.packageName()), contentType, body},
                ctx);
    REQUIRE(ctx.answers.size() == 1);
    return ctx.answers[0];
}

}  // namespace parley::ms
