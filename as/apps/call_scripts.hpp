#pragma once
// CallScripts: calls scripted by a customer's webhook or by a built-in application. The
// focus asks it first (CallRouter); a call whose request URI matches a route of kind
// Webhook or App is taken here, everything else stays a room call.
//
// A scripted call owns two dialogs, as a focus participant does (RFC 3725 3PCC, RFC 7058):
// the user's (UAS) and its own AS-to-MS media dialog (UAC, the caller's offer or offerless).
// On route(): 180, INVITE to the MS, and for a webhook a POST of
//   {"event": "call.incoming", "id": "c7", "callId", "from", "to", "route"}
// from a worker thread (WebhookClient). The answer's instructions (instructions.hpp) run in
// order on the loop thread; the caller gets 200 with the MS's SDP on `answer` or before the
// first verb that needs media. gather and record POST their result to actionUrl
// ({"event": "gather", "digits", "reason"} / {"event": "record", "recordingUrl",
// "durationMs"}) and the answer replaces the rest of the list; redirect POSTs
// {"event": "call.redirect"} and does the same. The end of the list hangs up.
//
// dial (RFC 7058 6.2): an offerless INVITE to the MS, its offer to the callee, the callee's
// answer in the ACK to the MS, then the two connections are joined directly on the MS. With
// record: true the two connections are joined to a two-party MS conference instead, and a
// record dialog runs on the conference: a record dialog on one connection would only
// capture what that side sends, the conference's mix holds both voices. When the callee
// hangs up (or never answers within `timeout`) the caller goes on with the next verb.
// conference: the two dialogs are handed to the focus (CallScriptsHooks::adopt) and the call
// leaves this class.
//
// Failures (webhook timeout, non-2xx, non-JSON, unknown verb, bad options, too many
// redirects, a dead MS dialog): logged with the reason; the fallback prompt (the route's,
// else CallScriptsOptions::fallbackPrompt) is played and the call hung up; without a prompt
// the call is just ended (503 when it was never answered).
//
// Built-in apps (route target): "echo" (RFC 7058 6.1.1: the connection joined to itself),
// "clock" (6.4.2: says the time and the date, then hangs up).
//
// Contracts:
// - Loop thread only (the SIP stack's thread), except the webhook HTTP, which runs on the
//   WebhookClient's threads. The stack, loop and registry outlive this object; call
//   shutdown() before the stack shuts down.
// - Limits: maxCalls (503 Retry-After beyond), ParseLimits (instruction count, 1 MiB
//   bodies), maxRedirects (10) redirects/action POSTs per call.
// - Every call ends with all its dialogs terminated and is then forgotten; events
//   "call.status" {"status": "ringing" | "answered" | "completed", "durationMs"} and
//   "dtmf" {"digits"} go to CallScriptsHooks::publish with the route's eventsUrl.
//
// Seams: the route table, the event bus and the focus come in as CallScriptsHooks, so this
// class depends only on what it calls (see the report for the main.cpp adapter lines).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "as/apps/call_router.hpp"
#include "as/apps/instructions.hpp"
#include "as/apps/webhook_client.hpp"
#include "common/event_loop.hpp"
#include "common/result.hpp"
#include "proto/sip/sip_handler.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::as {

class MediaServerRegistry;
class MediaServerClient;
class MediaControl;
struct DialogResult;
struct DialogSpec;

namespace apps {

enum class RouteKind { Room, Webhook, App };

struct ScriptRoute {
    std::string name;            // the route's name (for logs and the webhook's "route")
    RouteKind kind = RouteKind::Room;
    std::string target;          // room name, webhook URL, or app name ("echo", "clock")
    std::string eventsUrl;       // where call events go, "" none
    std::string fallbackPrompt;  // "" : CallScriptsOptions::fallbackPrompt
};

struct ScriptEvent {  // becomes an AsEvent (as/events/event_bus.hpp), room ""
    std::string type;         // "call.status", "dtmf", "recording.ready"
    std::string participant;  // the call's id, "c7"
    std::string callId;       // SIP Call-ID of the user's dialog
    std::string dataJson;     // JSON object text
    std::string eventsUrl;
};

struct ConferenceHandover {  // becomes Focus::Adoption
    proto::sip::DialogRef user, ms;
    MediaServerClient* server = nullptr;
    std::string room, role = "participant";
    bool muted = false;
    std::string uri, displayName;
};

struct CallScriptsHooks {
    // (user part of the request URI, the whole request URI) -> route, nullopt for none.
    std::function<common::Result<std::optional<ScriptRoute>>(std::string_view, std::string_view)> lookup;
    std::function<void(ScriptEvent)> publish;                      // may be empty
    std::function<common::Status(ConferenceHandover)> adopt;       // empty: conference fails
};

struct CallScriptsOptions {
    std::string fallbackPrompt;   // URL; "" : just hang up
    std::chrono::milliseconds webhookTimeout{5000};
    std::size_t maxCalls = 500;
    std::string promptBase;       // prefix for relative prompt names (beep), ends in '/'
    int maxRedirects = 10;
    ParseLimits parseLimits;
    WebhookOptions webhook;
};

struct CallInfo {
    std::string id;          // "c7"
    std::string callId, from, to, route;
    std::string state;       // "ringing", "answered", "dialing", "bridged"
    std::chrono::system_clock::time_point startedAt{}, answeredAt{};  // epoch: not answered
};

class CallScripts final : public CallRouter, public proto::sip::SipHandler {
public:
    CallScripts(common::EventLoop& loop, proto::sip::SipStack& stack, MediaServerRegistry& registry,
                CallScriptsHooks hooks, CallScriptsOptions options);
    ~CallScripts() override;
    CallScripts(const CallScripts&) = delete;
    CallScripts& operator=(const CallScripts&) = delete;

    bool route(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& invite) override;

    std::vector<CallInfo> calls() const;
    common::Result<CallInfo> call(const std::string& id) const;               // 404
    common::Status hangup(const std::string& id);                             // 404
    common::Status redirect(const std::string& id, const std::string& url);   // 404, 400, 409
    void shutdown();  // every call ends (SIGTERM)
    std::size_t callCount() const { return calls_.size(); }

    // SipHandler (the dialogs of scripted calls only)
    void onIncomingInvite(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& invite) override;
    void onReinvite(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& invite) override;
    void onInviteResponse(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& response) override;
    void onAck(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& ack) override;
    void onBye(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& bye) override;
    void onUpdate(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& update) override;
    void onTerminated(const proto::sip::DialogRef& dialog, int status, const std::string& reason) override;

    struct Call;

private:
    enum class LegKind { User, Ms, Callee, CalleeMs };
    struct Leg {
        std::uint64_t call = 0;
        LegKind kind = LegKind::User;
    };

    Call* find(std::uint64_t n);
    Call* byId(const std::string& id);
    const Call* byId(const std::string& id) const;
    Call* legOf(const proto::sip::Dialog* dialog, LegKind* kind);
    // The caller's re-INVITE (offer or none) or UPDATE offer, relayed to its parley-ms leg
    // (OfferRelay) or refused: 488 not a caller's leg, 500 not answered yet, 491 an offer is
    // on its way, 415 not SDP.
    void relayOffer(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& request,
                    bool update);
    MediaControl* mediaFor(MediaServerClient* server);
    void event(const Call& c, const std::string& type, const std::string& dataJson);

    void ensureAnswered(Call& c, std::function<void(Call&)> then);
    void sendAnswer(Call& c);
    void answered(Call& c);
    void next(Call& c);
    void proceed(std::uint64_t n, std::uint64_t verbGen);
    void execute(Call& c, Instruction instruction);
    void runDialog(Call& c, const DialogSpec& spec, std::function<void(Call&, const DialogResult&)> after);
    void webhook(Call& c, const std::string& url, const std::string& eventName, const std::string& extraJson);
    void fallback(Call& c, const std::string& reason);
    void startApp(Call& c);

    void startDial(Call& c, const DialVerb& dial);
    void calleeMsAnswered(Call& c, const proto::sip::SipMessage& response);
    void calleeAnswered(Call& c, const proto::sip::SipMessage& response);
    void bridge(Call& c);
    void dialEnded(Call& c, const std::string& why, bool resume = true);

    void leave(Call& c, bool hangUpUser, const std::string& reason);
    void legEnded(const proto::sip::Dialog* dialog);

    common::EventLoop& loop_;
    proto::sip::SipStack& stack_;
    MediaServerRegistry& registry_;
    CallScriptsHooks hooks_;
    CallScriptsOptions options_;
    WebhookClient webhooks_;
    std::uint64_t nextCall_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Call>> calls_;
    std::unordered_map<const proto::sip::Dialog*, Leg> legs_;
    std::map<MediaServerClient*, std::unique_ptr<MediaControl>> media_;
};

}  // namespace apps
}  // namespace parley::as
