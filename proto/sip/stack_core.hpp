#pragma once
// Internal to proto/sip (includes sofia-sip): the state behind SipStack and Dialog.
// Nothing outside proto/sip includes this header.

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/su_wait.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/event_loop.hpp"
#include "common/result.hpp"
#include "proto/sip/dialog.hpp"
#include "proto/sip/sip_handler.hpp"
#include "proto/sip/sip_types.hpp"
#include "proto/sip/subscription.hpp"

namespace parley::proto::sip::detail {

class StackCore;

// One C deleter type for every sofia handle kind.
template <auto Fn>
struct CDeleter {
    template <typename T>
    void operator()(T* p) const {
        if (p) Fn(p);
    }
};

// Per-dialog state, shared by StackCore (which drives it from nua events) and Dialog
// (which turns application calls into nua requests). `stack` and `nh` are null once the
// dialog is detached (terminated or stack gone).
struct DialogCore {
    StackCore* stack = nullptr;
    nua_handle_t* nh = nullptr;
    SipHandler* handler = nullptr;  // per-dialog override of the stack's handler
    DialogRole role = DialogRole::Uac;
    DialogState state = DialogState::Calling;
    std::string callId, localTag, remoteTag, localUri, remoteUri, remoteContact;
    bool serverInvitePending = false;  // UAS: an INVITE awaits our final response
    bool clientInvitePending = false;  // UAC side: our INVITE awaits its final response
    bool offerSent = false;            // the pending client INVITE carried a body
    bool ackPending = false;           // 2xx to an offerless INVITE awaits ack()
    bool confirmed = false;            // the initial INVITE completed with a 2xx
    msg_t* updateRequest = nullptr;    // a reference to the incoming UPDATE awaiting respondUpdate()
    bool clientUpdatePending = false;  // our UPDATE awaits its response
    std::string contact;               // Contact header value for our responses (focus), or empty
    bool focus = false;
    bool tcp = false;                  // the initial INVITE came over TCP
    std::string lastLocalSdp;          // the last body we sent (answers a refresh re-INVITE)
    bool byeAsked = false;             // the application called bye()
    bool cancelAsked = false;  // cancel() sent CANCEL: a 2xx that crosses it is ended at once
    int endStatus = 0;                 // overrides the status onTerminated() reports
    std::string endReason;
};

// Per-subscription state behind Subscription. `nh` is null once it is over.
struct SubscriptionCore {
    StackCore* stack = nullptr;
    nua_handle_t* nh = nullptr;
    SipHandler* handler = nullptr;  // who hears of it (the dialog's handler for in-dialog REFER)
    bool ownsHandle = true;      // false: the handle is an INVITE dialog's (in-dialog REFER)
    std::string event;           // package
    std::string eventHeader;     // package with parameters, as in our NOTIFYs
    std::string resourceUri, subscriberUri, callId;
    bool fetch = false;
    uint32_t granted = 0;
    common::TimePoint expiresAt{};
    SubscriptionState state = SubscriptionState::Pending;
    bool answering = false;      // inside onSubscribe()/onRefer(): NOTIFYs wait for our 2xx
    bool awaitingTrying = false; // nua's own "100 Trying" NOTIFY of a REFER is under way
    bool deferred = false;       // a NOTIFY asked for meanwhile (only the latest is kept)
    std::string deferredBody, deferredType, deferredSubState;
    bool closing = false;        // a terminating NOTIFY is on its way
    std::string endReason;       // what onSubscriptionTerminated() will say
};

// Copies what the application needs out of a parsed sofia message.
SipMessage toMessage(sip_t const* sip);
std::string urlText(url_t const* url);
// How subscriptions on one handle are told apart: the package and its id parameter.
std::string eventKey(sip_event_t const* o);

class StackCore {
public:
    StackCore(common::EventLoop& loop, SipConfig config, SipHandler& handler);
    ~StackCore();
    StackCore(const StackCore&) = delete;
    StackCore& operator=(const StackCore&) = delete;

    common::Status start();
    void run();
    void stop();
    void runOnce(common::Duration maxWait);
    void shutdown();

    uint16_t boundPort() const { return port_; }
    const std::string& advertisedHost() const { return advertiseHost_; }
    const SipConfig& config() const { return config_; }
    std::size_t dialogCount() const { return dialogs_.size(); }

    common::Result<DialogRef> invite(const InviteRequest& request, SipHandler* handler);

    std::string newToken(std::size_t hexChars);
    // nua keeps the reason phrase pointer of nua_respond() until it sends the response:
    // phrases live here for the stack's lifetime. Null past a cap (use the standard one).
    const char* internPhrase(const std::string& phrase);
    SipHandler& handlerFor(const DialogCore& d) { return d.handler ? *d.handler : handler_; }
    nua_t* nua() const { return nua_; }
    std::size_t subscriptionCount() const { return subscriptions_.size(); }
    // Sends NOTIFY for `s` (see Subscription::notify), or keeps it while the SUBSCRIBE is
    // being answered. subState: "active", "pending" or "terminated;reason=...".
    void sendNotify(SubscriptionCore& s, const std::string& body, const std::string& type,
                    const std::string& subState);

private:
    void onNuaEvent(nua_event_t event, int status, char const* phrase, nua_handle_t* nh,
                    sip_t const* sip, tagi_t tags[]);
    void onLoopReadable();
    DialogRef find(nua_handle_t* nh) const;
    void onIncomingInvite(int status, nua_handle_t* nh, sip_t const* sip);
    void onInviteResponse(const DialogRef& d, int status, sip_t const* sip);
    void onCallState(const DialogRef& d, int status, char const* phrase, tagi_t tags[]);
    void onOptions(nua_handle_t* nh);
    void onGetParams(tagi_t tags[]);
    void onSubscribe(int status, nua_handle_t* nh, sip_t const* sip, tagi_t tags[]);
    void onRefer(int status, nua_handle_t* nh, sip_t const* sip, tagi_t tags[]);
    void onNotifyResponse(int status, char const* phrase, nua_handle_t* nh, tagi_t tags[]);
    void onUpdate(const DialogRef& d, int status, sip_t const* sip);
    void onUpdateResponse(const DialogRef& d, int status, sip_t const* sip);
    SubscriptionRef findSubscription(nua_handle_t* nh, const std::string& eventKey) const;
    SubscriptionRef makeSubscription(nua_handle_t* nh, bool ownsHandle, std::string eventKey,
                                     sip_t const* sip);
    // Refuses a request received on a handle and releases the handle when we own it.
    void refuse(nua_handle_t* nh, bool ownsHandle, int status, const char* phrase,
                const std::string& extraHeaders = {});
    // Reports onSubscriptionTerminated once and releases the subscription's handle if owned.
    void finishSubscription(const SubscriptionRef& s, const std::string& reason);
    void finishSubscriptionsOn(nua_handle_t* nh, const std::string& reason);
    // Reports onTerminated once, forgets the dialog and releases its nua handle.
    void finish(const DialogRef& d, int status, const std::string& reason);
    bool stepUntil(const bool& flag, common::Duration limit);

    friend struct Trampolines;

    common::EventLoop& loop_;
    SipConfig config_;
    SipHandler& handler_;
    std::string listenHost_;
    std::string advertiseHost_;
    uint16_t port_ = 0;

    std::unique_ptr<su_root_t, CDeleter<su_root_destroy>> root_;
    nua_t* nua_ = nullptr;  // released by shutdown() through nua_destroy()
    int loopWaitIndex_ = -1;
    bool gotParams_ = false;
    bool shutdownDone_ = false;  // nua_r_shutdown final seen
    bool shutDown_ = false;      // shutdown() finished
    bool shuttingDown_ = false;  // shutdown() under way
    std::atomic<bool> stopRequested_{false};
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards tasks posted by stop()

    std::unordered_map<nua_handle_t*, DialogRef> dialogs_;
    std::unordered_multimap<nua_handle_t*, SubscriptionRef> subscriptions_;
    std::mt19937_64 rng_;
    std::unordered_set<std::string> phrases_;
};

}  // namespace parley::proto::sip::detail
