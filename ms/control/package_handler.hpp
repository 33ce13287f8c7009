#pragma once
// Package dispatch on the media server: one PackageHandler per control package
// (msc-ivr/1.0, msc-mixer/1.0), found by name in a PackageTable. The control channel hands
// every CONTROL request of a negotiated package to its handler with a ControlContext, the
// channel seen from the package's side.
//
// Contract:
// - onControl() runs on the loop thread. The handler answers every request exactly once:
//   respond() now or later, or accept() (202) and then report() until a terminate.
// - A ControlContext stays valid until its channel ends. The channel's end first runs
//   resources().releaseAll(); anything a handler keeps that refers to the context (a
//   conference, a running IVR dialog...) must be registered there so that its release
//   function drops the reference. Then every handler's channelEnding(id) runs (a handler
//   that keeps its own per-channel state frees it there). After that the context is gone.
// - A handler that must reach a channel later (events for resources it owns) keeps its
//   ChannelId and asks a ChannelDirectory for the context when the time comes; the
//   directory answers nullptr for a channel that is gone or ending.
// - Answers follow RFC 6230/6231/6505: a body that is not the package's XML gets the
//   framework 400; a well-formed body that breaks a package rule gets a framework 200 with
//   the package's own <response status="..."> inside.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "ms/control/control_dialog_table.hpp"
#include "ms/control/resource_owner.hpp"
#include "proto/cfw/channel.hpp"

namespace parley::ms {

class ControlContext {
  public:
    virtual ~ControlContext() = default;

    virtual ChannelId channelId() const = 0;
    // The AS cfw-id of the control dialog this channel belongs to.
    virtual const std::string& controlDialog() const = 0;
    virtual ResourceOwner& resources() = 0;

    virtual common::Status respond(std::string_view transId, int status,
                                   std::string_view contentType = {},
                                   std::string_view body = {}) = 0;
    virtual common::Status accept(std::string_view transId, std::uint32_t timeoutSeconds) = 0;
    virtual common::Status report(std::string_view transId, proto::cfw::ReportStatus status,
                                  std::string_view contentType = {},
                                  std::string_view body = {}) = 0;
    // A package event to the AS (a CONTROL from the MS, answered 200 by the AS).
    virtual common::Result<std::string> sendEvent(proto::cfw::OutgoingControl event) = 0;
};

class PackageHandler {
  public:
    virtual ~PackageHandler() = default;
    virtual std::string_view packageName() const = 0;  // "msc-ivr/1.0"
    virtual std::string_view contentType() const = 0;  // "application/msc-ivr+xml"
    virtual void onControl(const proto::cfw::IncomingControl& request, ControlContext& context) = 0;
    // The channel is ending: forget (and free) what belongs to it. Default: nothing kept.
    virtual void channelEnding(ChannelId channel) { (void)channel; }
};

class ChannelDirectory {
  public:
    virtual ~ChannelDirectory() = default;
    // The live channel with this id, or nullptr (gone, ending, never existed).
    virtual ControlContext* context(ChannelId channel) = 0;
};

class PackageTable {
  public:
    void add(std::unique_ptr<PackageHandler> handler);
    // Case-insensitive, as package names are tokens (RFC 6230 section 9.1).
    PackageHandler* find(std::string_view packageName) const;
    std::vector<std::string> names() const;
    std::vector<PackageHandler*> all() const;

  private:
    std::vector<std::unique_ptr<PackageHandler>> handlers_;
};

// Why a CONTROL's body cannot be given to a package that reads `contentType` documents
// (missing body, other Content-Type); nullopt when it can. Media type comparison ignores
// case and parameters.
std::optional<std::string> bodyProblem(const proto::cfw::IncomingControl& request,
                                       std::string_view contentType);

}  // namespace parley::ms
