#pragma once
// Plain values of the SIP layer: stack configuration, what the application sees of a SIP
// message, and what it gives to start an outgoing INVITE. No sofia-sip type appears here.
//
// Contracts:
// - SipMessage is a copy: it stays valid after the callback that delivered it returns.
// - Header names and values given by the application (InviteRequest::headers, the
//   `headers` arguments of Dialog) must not contain CR or LF, and names must be SIP tokens;
//   otherwise the call fails with Error{400} and nothing is sent.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace parley::proto::sip {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SipConfig {
    // Where to listen, "host:port" or "[v6]:port". UDP and TCP bind the same port; port 0
    // picks a free one (SipStack::boundPort() says which).
    std::string listen = "127.0.0.1:5070";
    // Host written in Contact and Via instead of the listen host (NAT, 0.0.0.0 binds).
    std::string advertiseHost;
    std::string userAgent = "Parley/0.1";
    // User part of the default From and of the Contact, e.g. "parley".
    std::string user = "parley";
    // shutdown(): how long to wait for sofia to end its dialogs and transactions.
    std::chrono::milliseconds shutdownTimeout{2000};

    // Event packages served as a notifier (RFC 6665), e.g. {"conference"}: advertised in
    // Allow-Events; a SUBSCRIBE for any other package gets 489 without reaching the handler.
    std::vector<std::string> allowEvents;
    // SUBSCRIBE expiry (seconds): an initial SUBSCRIBE asking less than the minimum (and not
    // 0, a fetch) gets 423 with Min-Expires; more than the maximum is cut to it; without
    // Expires the default applies (RFC 4575 section 4.4: 3600).
    uint32_t subscribeMinExpires = 60;
    uint32_t subscribeMaxExpires = 3600;
    uint32_t subscribeDefaultExpires = 3600;
    // New SUBSCRIBE and REFER beyond this many live subscriptions get 503 with Retry-After.
    std::size_t maxSubscriptions = 10000;
    // Lifetime of the implicit subscription of an accepted REFER (RFC 3515), seconds.
    uint32_t referExpires = 300;

    // Session timers (RFC 4028). 0: off (no Supported: timer, no Session-Expires). Otherwise
    // the interval asked for and accepted, with Min-SE below which a peer gets 422.
    uint32_t sessionExpires = 0;
    uint32_t minSessionExpires = 90;
    enum class Refresher { Any, Local, Remote };
    Refresher refresher = Refresher::Any;  // which side we prefer to refresh
};

// One SIP request or response as the application sees it.
struct SipMessage {
    std::string method;      // requests: "INVITE", "ACK", "BYE"...; empty for responses
    int status = 0;          // responses: 100..699; 0 for requests
    std::string reason;      // responses: reason phrase
    std::string requestUri;  // requests only
    std::string fromUri, fromTag, fromDisplay;
    std::string toUri, toTag;
    std::string callId;
    std::string contactUri;  // first Contact, empty when absent
    bool contactIsFocus = false;  // that Contact has the isfocus parameter (RFC 4579)
    std::string contentType; // "application/sdp" (no parameters); empty without a body
    std::string body;
    std::string event;       // Event header: package and parameters ("conference", "refer;id=3")
    int expires = -1;        // Expires header, -1 when absent
    std::string referTo;     // Refer-To URI with its parameters (";method=BYE"), no angle brackets
    std::string referredBy;  // Referred-By URI
    std::string subscriptionState;  // Subscription-State header value
    uint32_t sessionExpires = 0;    // Session-Expires delta, 0 when absent
    std::string refresher;          // its refresher parameter ("uac", "uas" or empty)
    HeaderList otherHeaders; // headers the parser keeps as unknown (X-..., P-...), in order

    // First value of an entry in otherHeaders, case-insensitive; empty when absent.
    std::string header(std::string_view name) const;
};

// An outgoing INVITE that creates a dialog.
struct InviteRequest {
    std::string to;          // To URI, e.g. "sip:conf1@127.0.0.1:5080" (required)
    std::string requestUri;  // empty: same as `to`
    std::string from;        // From URI; empty: sip:<config.user>@<advertised host>
    std::string body;        // empty: offerless INVITE (the offer comes in the 2xx)
    std::string contentType = "application/sdp";
    HeaderList headers;      // extra headers
    // RFC 4579: a focus calling out puts ";isfocus" in its Contact (user: contactUser, or
    // config.user when empty).
    bool isFocus = false;
    std::string contactUser;
};

// How the application answers a SUBSCRIBE or REFER (RFC 6665, RFC 3515): a 2xx accepts it,
// 300..699 refuses it. Empty reason: the standard phrase.
struct RequestAnswer {
    int status = 200;
    std::string reason;
};

// A REFER as the application sees it (RFC 3515, RFC 4579 section 5.5).
struct ReferRequest {
    std::string referTo;     // the target URI with its parameters, e.g. "sip:bob@h;method=BYE"
    std::string method;      // the URI's method parameter, upper case; "INVITE" when absent
    std::string target;      // referTo without the method parameter
    std::string referredBy;  // Referred-By URI, or the From URI when absent
    SipMessage message;      // the REFER itself
};

// The user part of a SIP URI without user parameters: "sip:r1;x=1@h:5060" -> "r1"; "" when
// the URI has none.
std::string uriUser(std::string_view uri);

// Checks names and values and renders "Name: value\r\n" lines.
common::Result<std::string> renderHeaders(const HeaderList& headers);

}  // namespace parley::proto::sip
