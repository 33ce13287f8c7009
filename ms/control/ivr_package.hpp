#pragma once
// IvrPackage: the msc-ivr/1.0 handler (RFC 6231) of the media server.
//
// Requests:
// - dialogprepare: the dialog is checked, its prompts fetched and decoded, its variables
//   expanded, its grammar compiled (DialogPreparation); then 200 and state PREPARED, kept
//   for at most maxPreparedDuration (then dialogexit status 4 and it is gone).
// - dialogstart: with a <dialog> (prepared now) or prepareddialogid; on a connection (one
//   dialog at a time: 432) or on a conference (any number: each an internal participant).
//   Record targets are opened (files under --record-dir; http(s) locations are recorded to a
//   local file and uploaded with PUT at the end); then the runner goes to the media worker
//   and the answer is 200 with the dialogid. External dialog languages (src) get 421.
// - dialogterminate: PREPARING/STARTING -> the pending request gets 410 and the terminate
//   200 (no dialogexit: the dialog never ran); PREPARED -> 200 and dialogexit status 0;
//   STARTED -> 200, then the dialogexit when the runner stops (immediate or after the
//   current cycle). Unknown dialogid -> 406.
// - audit: capabilities and this channel's dialogs with their state and target.
// A request that waits for fetching longer than kAcceptAfter is accepted with 202 and
// answered later in a REPORT (RFC 6230 section 7): fetchtimeout can exceed the AS's
// transaction timer.
//
// Events: dtmfnotify per the <subscribe> matchmode; exactly one dialogexit per started or
// prepared dialog, sent once its recordings are final (recordinfo carries one <mediainfo>
// per target: loc, type, size). A recording that could not be written or uploaded turns
// the exit into status 4 with the reason.
//
// Ownership (RFC 7058 section 8): a dialog belongs to the channel that asked for it; other
// channels neither see it in audits nor can terminate it (406, as if it did not exist). A
// dialog on a connection or conference of another channel is refused with the framework
// 403, as the mixer package does. When a channel ends its dialogs are stopped at once and
// their recordings kept only when the AS named the location.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event_loop.hpp"
#include "ms/control/ivr_prepare.hpp"
#include "ms/control/package_handler.hpp"
#include "ms/ivr/disk_writer.hpp"
#include "ms/ivr/media_fetcher.hpp"
#include "ms/plane/media_plane.hpp"
#include "proto/packages/ivr/messages.hpp"
#include "proto/packages/ivr/types.hpp"

namespace parley::ms {

struct IvrConfig {
    std::filesystem::path mediaRoot;
    std::filesystem::path recordDir;
    std::string recordingsUrl;  // "http://host:port/recordings/": where recordings are served
    std::chrono::milliseconds maxPreparedDuration = std::chrono::minutes(5);
    std::chrono::milliseconds maxRecordDuration = std::chrono::hours(1);
    std::size_t maxDialogs = 20000;
};

class IvrPackage : public PackageHandler, public plane::DialogObserver {
  public:
    IvrPackage(plane::MediaPlane& plane, common::EventLoop& loop, ivr::MediaFetcher& fetcher,
               ivr::DiskWriter& writer, IvrConfig config, ChannelDirectory* channels = nullptr);
    ~IvrPackage() override;

    void setChannels(ChannelDirectory* channels) { channels_ = channels; }
    void setRecordingsUrl(std::string url) { config_.recordingsUrl = std::move(url); }

    std::string_view packageName() const override { return proto::ivr::kPackageName; }
    std::string_view contentType() const override { return proto::ivr::kMimeType; }
    void onControl(const proto::cfw::IncomingControl& request, ControlContext& context) override;
    void channelEnding(ChannelId channel) override;

    // DialogObserver
    void onDialogNotice(const ivr::DialogNotice& notice) override;
    void onDialogEnd(ivr::DialogEnd end) override;

    std::size_t dialogCount() const { return dialogs_.size(); }

    static constexpr std::chrono::milliseconds kAcceptAfter{1500};

  private:
    struct RecordTarget {
        std::filesystem::path path;  // the local file
        std::string loc;             // what recordinfo reports
        std::string type = "audio/wav";
        std::optional<std::string> uploadUrl;  // http(s): PUT the file there at the end
        std::chrono::milliseconds uploadTimeout{30000};
        std::optional<common::Result<ivr::RecordingResult>> result;
    };
    struct Entry {
        std::string id;
        ChannelId owner = 0;
        proto::ivr::DialogState state = proto::ivr::DialogState::Preparing;
        bool onConference = false;
        std::string target;
        std::optional<proto::ivr::Subscribe> subscribe;
        std::vector<proto::ivr::Stream> streams;
        std::optional<PreparedDialog> prepared;
        // The prepare/start waiting for its answer.
        std::string pendingTrans;
        bool accepted = false;
        common::EventLoop::TimerId acceptTimer = 0;
        std::shared_ptr<bool> alive;  // cancels a preparation
        common::EventLoop::TimerId preparedTimer = 0;
        // Exit waiting for recordings.
        std::vector<RecordTarget> records;
        std::optional<ivr::DialogEnd> end;
        std::size_t recordsPending = 0;
    };

    void prepare(const proto::ivr::DialogPrepare& m, const std::string& transId, ControlContext& ctx);
    void start(const proto::ivr::DialogStart& m, const std::string& transId, ControlContext& ctx);
    void terminate(const proto::ivr::DialogTerminate& m, const std::string& transId,
                   ControlContext& ctx);
    proto::ivr::AuditResponse audit(const proto::ivr::Audit& request, ChannelId me) const;

    std::string newDialogId();
    // A new dialog's id is free, there is room, and the dialog is one this server runs.
    common::Status checkNewDialog(const std::string& given,
                                  const proto::ivr::Dialog& dialog) const;
    void beginPreparation(Entry& e, proto::ivr::Dialog dialog, PrepareOptions options,
                          bool thenStart);
    void prepared(const std::string& id, common::Result<PreparedDialog> result, bool thenStart);
    common::Status launch(Entry& e);
    common::Result<std::vector<RecordTarget>> recordTargets(const Entry& e,
                                                            const proto::ivr::Record& record) const;
    void answer(Entry& e, const proto::ivr::Response& reply);
    void armAccept(Entry& e);
    void armPreparedTimer(Entry& e);
    void recordingDone(const std::string& id, std::size_t index,
                       common::Result<ivr::RecordingResult> result);
    void maybeSendExit(const std::string& id);
    void sendEvent(ChannelId owner, const proto::ivr::Event& event);
    void forget(const std::string& id);

    plane::MediaPlane& plane_;
    common::EventLoop& loop_;
    ivr::MediaFetcher& fetcher_;
    ivr::DiskWriter& writer_;
    IvrConfig config_;
    ChannelDirectory* channels_;
    std::map<std::string, Entry, std::less<>> dialogs_;
    std::uint64_t nextId_ = 1;
    std::uint64_t recordSerial_ = 1;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::ms
