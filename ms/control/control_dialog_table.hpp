#pragma once
// ControlDialogTable: the live SIP control dialogs (RFC 6230 section 4) and which CFW
// connection each one is bound to. It is where the SIP side and the CFW side of the media
// server meet, without either knowing the other's types.
//
// Contract (loop thread only):
// - The SIP side add()s a dialog once it has answered the INVITE 200, naming it by the AS's
//   cfw-id (the offer's a=cfw-id: the Dialog-ID the AS puts in SYNC, RFC 6230 section 6)
//   and the MS's own cfw-id, with the function that ends the SIP dialog (BYE). Both cfw-ids
//   are unique among live dialogs: add() refuses a duplicate with Error{488}.
// - The CFW side bind()s a connection to a dialog on SYNC: by either cfw-id, only when the
//   dialog is live, not ending, and not bound to another connection (else Error{481}).
// - When the SIP dialog ends (BYE from the AS, stack shutdown) the SIP side calls remove():
//   the bound connection, if any, is told through the gone callback. When the channel ends
//   first (keep-alive expiry, TCP loss) the CFW side calls hangUp(): the dialog is marked
//   ending and its hang-up function runs once; remove() follows when SIP is done.
// - Callbacks may call back into the table.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace parley::ms {

using ChannelId = std::uint64_t;  // 0: no channel

struct ControlDialogInfo {
    std::string asCfwId;  // the offer's a=cfw-id, the table's key
    std::string msCfwId;  // the cfw-id of our answer
    std::string callId;
    std::string peer;     // the AS's From URI, for logs
    std::string contact;  // the INVITE's Contact URI (where the AS's SIP side lives)
    bool acked = false;   // the ACK for our 200 arrived
    bool ending = false;  // BYE under way
    ChannelId channel = 0;
};

class ControlDialogTable {
  public:
    using HangUp = std::function<void()>;
    // A bound dialog ended on the SIP side: close that channel.
    using GoneFn = std::function<void(ChannelId channel, const std::string& why)>;

    void setOnGone(GoneFn fn) { onGone_ = std::move(fn); }

    common::Status add(ControlDialogInfo info, HangUp hangUp);
    bool cfwIdInUse(std::string_view cfwId) const;
    void markAcked(const std::string& asCfwId);

    // SYNC: returns the dialog's key (its AS cfw-id).
    common::Result<std::string> bind(std::string_view dialogId, ChannelId channel);
    void unbind(const std::string& key, ChannelId channel);

    // The channel ended: BYE the dialog (once).
    void hangUp(const std::string& key, const std::string& why);
    // Every live dialog: BYE (shutdown).
    void hangUpAll(const std::string& why);
    // The SIP dialog is over.
    void remove(const std::string& key, const std::string& why);

    const ControlDialogInfo* find(std::string_view key) const;
    std::vector<ControlDialogInfo> list() const;
    std::size_t size() const { return dialogs_.size(); }
    std::size_t boundCount() const;

  private:
    struct Entry {
        ControlDialogInfo info;
        HangUp hangUp;
    };
    Entry* lookup(std::string_view dialogId);

    std::map<std::string, Entry, std::less<>> dialogs_;
    GoneFn onGone_;
};

}  // namespace parley::ms
