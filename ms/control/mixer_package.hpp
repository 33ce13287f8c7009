#pragma once
// MixerPackage: the msc-mixer/1.0 handler (RFC 6505) of the media server, wired to the
// media plane (JoinGraph, mix plans, media workers).
//
// Requests: createconference (reserved-talkers/listeners, audio-mixing nbest/controller
// with n, active-talkers subscription), modifyconference, destroyconference, join,
// modifyjoin, unjoin (connection-conference, connection-connection including a connection
// with itself, conference-conference; streams with direction, volume, clamp, priority) and
// audit. Every request is atomic: a refused one changes nothing. Errors carry the RFC 6505
// status and a reason (the JoinGraph's statuses; 423/424/425 for video layouts, video
// switch policies and codecs this server cannot mix).
//
// Events (CONTROL from the MS to the owning channel, after the response when a request
// causes them): destroyconference -> one unjoin-notify (status 2) per participant, then
// conferenceexit (status 0); unjoin of a whole join -> unjoin-notify status 0; a media
// dialog that ends -> unjoin-notify status 2 per join it had; active-talkers-notify at the
// subscribed interval, to the conference's owner.
//
// Ownership and isolation (RFC 7058 section 8):
// - a conference belongs to the channel that created it;
// - a connection belongs to the channel the SIP side chose from the media dialog's
//   signalling (see media_dialogs.hpp), else to the first channel whose successful request
//   names it;
// - a request naming an existing conference or connection that belongs to another channel
//   is answered with the framework status 403 (no package body), and changes nothing;
// - audit shows only the channel's own conferences and the joins between its own
//   entities; auditing another channel's conference by id is a 403 too;
// - when a channel ends, its conferences are destroyed (no events: nobody to tell) and its
//   connections are unjoined and their media dialogs hung up (BYE), which frees the ports.
//
// Body problems: not well-formed XML or not the package's Content-Type -> framework 400; a
// well-formed body the package refuses -> framework 200 with the package status (400
// schema, 428 foreign content); a reply or event sent as a request -> 400.

#include <string_view>

#include "ms/control/package_handler.hpp"
#include "ms/plane/media_plane.hpp"
#include "proto/packages/mixer/mixer_messages.hpp"

namespace parley::ms {

class MixerPackage : public PackageHandler, public plane::PlaneObserver {
  public:
    // `channels` finds a channel to send it events (nullptr: no events are sent).
    explicit MixerPackage(plane::MediaPlane& plane, ChannelDirectory* channels = nullptr);
    ~MixerPackage() override;

    void setChannels(ChannelDirectory* channels) { channels_ = channels; }

    std::string_view packageName() const override { return proto::mixer::kPackageName; }
    std::string_view contentType() const override { return proto::mixer::kContentType; }
    void onControl(const proto::cfw::IncomingControl& request, ControlContext& context) override;
    void channelEnding(ChannelId channel) override;

    // PlaneObserver
    void onActiveTalkers(const mixer::ActiveTalkersReport& report) override;
    void onConnectionGone(const std::string& id, ChannelId owner,
                          const std::vector<mixer::UnjoinNotice>& notices) override;
    void onDigit(const std::string& id, const rtp::DigitEvent& digit) override;

    // What a request leads to: a framework status (403: no body) or a package reply, and
    // the events to send once the reply is out.
    struct Outcome {
        int framework = 200;
        proto::mixer::Message reply;
        std::vector<proto::mixer::Event> events;
    };

  private:
    Outcome createConference(const proto::mixer::CreateConference& m, ChannelId me);
    Outcome modifyConference(const proto::mixer::ModifyConference& m, ChannelId me);
    Outcome destroyConference(const proto::mixer::DestroyConference& m, ChannelId me);
    Outcome join(const proto::mixer::Join& m, ChannelId me);
    Outcome modifyJoin(const proto::mixer::ModifyJoin& m, ChannelId me);
    Outcome unjoin(const proto::mixer::Unjoin& m, ChannelId me);
    Outcome audit(const proto::mixer::Audit& m, ChannelId me) const;

    // The first of `ids` that exists and belongs to another channel, if any.
    std::optional<std::string> foreign(std::initializer_list<const std::string*> ids,
                                       ChannelId me) const;
    void claim(std::initializer_list<const std::string*> ids, ChannelId me);
    bool visible(const std::string& id, ChannelId me) const;
    // A request naming an internal participant (an IVR dialog's) is refused as unknown.
    std::optional<Outcome> hidden(std::initializer_list<const std::string*> ids) const;
    void sendEvents(ChannelId owner, const std::vector<proto::mixer::Event>& events);

    plane::MediaPlane& plane_;
    ChannelDirectory* channels_;
};

}  // namespace parley::ms
